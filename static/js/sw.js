// @ts-check
// Startrip service worker, served at /sw.js with scope "/", as a module: it shares the phone's
// outbox code (outbox.js) to send changes on the browser's `sync` event.
import * as store from "/static/js/outbox.js";

/** This file runs as a service worker: its global scope is one. */
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/**
 * @typedef {object} Config
 * @property {string} version  the shell's version
 * @property {string[]} precache  the URLs to precache
 * @property {Record<string, string>} offline  the offline page's URL for each language
 */
/** Background Sync's event (Chromium), not in TypeScript's worker types.
 * @typedef {ExtendableEvent & {tag: string}} SyncEvent */

// The server fills CONFIG: the shell's version (from the hashes of its files), the URLs to
// precache, and the offline page for each language (pwa/pages.py; the line must stay as it is).
/** @type {Config} */
// @ts-expect-error: the empty object here is only a placeholder the server replaces
const CONFIG = /*CONFIG*/{};
const SHELL_CACHE = `shell-${CONFIG.version}`;
const PREFS_CACHE = "prefs";
// Copies of the person's own screens (start, pay, help card, trip mode, shopping view) and the
// files they use, kept when last seen online, so they open at a till with no signal. Only
// answers the server marks as the person's own are kept (OFFLINE_HEADER, pwa/auth/offline.py):
// on their linked phone or an adult's own account, never a parent's view of them, which would
// stay on a shared computer. The same goes for a family's photos in the files cache.
const PAGES_CACHE = "person-pages";
const FILES_CACHE = "files";
const OFFLINE_HEADER = "X-Startrip-Offline";
const KEEP_PAGES = [
  /^\/me(\/.*)?$/,
  /^\/plans\/[^/]+\/go$/,
  /^\/lists\/[^/]+\/shop$/,
  /^\/boards\/[^/]+$/,
];
const LANG_KEY = "/__startrip/lang";
// A guardian's voice clips (issue 18) are kept like photos: "Read aloud" plays them offline.
const FILE_URL = /"(\/(?:static|openmoji|photos|clips)\/[^"\s]+)"/g;
// Counts "forget" messages (logging out): a copy fetched before one is not put after it.
let generation = 0;

/** May this answer be kept offline? A page or a photo only when the server marked it the
 * person's own; a file that is the same for everyone (a script, a pictogram) always.
 * @param {string} pathname @param {Response} response */
function mayKeep(pathname, response) {
  if (!response.ok || response.redirected) return false;
  if (pathname.startsWith("/static/") || pathname.startsWith("/openmoji/")) return true;
  return response.headers.get(OFFLINE_HEADER) === "keep";
}

sw.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(CONFIG.precache);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([SHELL_CACHE, PREFS_CACHE, PAGES_CACHE, FILES_CACHE]);
      for (const name of await caches.keys()) {
        if (!keep.has(name)) await caches.delete(name);
      }
      // Control the page that registered us, so the first visit already works offline.
      await sw.clients.claim();
    })(),
  );
});

/** Fetch and keep the person's screens and the files they use, so they open offline even
 * if never opened before (the start screen sends the list). Files already kept are not
 * fetched again: their names change when they do.
 * @param {{pages?: string[], files?: string[]}} lists */
async function keep({ pages = [], files = [] }) {
  const started = generation;
  const pageCache = await caches.open(PAGES_CACHE);
  const needed = new Set(files);
  for (const url of pages) {
    const pathname = new URL(url, sw.location.origin).pathname;
    if (!KEEP_PAGES.some((pattern) => pattern.test(pathname))) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!mayKeep(pathname, response)) continue;
      // Every file the page names: its scripts and icons, and the pictures in its data.
      for (const match of (await response.clone().text()).matchAll(FILE_URL)) needed.add(match[1]);
      if (started !== generation) return;
      await pageCache.put(url, response);
    } catch {
      return; // offline again: what is kept stays
    }
  }
  const fileCache = await caches.open(FILES_CACHE);
  for (const url of needed) {
    if (await caches.match(url)) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!mayKeep(new URL(url, sw.location.origin).pathname, response)) continue;
      if (started !== generation) return;
      await fileCache.put(url, response);
    } catch {
      // A missing picture does not stop the rest.
    }
  }
}

/** Logging out (static/js/main.js): the copies of the person's screens and the files they
 * used go, and nothing fetched before is put back. The logout answer's Clear-Site-Data does
 * the same, when it reaches the browser. */
async function forget() {
  generation += 1;
  await caches.delete(PAGES_CACHE);
  await caches.delete(FILES_CACHE);
}

sw.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep") {
    // Then the pages' "Ready for the shop" checks (ready.js) look again: the one that asked
    // on a port is answered there, and every open page hears it.
    event.waitUntil(
      keep(data).then(async () => {
        event.ports[0]?.postMessage({ type: "kept" });
        for (const client of await sw.clients.matchAll({ includeUncontrolled: true })) {
          client.postMessage({ type: "kept" });
        }
      }),
    );
    return;
  }
  if (data.type === "forget") {
    // The page waits for the answer before it logs out.
    event.waitUntil(forget().then(() => event.ports[0]?.postMessage({ type: "forgotten" })));
    return;
  }
  if (data.type === "lang" && CONFIG.offline[data.lang]) {
    event.waitUntil(
      caches.open(PREFS_CACHE).then((cache) => cache.put(LANG_KEY, new Response(data.lang))),
    );
  }
});

/** @param {Request} request */
async function offlinePage(request) {
  const prefs = await caches.open(PREFS_CACHE);
  const saved = await prefs.match(LANG_KEY);
  const lang = saved ? await saved.text() : null;
  const url = (lang && CONFIG.offline[lang]) || Object.values(CONFIG.offline)[0];
  const cache = await caches.open(SHELL_CACHE);
  return (await cache.match(url)) || Response.error();
}

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;

  if (request.mode === "navigate") {
    const keep = KEEP_PAGES.some((pattern) => pattern.test(url.pathname));
    // Network first: pages are always fresh online; offline, the person's own screens come
    // from their last copy, and any other page says in words why it cannot show.
    const started = generation;
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (keep && response.ok) {
            const copy = response.clone();
            const mine = mayKeep(url.pathname, response);
            // An answer that is not the person's own (a parent's view) also drops an older copy.
            caches.open(PAGES_CACHE).then(async (cache) => {
              if (mine && started === generation) await cache.put(request, copy);
              else await cache.delete(request, { ignoreSearch: true });
            });
          }
          return response;
        })
        // Its own copy first (the list maker opened for a list brings that list, issue 18),
        // else the same screen kept for another address (the shell fills itself).
        .catch(
          async () =>
            (keep &&
              ((await caches.match(request)) ||
                (await caches.match(request, { ignoreSearch: true })))) ||
            offlinePage(request),
        ),
    );
    return;
  }
  const clip = url.pathname.startsWith("/clips/");
  const fixed = url.pathname.startsWith("/openmoji/") || url.pathname.startsWith("/photos/") || clip;
  if (url.pathname.startsWith("/static/") || fixed) {
    // Versioned or fixed files (a pictogram, a family's photo: never changed under its name):
    // the cached copy is the same as the network's. Unversioned module imports are fetched
    // fresh online and kept for offline.
    const versioned = fixed || url.searchParams.has("v");
    const started = generation;
    // The audio element asks for a clip in ranges; a few seconds of sound are fetched, kept and
    // played whole (a 206 part cannot be kept).
    const wanted = clip ? new Request(url.href, { credentials: "same-origin" }) : request;
    event.respondWith(
      caches.match(wanted).then(
        (hit) =>
          (versioned && hit) ||
          fetch(wanted)
            .then((response) => {
              // A family's photo only when it is the person's own (mayKeep).
              if (mayKeep(url.pathname, response) && started === generation) {
                const copy = response.clone();
                caches.open(FILES_CACHE).then((cache) => cache.put(wanted, copy));
              }
              return response;
            })
            .catch(() => hit || Response.error()),
      ),
    );
  }
});

// Background Sync (Chromium): send every outbox on this phone, even with no page open, then
// tell open pages so they draw what came back.
sw.addEventListener("sync", (syncEvent) => {
  const event = /** @type {SyncEvent} */ (syncEvent);
  if (event.tag !== "startrip-outbox") return;
  event.waitUntil(
    (async () => {
      let waiting = 0;
      for (const who of await store.allWho()) {
        const db = await store.open(who);
        waiting += (await store.sync(db)).kept;
        db.close();
      }
      for (const client of await sw.clients.matchAll()) client.postMessage({ type: "synced" });
      // Something is still waiting: failing makes the browser try again later.
      if (waiting) throw new Error("outbox not empty");
    })(),
  );
});

// Alerts for guardians (pwa/review/services.py): the message says only what happened, in words.
sw.addEventListener("push", (event) => {
  /** @type {{title?: string, body?: string, tag?: string, url?: string}} */
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data?.text() || "" };
  }
  event.waitUntil(
    sw.registration.showNotification(data.title || "Startrip", {
      body: data.body || "",
      tag: data.tag,
      icon: "/static/icons/icon-192.png",
      data: { url: data.url || "/" },
      silent: true,
    }),
  );
});

sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(sw.clients.openWindow(event.notification.data?.url || "/"));
});
