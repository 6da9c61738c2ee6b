// @ts-check
// "Ready for the shop" (issue 18, item 5; components/ready_check.html): is everything the trip
// needs on this phone for when there is no signal? The server lists the screens, the files in
// their data, the voice clips and the vouchers (#ready-needs, pwa/trips/queries.py); each kept
// screen names more files, found as the service worker finds them (sw.js, FILE_URL). All are
// looked for in the Cache Storage the worker serves from, pay codes where pay.js keeps them.
// "Get it now" has the worker fetch what is missing ("keep") and fetches pay codes.

const FILE_URL = /"(\/(?:static|openmoji|photos)\/[^"\s]+)"/g;
// A voice clip: a URL under …/clips/…, or one the data or markup marks as a clip.
const CLIP_URL = /(?:"[a-z_]*clip[a-z_]*"\s*:\s*|data-[a-z-]*clip[a-z-]*=)"(\/[^"\s]+)"|"(\/(?:[^"\s]*\/)?clips\/[^"\s]+)"/g;
const KINDS = /** @type {const} */ (["screens", "pictures", "photos", "clips", "parts"]);
const KEEP_WAIT_MS = 60_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id @returns {any} */
const pageData = (id) => JSON.parse($(id)?.textContent || "null");

/** @typedef {{pages: string[], files: string[], clips: string[], vouchers: string[]}} Needs */
/** @typedef {Record<typeof KINDS[number] | "pay", string[]>} Missing */

const root = /** @type {HTMLElement | null} */ (document.querySelector('[data-module="ready"]'));
/** @type {Needs} */
const needs = pageData("ready-needs");
const strings = pageData("ready-strings") || {};
const words = $("ready-words");
const button = /** @type {HTMLButtonElement} */ ($("ready-get"));
/** @type {Missing | null} */
let last = null;
let busy = false;

/** @param {string} url */
const kept = async (url) => Boolean(await caches.match(url));

/** A pay code for the voucher that has not run out. @param {string} voucher */
function hasPayCode(voucher) {
  try {
    const stored = JSON.parse(/** @type {string} */ (localStorage.getItem(`startrip.pay.${voucher}`)));
    return (stored?.codes || []).some((/** @type {{expires_at: string}} */ c) => Date.parse(c.expires_at) > Date.now());
  } catch {
    return false;
  }
}

/** @returns {Promise<Missing>} */
async function look() {
  /** @type {Missing} */
  const missing = { screens: [], pictures: [], photos: [], clips: [], parts: [], pay: [] };
  const files = new Set(needs.files);
  const clips = new Set(needs.clips);
  for (const url of needs.pages) {
    // A screen opened with a query (?from_plan=…) is the same screen.
    const copy = await caches.match(url, { ignoreSearch: true });
    if (!copy) {
      missing.screens.push(url);
      continue;
    }
    const text = await copy.text();
    for (const match of text.matchAll(FILE_URL)) files.add(match[1]);
    for (const match of text.matchAll(CLIP_URL)) clips.add(match[1] || match[2]);
  }
  for (const url of clips) {
    files.delete(url);
    if (!(await kept(url))) missing.clips.push(url);
  }
  for (const url of files) {
    const kind = url.startsWith("/openmoji/") ? "pictures" : url.startsWith("/photos/") ? "photos" : "parts";
    if (!(await kept(url))) missing[kind].push(url);
  }
  missing.pay = needs.vouchers.filter((voucher) => !hasPayCode(voucher));
  return missing;
}

/** The words and picture of the status line (role=status). @param {string} text @param {string} state */
function say(text, state) {
  words.className = `notice notice-${{ ready: "success", offline: "warning" }[state] || "info"}`;
  const picture = /** @type {HTMLImageElement} */ (words.querySelector("img"));
  if (picture.getAttribute("src") !== strings.icons[state]) picture.src = strings.icons[state];
  const span = /** @type {HTMLElement} */ (words.querySelector("span"));
  if (span.textContent !== text) span.textContent = text;
}

/** @param {Missing} missing @param {boolean} [tried]  after "Get it now" */
function show(missing, tried = false) {
  last = missing;
  const parts = KINDS.filter((kind) => missing[kind].length).map((kind) => {
    const n = missing[kind].length;
    return strings[`${kind}_${n === 1 ? "one" : "other"}`].replace("{n}", String(n));
  });
  if (missing.pay.length) parts.push(strings.pay);
  /** @type {HTMLElement} */ (root).dataset.ready = parts.length ? "no" : "yes";
  button.hidden = !parts.length || !navigator.onLine;
  if (!parts.length) say(strings.everything, "ready");
  // Offline nothing can be fetched: the trip still works, with words where pictures are.
  else if (!navigator.onLine) say([...parts, strings.still_go].join(" "), "offline");
  else say([...parts, ...(tried ? [strings.not_all] : [])].join(" "), "missing");
}

/** Have the service worker fetch and keep these; resolves when it answers (or after a while).
 * @param {string[]} pages @param {string[]} files */
async function keep(pages, files) {
  // On a first visit the worker may still be installing: it is waited for, a while.
  const timeout = new Promise((resolve) => setTimeout(resolve, KEEP_WAIT_MS / 6));
  const registration = await Promise.race([navigator.serviceWorker.ready, timeout]);
  const worker = /** @type {ServiceWorkerRegistration | undefined} */ (registration)?.active;
  if (!worker) return;
  await new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = resolve;
    setTimeout(resolve, KEEP_WAIT_MS);
    worker.postMessage({ type: "keep", pages, files }, [channel.port2]);
  });
}

/** @param {Missing} missing */
const missingFiles = (missing) => KINDS.flatMap((kind) => (kind === "screens" ? [] : missing[kind]));

async function getNow() {
  if (busy || !last) return;
  busy = button.disabled = true;
  say(strings.getting, "missing");
  try {
    if (last.pay.length) {
      const { fetchCodes } = await import("./pay.js");
      for (const voucher of last.pay) await fetchCodes(voucher);
    }
    // Every screen again (a kept copy may be old) and the missing files; a screen that was
    // missing may name more, fetched in a second round.
    const asked = new Set(missingFiles(last));
    await keep(needs.pages, [...asked]);
    let missing = await look();
    const more = missingFiles(missing).filter((url) => !asked.has(url));
    if (more.length && navigator.onLine) {
      await keep([], more);
      missing = await look();
    }
    show(missing, true);
  } finally {
    busy = button.disabled = false;
  }
}

async function refresh() {
  if (!busy) show(await look());
}

async function start() {
  if (!root || !needs || !("caches" in window) || !("serviceWorker" in navigator)) return;
  root.hidden = false;
  let missing = await look();
  // This very screen is kept by the service worker as it arrives: a moment for that.
  for (let tries = 0; tries < 5 && missing.screens.includes(location.pathname); tries += 1) {
    if (!navigator.serviceWorker.controller) break;
    await new Promise((resolve) => setTimeout(resolve, 400));
    missing = await look();
  }
  show(missing);
  button.addEventListener("click", getNow);
  // The worker says when it kept something (the start screen asks it to keep all: main.js).
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type === "kept") refresh();
  });
  window.addEventListener("online", refresh);
  window.addEventListener("offline", refresh);
}

start();
