// @ts-check
// Startrip page script: registers the service worker, tells it the page language, keeps the
// person's settings on the phone, and says in words when the internet is gone.
// Strings come translated from the page (#i18n); nothing here is in one language only.

const SETTINGS_KEY = "startrip.person-settings";

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
 * Show a notice in the status area (role=status), with words and a picture.
 * @param {string} text
 * @param {string} kind
 * @param {string} [id]
 */
function showStatus(text, kind, id) {
  const status = document.getElementById("status");
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

keepPersonSettings();
watchConnection();
registerServiceWorker();
