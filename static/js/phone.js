// @ts-check
// What the person's screens (the shopping view and trip mode) share: the page's data, reading
// aloud, and the phone's own copy with its outbox (outbox.js). Every change is written on the
// phone first, in one IndexedDB transaction with its outbox entry, and sent when there is
// internet: on start, when the internet comes back, when the page is shown again, every 30
// seconds while the page is open, on the service worker's `sync` event, and on "Send now".

import * as store from "./outbox.js";

/**
 * Read the JSON a template put in <script type="application/json" id="…">.
 * @param {string} id
 * @returns {any}
 */
export function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(/** @type {string} */ (element.textContent)) : null;
}

/** The phone's voice for the page's language (zh-CN or en), or null when it has none. Chromium
 * fills its list of voices a moment after the page opens: wait for it, a second at most.
 * @returns {Promise<SpeechSynthesisVoice | null>} */
async function voiceForPage() {
  if (!("speechSynthesis" in window)) return null;
  let voices = window.speechSynthesis.getVoices();
  if (!voices.length) {
    voices = await new Promise((resolve) => {
      const done = () => resolve(window.speechSynthesis.getVoices());
      window.speechSynthesis.addEventListener("voiceschanged", done, { once: true });
      setTimeout(done, 1000);
    });
  }
  const chinese = document.documentElement.lang.toLowerCase().startsWith("zh");
  /** @param {SpeechSynthesisVoice} voice */
  const lang = (voice) => voice.lang.toLowerCase().replace("_", "-");
  // A Chinese page is Mandarin: a Cantonese voice (zh-HK, yue) is another language.
  const matching = voices.filter((voice) =>
    chinese ? lang(voice).startsWith("zh") && !/^zh-(hk|mo|yue)/.test(lang(voice)) : lang(voice).startsWith("en"),
  );
  const first = chinese ? ["zh-cn", "zh-hans"] : ["en-gb", "en-us"];
  return matching.find((voice) => first.some((code) => lang(voice).startsWith(code))) || matching[0] || null;
}

/** Speak a text with the phone's voice for the page's language, only ever because the person
 * tapped a button. Returns false when the phone has no such voice (nothing is said in another
 * language's voice).
 * @param {string} text */
export async function say(text) {
  const voice = await voiceForPage();
  if (!voice) return false;
  window.speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.voice = voice;
  utterance.lang = voice.lang;
  window.speechSynthesis.speak(utterance);
  return true;
}

/** The one player of the guardian's recordings on a page: never autoplay, started by a tap. */
function player() {
  let audio = /** @type {HTMLAudioElement | null} */ (document.getElementById("read-aloud-player"));
  if (!audio) {
    audio = document.createElement("audio");
    audio.id = "read-aloud-player";
    audio.preload = "none";
    audio.hidden = true;
    document.body.append(audio);
  }
  return audio;
}

/** The words beside a "Read aloud" button when the phone cannot read aloud (role=status).
 * @param {HTMLElement} button */
function wordsBeside(button) {
  const next = button.nextElementSibling;
  if (next?.classList.contains("read-aloud-words")) return /** @type {HTMLElement} */ (next);
  const words = document.createElement("p");
  words.className = "read-aloud-words";
  words.setAttribute("role", "status");
  button.after(words);
  return words;
}

/**
 * "Read aloud" was tapped: the guardian's recording when there is one (issue 18), else the
 * phone's voice in the page's language; when the phone has none, words beside the button say
 * so (its data-no-voice) instead of staying silent.
 * @param {HTMLElement} button @param {string} text @param {string} [clip]  the recording's URL
 */
export async function readAloud(button, text, clip = "") {
  const words = wordsBeside(button);
  words.textContent = "";
  if (clip) {
    const audio = player();
    if (audio.getAttribute("src") !== clip) audio.src = clip;
    audio.currentTime = 0;
    try {
      await audio.play();
      return;
    } catch {
      // Not on the phone (never fetched) or not playable here: the phone's voice reads it.
    }
  }
  if (!(await say(text))) words.textContent = button.dataset.noVoice || "";
}

/**
 * @typedef {object} Local  the phone's copy, open for this page
 * @property {IDBDatabase} db
 * @property {(name: string, args: Record<string, any>, write?: (stores: store.LocalStores) => void) => Promise<void>} change
 *   write a change and its outbox entry, then send
 * @property {() => Promise<void>} syncNow
 */

const RETRY_MS = 30_000;
const PERSIST_KEY = "startrip.persist-asked";

/**
 * Open the phone's copy for this page's account or phone (#sync-status says whose).
 * `onSynced()` runs after every pull, so the page can draw what other devices changed.
 * Returns null when the page has no sync line (a parent's preview, say).
 * @param {{onSynced?: () => Promise<void> | void}} [options]
 * @returns {Promise<Local | null>}
 */
export async function openLocal({ onSynced } = {}) {
  const line = document.getElementById("sync-status");
  if (!line || !("indexedDB" in window)) return null;
  const strings = pageData("sync-strings") || {};
  const db = await store.open(/** @type {string} */ (line.dataset.who));
  const csrf =
    /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="csrf_token"]'))?.value || "";
  await store.start(db, { family: line.dataset.family, csrf });
  line.hidden = false;
  // The sync line's parts (templates/components/sync_status.html) are always there.
  const words = /** @type {HTMLElement} */ (document.getElementById("sync-words"));
  const picture = /** @type {HTMLImageElement} */ (line.querySelector(".sync-words img"));
  const button = /** @type {HTMLButtonElement} */ (document.getElementById("sync-now"));
  /** @type {number | undefined} */
  let timer;
  /** @type {Promise<void> | null} */
  let running = null;

  /** @param {string} text @param {boolean} waiting */
  function show(text, waiting) {
    if (words.textContent !== text) words.textContent = text;
    picture.src = waiting ? "/openmoji/1F4F1.svg" : "/openmoji/2705.svg";
    /** @type {HTMLElement} */ (line).dataset.waiting = waiting ? "yes" : "no";
    button.hidden = !waiting;
  }

  /** @param {Partial<store.SyncResult>} [result] @param {boolean} [asked] */
  async function drawState(result = {}, asked = false) {
    const waiting = (await store.outbox(db)).length;
    if (result.denied) {
      show(strings.denied, waiting > 0);
    } else if (result.refused?.length) {
      show(strings.refused.replace("{error}", result.refused.join(" ")), waiting > 0);
    } else if (asked && waiting) {
      // "Send now" was pressed and the server could not be reached: say so, it is not lost.
      show(strings.not_now, true);
    } else {
      show(waiting ? strings.waiting : strings.sent, waiting > 0);
    }
    // While something waits, try again; while the page is open, look for other devices'
    // changes now and then too (a parent adding to the list).
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (document.visibilityState === "visible") syncNow();
      else timer = undefined;
    }, RETRY_MS);
  }

  /** @param {boolean} [asked] */
  async function run(asked = false) {
    const result = await store.sync(db);
    await drawState(result, asked);
    await onSynced?.();
  }

  /** One sync at a time; a call while one runs waits for it and then runs once more.
   * @param {boolean} asked */
  function queue(asked) {
    const next = () => run(asked);
    const promise = (running || Promise.resolve()).then(next, next);
    running = promise;
    promise
      .finally(() => {
        if (running === promise) running = null;
      })
      .catch(() => {});
    return promise;
  }

  function syncNow() {
    return queue(false);
  }

  /** @type {Local["change"]} */
  async function change(name, args, write) {
    await store.change(db, name, args, write);
    await drawState();
    askToKeep();
    askForBackgroundSync();
    syncNow();
  }

  button.addEventListener("click", () => {
    show(strings.sending, true);
    queue(true);
  });
  window.addEventListener("online", syncNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data?.type === "synced") syncNow();
  });
  await drawState();
  // The page came with fresh data: on a first visit the phone waits for its first change, or
  // the 30-second look, before it pulls everything (a lighter first visit on a slow network).
  if ((await store.outbox(db)).length || (await store.cursor(db)) > 0) syncNow();
  return { db, change, syncNow };
}

/** After the first real change, ask the browser to keep this phone's data (no prompt in
 * Chromium; it decides by itself). */
function askToKeep() {
  if (localStorage.getItem(PERSIST_KEY) || !navigator.storage?.persist) return;
  localStorage.setItem(PERSIST_KEY, "1");
  navigator.storage.persist().catch(() => {});
}

/** Where the browser has Background Sync, the service worker sends the outbox even after the
 * page is closed; everywhere else the triggers above do it. */
async function askForBackgroundSync() {
  try {
    /** @type {(ServiceWorkerRegistration & {sync?: {register(tag: string): Promise<void>}}) | undefined} */
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("startrip-outbox");
  } catch {
    // Not allowed or not there: the page's own triggers still send.
  }
}
