// @ts-check
// "Ready for the shop" (issue 18, item 5; templates/components/ready_check.html), on the
// person's start screen and at the start of a trip: is everything the trip needs on this phone
// for when there is no signal? The server lists the screens, the pictures, photos and voice
// clips in their data, and the vouchers to keep pay codes for (#ready-needs,
// pwa/trips/queries.py). Each screen's kept copy names more files (its icons, its shop's area
// photos, its voice clips), found here as the service worker finds them (sw.js, FILE_URL).
// Everything is looked for in the Cache Storage the service worker serves from; the pay codes
// where the pay screen keeps them (pay.js). "Get it now" asks the service worker to fetch what
// is missing ("keep") and fetches pay codes, then looks again.

/** @param {string} id @returns {any} */
function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(/** @type {string} */ (element.textContent)) : null;
}

/** @typedef {{pages: string[], files: string[], clips: string[], vouchers: string[]}} Needs */
/** What is not on the phone, by kind, and whether a pay code is missing.
 * @typedef {{screens: string[], pictures: string[], photos: string[], clips: string[], parts: string[], pay: string[]}} Missing */

// The same files the service worker keeps from a screen (sw.js, FILE_URL), and a voice clip:
// a URL under …/clips/…, or one the page's data or markup marks as a clip.
const FILE_URL = /"(\/(?:static|openmoji|photos)\/[^"\s]+)"/g;
const CLIP_URL = /(?:"[a-z_]*clip[a-z_]*"\s*:\s*|data-[a-z-]*clip[a-z-]*=)"(\/[^"\s]+)"|"(\/(?:[^"\s]*\/)?clips\/[^"\s]+)"/g;
const KINDS = /** @type {const} */ (["screens", "pictures", "photos", "clips", "parts"]);
// How long "Get it now" waits for the service worker before it looks again anyway.
const KEEP_WAIT_MS = 60_000;
// The screen being opened is kept by the service worker as it arrives: a moment to finish.
const OWN_COPY_TRIES = 5;
const OWN_COPY_WAIT_MS = 400;

const root = /** @type {HTMLElement | null} */ (document.querySelector('[data-module="ready"]'));
/** @type {Needs} */
const needs = pageData("ready-needs");
const strings = pageData("ready-strings") || {};

/** @param {string} url */
function kindOf(url) {
  if (url.startsWith("/openmoji/")) return "pictures";
  if (url.startsWith("/photos/")) return "photos";
  return "parts";
}

/** @param {string} url */
const isKept = async (url) => Boolean(await caches.match(url));

/** A pay code for the voucher that has not run out (pay.js keeps them so).
 * @param {string} voucher */
function hasPayCode(voucher) {
  try {
    const kept = JSON.parse(/** @type {string} */ (localStorage.getItem(`startrip.pay.${voucher}`)));
    const now = Date.now();
    return (kept?.codes || []).some((/** @type {{expires_at: string}} */ c) => new Date(c.expires_at).getTime() > now);
  } catch {
    return false;
  }
}

/** Look for everything on the phone. @returns {Promise<Missing>} */
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
    if (!(await isKept(url))) missing.clips.push(url);
  }
  for (const url of files) {
    if (!(await isKept(url))) missing[kindOf(url)].push(url);
  }
  missing.pay = needs.vouchers.filter((voucher) => !hasPayCode(voucher));
  return missing;
}

/** Look, giving this very screen a moment to be kept as it arrives.
 * @returns {Promise<Missing>} */
async function lookSettled() {
  const own = location.pathname;
  let missing = await look();
  for (let tries = 0; tries < OWN_COPY_TRIES && missing.screens.includes(own); tries += 1) {
    if (!navigator.serviceWorker?.controller) break;
    await new Promise((resolve) => setTimeout(resolve, OWN_COPY_WAIT_MS));
    missing = await look();
  }
  return missing;
}

/** @param {Missing} missing */
const nothingMissing = (missing) => KINDS.every((kind) => !missing[kind].length) && !missing.pay.length;

/** @param {string} kind @param {number} count */
function countWords(kind, count) {
  return strings[`${kind}_${count === 1 ? "one" : "other"}`].replace("{n}", String(count));
}

const words = /** @type {HTMLElement} */ (document.getElementById("ready-words"));
const button = /** @type {HTMLButtonElement} */ (document.getElementById("ready-get"));

/** Words and a picture in the status line (role=status), never colour alone.
 * @param {string} text @param {"ready" | "missing" | "offline"} state */
function say(text, state) {
  words.className = `notice notice-${state === "ready" ? "success" : state === "offline" ? "warning" : "info"}`;
  const picture = /** @type {HTMLImageElement} */ (words.querySelector("img"));
  const icon = strings.icons[state];
  if (!picture.src.endsWith(icon)) picture.src = icon;
  const span = /** @type {HTMLElement} */ (words.querySelector("span"));
  if (span.textContent !== text) span.textContent = text;
}

/** @type {Missing | null} */
let last = null;
let busy = false;

/** @param {Missing} missing @param {boolean} [tried]  after "Get it now" */
function show(missing, tried = false) {
  last = missing;
  root?.setAttribute("data-ready", nothingMissing(missing) ? "yes" : "no");
  if (nothingMissing(missing)) {
    say(strings.everything, "ready");
    button.hidden = true;
    return;
  }
  const parts = KINDS.filter((kind) => missing[kind].length).map((kind) => countWords(kind, missing[kind].length));
  if (missing.pay.length) parts.push(strings.pay);
  if (!navigator.onLine) {
    // Offline nothing can be fetched: the trip still works, with words where pictures are.
    say([...parts, strings.still_go].join(" "), "offline");
    button.hidden = true;
    return;
  }
  if (tried) parts.push(strings.not_all);
  say(parts.join(" "), "missing");
  button.hidden = false;
}

/** Ask the service worker to fetch and keep these screens and files; resolves when it has
 * (or after KEEP_WAIT_MS, or at once without a worker).
 * @param {string[]} pages @param {string[]} files @returns {Promise<void>} */
async function keep(pages, files) {
  const registration = await navigator.serviceWorker?.getRegistration();
  const worker = registration?.active;
  if (!worker) return;
  await new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(resolve, KEEP_WAIT_MS);
    channel.port1.onmessage = () => {
      clearTimeout(timer);
      resolve(undefined);
    };
    worker.postMessage({ type: "keep", pages, files }, [channel.port2]);
  });
}

/** @param {Missing} missing */
const missingFiles = (missing) => KINDS.filter((kind) => kind !== "screens").flatMap((kind) => missing[kind]);

async function getNow() {
  if (busy || !last) return;
  busy = true;
  button.disabled = true;
  say(strings.getting, "missing");
  try {
    if (last.pay.length) {
      const { fetchCodes } = await import("./pay.js");
      for (const voucher of last.pay) await fetchCodes(voucher);
    }
    // Every screen again (a kept copy may be old), and the files known to be missing; a screen
    // that was missing may name more, so a second round fetches those.
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
    busy = false;
    button.disabled = false;
  }
}

/** Look again (the service worker kept something, the internet came or went). */
async function refresh() {
  if (busy) return;
  show(await look());
}

async function start() {
  if (!root || !needs || !("caches" in window) || !("serviceWorker" in navigator)) return;
  root.hidden = false;
  show(await lookSettled());
  button.addEventListener("click", getNow);
  // The start screen asks the service worker to keep everything when it opens (main.js): it
  // says when it is done, and the check shows the result.
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type === "kept") refresh();
  });
  window.addEventListener("online", refresh);
  window.addEventListener("offline", refresh);
}

start();
