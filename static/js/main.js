// @ts-check
// Startrip page script: registers the service worker, tells it the page language, keeps the
// person's settings on the phone, says in words when the internet is gone, and on "Log out"
// sends what waits in the outbox and removes what this browser holds of the account.
// Strings come translated from the page (#i18n); nothing here is in one language only.

const SETTINGS_KEY = "startrip.person-settings";
// Everything the app keeps in localStorage starts so: the pay codes and balance (pay.js,
// "startrip.pay.<voucher>"), the person's settings, whether persistence was asked.
const LOCAL_PREFIX = "startrip.";
// How long "Log out" waits for the service worker to say its copies are gone.
const FORGET_WAIT_MS = 2000;

/**
 * Read the JSON a template put in <script type="application/json" id="…">.
 * @param {string} id
 * @returns {any}
 */
function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(/** @type {string} */ (element.textContent)) : null;
}

const strings = pageData("i18n") || {};

/**
 * Show a notice in a status area (role=status), with words and a picture.
 * @param {string} text
 * @param {string} kind
 * @param {string} [id]
 * @param {string} [area]  the status area's id: the page's, or the one beside "Log out"
 */
function showStatus(text, kind, id, area = "status") {
  const status = document.getElementById(area);
  if (!status) return;
  let notice = id ? document.getElementById(id) : null;
  if (!notice) {
    notice = document.createElement("p");
    if (id) notice.id = id;
    status.append(notice);
  }
  notice.className = `notice notice-${kind}`;
  const icon = document.createElement("img");
  icon.className = "icon icon-sm";
  icon.alt = "";
  icon.src = kind === "warning" ? "/openmoji/1F4F5.svg" : "/openmoji/2705.svg";
  notice.replaceChildren(icon, document.createTextNode(text));
}

function watchConnection() {
  const update = () => {
    if (navigator.onLine) {
      const old = document.getElementById("offline-notice");
      if (old) showStatus(strings.online, "success", "offline-notice");
    } else {
      // The person's screens keep changes on the phone (they have a sync line): say so.
      const kept = document.getElementById("sync-status");
      showStatus(kept ? strings.offline_kept : strings.offline, "warning", "offline-notice");
    }
  };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  if (!navigator.onLine) update();
}

/** The person's settings are kept on the phone so pages served offline still honour them. */
function keepPersonSettings() {
  const settings = pageData("person-settings");
  if (settings) {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    return;
  }
  if (document.documentElement.className) return;
  const stored = localStorage.getItem(SETTINGS_KEY);
  if (!stored || !document.body.dataset.offlinePage) return;
  const s = JSON.parse(stored);
  const classes = [`text-${s.text_size}`, `theme-${s.theme}`];
  if (s.reduced_motion) classes.push("reduce-motion");
  if (s.display === "pictures_only") classes.push("pictures-only");
  document.documentElement.classList.add(...classes);
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" });
    const registration = await navigator.serviceWorker.ready;
    // The worker shows its offline page in the language of the last page seen.
    registration.active?.postMessage({ type: "lang", lang: document.documentElement.lang });
    // The person's start screen lists what the phone should keep for a shop with no signal.
    const keep = pageData("keep-offline");
    if (keep && navigator.onLine) registration.active?.postMessage({ type: "keep", ...keep });
  } catch (error) {
    console.warn("service worker not registered", error);
  }
}

// --- logging out -----------------------------------------------------------------------------
// The logout answer's Clear-Site-Data removes the caches and storage, but a browser that is
// offline, or behind a proxy that drops the header, never gets it: the page removes them too.
// Storage includes the outbox, so its changes are sent first; any the server cannot take now
// are counted and the person is told before they are lost.

/** Send this account's outbox, only sending (no pull into a copy about to go). Returns how
 * many changes still wait, and whether the server answered.
 * @param {string} who @param {string} csrf
 * @returns {Promise<{unsent: number, reached: boolean}>} */
async function sendOutbox(who, csrf) {
  if (!who || !("indexedDB" in window)) return { unsent: 0, reached: true };
  const store = await import("./outbox.js");
  // Opening a database makes it: look first, where the browser can say which exist.
  if ("databases" in indexedDB && !(await store.allWho()).includes(who)) return { unsent: 0, reached: true };
  const db = await store.open(who);
  try {
    if (!(await store.outbox(db)).length) return { unsent: 0, reached: true };
    await store.start(db, { csrf });
    const result = await store.sync(db, fetch, { pull: false });
    return { unsent: result.kept, reached: result.reached };
  } finally {
    db.close();
  }
}

/** The service worker drops its copies of the person's screens and the files they used; if
 * it does not answer (an older worker, or none), the page drops every cache but the shell's
 * and the language's, which hold nothing of anyone. */
async function forgetCopies() {
  const worker = (await navigator.serviceWorker?.getRegistration())?.active;
  const answered = worker
    ? await new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(true);
        worker.postMessage({ type: "forget" }, [channel.port2]);
        setTimeout(() => resolve(false), FORGET_WAIT_MS);
      })
    : false;
  if (answered || !("caches" in window)) return;
  for (const name of await caches.keys()) {
    if (!name.startsWith("shell-") && name !== "prefs") await caches.delete(name);
  }
}

function forgetLocal() {
  for (let index = localStorage.length - 1; index >= 0; index -= 1) {
    const key = localStorage.key(index);
    if (key?.startsWith(LOCAL_PREFIX)) localStorage.removeItem(key);
  }
}

/** Every log-out form marked data-logout (the footer's; any other page may mark its own).
 * @param {HTMLFormElement} logout */
function watchLogout(logout) {
  const words = pageData("logout-strings") || {};
  const label = logout.querySelector("button .label");
  const who = logout.dataset.who || "";
  const csrf = /** @type {HTMLInputElement | null} */ (logout.querySelector('input[name="csrf_token"]'))?.value || "";
  let warned = false;
  let busy = false;
  logout.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    try {
      let sent = { unsent: 0, reached: true };
      try {
        sent = await sendOutbox(who, csrf);
      } catch {
        // The outbox could not be read (or its code not loaded, offline): nothing to count.
      }
      const offline = !navigator.onLine || !sent.reached;
      if (offline) {
        // Logging out needs the server. What waits stays on this computer; the screens' copies
        // and the pay codes go now, as the person meant to leave.
        await forgetCopies();
        forgetLocal();
        const waiting = sent.unsent ? ` ${words.unsent_kept.replace("{count}", String(sent.unsent))}` : "";
        showStatus(`${words.offline}${waiting}`, "warning", "logout-notice", "logout-status");
        return;
      }
      if (sent.unsent && !warned) {
        warned = true;
        showStatus(words.unsent.replace("{count}", String(sent.unsent)), "warning", "logout-notice", "logout-status");
        if (label) label.textContent = words.anyway;
        return;
      }
      await forgetCopies();
      forgetLocal();
      if (who && "indexedDB" in window) await (await import("./outbox.js")).remove(who);
      logout.submit();
    } finally {
      busy = false;
    }
  });
}

keepPersonSettings();
watchConnection();
// A page for someone with no session, fetched from the server (online): whatever this browser
// kept of a person's screens or pay codes belongs to a session that has ended. Offline the
// page may be the offline shell, which must not drop the phone's copies, so only online.
if (document.querySelector("[data-forget-copies]") && navigator.onLine) {
  forgetCopies().then(forgetLocal, forgetLocal);
}
for (const form of document.querySelectorAll("form[data-logout]")) watchLogout(/** @type {HTMLFormElement} */ (form));
registerServiceWorker();
