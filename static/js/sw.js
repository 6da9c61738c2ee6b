// Startrip service worker, served at /sw.js with scope "/".
// The server fills CONFIG: the shell's version (from the hashes of its files), the URLs to
// precache, and the offline page for each language.
const CONFIG = /*CONFIG*/{};
const SHELL_CACHE = `shell-${CONFIG.version}`;
const PREFS_CACHE = "prefs";
// Copies of the person's own screens (start, pay, help card, trip mode, shopping view) and the
// files they use, kept when last seen online, so they open at a till with no signal.
const PAGES_CACHE = "person-pages";
const FILES_CACHE = "files";
const KEEP_PAGES = [/^\/me(\/.*)?$/, /^\/plans\/[^/]+\/go$/, /^\/lists\/[^/]+\/shop$/];
const LANG_KEY = "/__startrip/lang";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(CONFIG.precache);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([SHELL_CACHE, PREFS_CACHE, PAGES_CACHE, FILES_CACHE]);
      for (const name of await caches.keys()) {
        if (!keep.has(name)) await caches.delete(name);
      }
      // Control the page that registered us, so the first visit already works offline.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "lang" && CONFIG.offline[data.lang]) {
    event.waitUntil(
      caches.open(PREFS_CACHE).then((cache) => cache.put(LANG_KEY, new Response(data.lang))),
    );
  }
});

async function offlinePage(request) {
  const prefs = await caches.open(PREFS_CACHE);
  const saved = await prefs.match(LANG_KEY);
  const lang = saved ? await saved.text() : null;
  const url = CONFIG.offline[lang] || Object.values(CONFIG.offline)[0];
  const cache = await caches.open(SHELL_CACHE);
  return (await cache.match(url)) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    const keep = KEEP_PAGES.some((pattern) => pattern.test(url.pathname));
    // Network first: pages are always fresh online; offline, the person's own screens come
    // from their last copy, and any other page says in words why it cannot show.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (keep && response.ok) {
            const copy = response.clone();
            caches.open(PAGES_CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(
          async () =>
            (keep && (await caches.match(request, { ignoreSearch: true }))) ||
            offlinePage(request),
        ),
    );
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/openmoji/")) {
    // Versioned or fixed files: the cached copy is the same as the network's. Unversioned
    // module imports are fetched fresh online and kept for offline.
    const versioned = url.pathname.startsWith("/openmoji/") || url.searchParams.has("v");
    event.respondWith(
      caches.match(request).then(
        (hit) =>
          (versioned && hit) ||
          fetch(request)
            .then((response) => {
              if (response.ok) {
                const copy = response.clone();
                caches.open(FILES_CACHE).then((cache) => cache.put(request, copy));
              }
              return response;
            })
            .catch(() => hit || Response.error()),
      ),
    );
  }
});
