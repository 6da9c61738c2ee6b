// @ts-check
// Trip mode (templates/trips/go.html), local-first as SYNC.md "Where offline lives" describes:
// the plan comes with the page (#trip-data) and stepping through it happens on the phone. Where
// the person is and what happened (the trip's events) are written together, in one IndexedDB
// transaction, and the events wait in the outbox until the server has them.
// Nothing here moves on by itself: the timer only shows time passing; the person taps Done.

import { openLocal, pageData, readAloud } from "./phone.js";
import { keepTrip, trip as storedTrip } from "./outbox.js";
import { setUpLost } from "./lost.js";

const data = pageData("trip-data");
const strings = pageData("trip-strings") || {};
/** An element of templates/trips/go.html (every id used here is always there). @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

// --- where the person is: kept on the phone (a preview keeps nothing) -------------------------

/**
 * @typedef {object} Step
 * @property {number} number  1, 2, 3 …
 * @property {string} text
 * @property {string} picture
 * @property {string} level  "full", … "least"
 * @property {number} wait  minutes, 0 for none
 * @property {string} [link]  "list" or "pay"
 * @property {string} [link_url]
 * @property {{url: string, alt: string}} [shop_photo]  the plan's shop's entrance or till
 * @property {string} [clip]  the guardian's recording, played by "Read aloud"
 */
/**
 * @typedef {object} TripState  where the person is, kept on the phone (outbox.js "trips")
 * @property {string} trip_id
 * @property {number} step  index into steps
 * @property {Record<number, number>} timers  when each step's timer started (ms)
 * @property {boolean} finished
 * @property {Step[]} [steps]  the steps this trip started with
 * @property {string} asking  "before", "after" or "" (the feelings check)
 * @property {number} [started_at]  when it started (ms): the help card page's "I am lost" finds it
 */

/** Set by start(), or read from the phone, before any screen that uses it shows.
 * @type {TripState} */
let state = /** @type {any} */ (null);
/** @type {import("./phone.js").Local | null} */
let local = null;

/**
 * Record an event of the trip and where the person is now, as one change on the phone.
 * @param {string} kind
 * @param {number | null} step
 * @param {string} [value]
 * @param {string} [id]  the event's id ("I am lost" sends the same id to the server itself)
 */
function record(kind, step, value = "", id = crypto.randomUUID()) {
  if (!data.record || !local) return;
  const snapshot = { ...state, plan_id: data.plan.id };
  local.change(
    "trip.event",
    {
      id,
      trip_id: state.trip_id,
      plan_id: data.plan.id,
      kind,
      step,
      value,
      client_time: new Date().toISOString(),
    },
    ({ trips }) => trips.put(snapshot),
  );
}

// --- screens -------------------------------------------------------------------------------------

/** @type {number | undefined} */
let timer;

/** @param {string} id */
function showScreen(id) {
  for (const screen of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".trip-screen"))) {
    screen.hidden = screen.id !== id;
  }
}

/** @param {number} secondsLeft */
function minutesWords(secondsLeft) {
  if (secondsLeft <= 0) return strings.time_up;
  if (secondsLeft < 60) return strings.under_a_minute;
  const minutes = Math.ceil(secondsLeft / 60);
  return (minutes === 1 ? strings.minutes_one : strings.minutes_other).replace("{n}", minutes);
}

/** @param {Step} step */
function drawTimer(step) {
  const total = step.wait * 60;
  const started = state.timers[step.number] || Date.now();
  const left = Math.max(total - Math.floor((Date.now() - started) / 1000), 0);
  // The ring shrinks by whole steps: drawn again each second, never animated.
  $("timer-left").setAttribute("stroke-dasharray", `${(left / total) * 100} 100`);
  const words = minutesWords(left);
  if ($("timer-words").textContent !== words) $("timer-words").textContent = words;
}

/** @param {Step} step */
function startTimer(step) {
  clearInterval(timer);
  timer = undefined;
  $("step-timer").hidden = !step.wait;
  if (!step.wait) return;
  if (!state.timers[step.number]) {
    state.timers[step.number] = Date.now();
    record("timer_started", step.number - 1);
  }
  drawTimer(step);
  timer = setInterval(() => drawTimer(step), 1000);
}

/** The steps this trip started with: a plan changed meanwhile does not move the person. */
function tripSteps() {
  return state.steps || data.steps;
}

function showStep() {
  const steps = tripSteps();
  const step = steps[Math.min(state.step, steps.length - 1)];
  $("step-count").textContent = strings.count.replace("{n}", step.number).replace("{total}", steps.length);
  const picture = /** @type {HTMLImageElement} */ ($("step-picture"));
  picture.src = step.picture;
  // The real shop (issue 18): its entrance or till photo at the step where it is met.
  const shopPhoto = /** @type {HTMLImageElement} */ ($("step-shop-photo"));
  shopPhoto.hidden = !step.shop_photo;
  if (step.shop_photo) {
    shopPhoto.src = step.shop_photo.url;
    shopPhoto.alt = step.shop_photo.alt;
  }
  // "Least help" shows the picture only; the sentence stays for screen readers.
  $("step-text").textContent = step.text;
  $("step-text").classList.toggle("visually-hidden", step.level === "least");
  // A picture not on the phone (offline): its sentence shows in its place, as "Ready for the
  // shop" promises (ready.js); the error listener in init() does it for one still loading.
  if (picture.complete && !picture.naturalWidth) $("step-text").classList.remove("visually-hidden");
  // Shown even where the phone has no voice: tapped, it says so in words (phone.js readAloud).
  $("step-say").hidden = !(step.level === "full" && data.read_aloud);
  document.querySelector("#step-say + .read-aloud-words")?.remove();
  const link = /** @type {HTMLAnchorElement} */ ($("step-link"));
  link.hidden = !(step.link === "list" && step.link_url);
  if (!link.hidden) link.href = `${step.link_url}?from_plan=${data.plan.id}`;
  // A parent's preview cannot open the person's voucher.
  $("step-pay").hidden = step.link !== "pay" || !data.record;
  const next = steps[state.step + 1];
  // One-step mode, and a picture-only step, show nothing of the next step.
  $("step-next").hidden = !next || data.one_step || step.level === "least";
  $("step-next").textContent = next ? strings.next.replace("{text}", next.text) : "";
  $("step-back").hidden = state.step === 0;
  showScreen("trip-step");
  startTimer(step);
  $("step-count").focus({ preventScroll: true });
}

function showFinish() {
  showScreen("trip-finish");
  $("finish-title").focus({ preventScroll: true });
}

function finish() {
  clearInterval(timer);
  state.finished = true;
  state.asking = data.feelings ? "after" : "";
  record("finish", state.step);
  if (state.asking) showFeelings();
  else showFinish();
}

// --- the feelings check: before and after, never needed to go on --------------------------------

function showFeelings() {
  $("feeling-question").textContent = state.asking === "before" ? strings.feel_before : strings.feel_after;
  showScreen("trip-feeling");
  $("feeling-question").focus({ preventScroll: true });
}

/** @param {string} value */
function answerFeeling(value) {
  const asked = state.asking;
  state.asking = "";
  if (value) record(`feeling_${asked}`, null, value);
  else if (data.record && local) keepTrip(local.db, { ...state, plan_id: data.plan.id });
  if (asked === "before") showStep();
  else showFinish();
}

function start() {
  state = {
    trip_id: crypto.randomUUID(),
    step: 0,
    timers: {},
    finished: false,
    steps: data.steps,
    asking: data.feelings ? "before" : "",
    started_at: Date.now(),
  };
  record("start", 0);
  if (state.asking) showFeelings();
  else showStep();
}

async function init() {
  if (!data || !data.steps.length) return;
  if (data.record) {
    local = await openLocal().catch(() => null);
    state = local ? await storedTrip(local.db, data.plan.id) : null;
  }
  $("start-trip").hidden = false;
  $("start-trip").addEventListener("click", start);
  $("step-picture").addEventListener("error", () => $("step-text").classList.remove("visually-hidden"));
  // Each event is written with where the person is after it, so a reload goes on from there.
  $("step-done").addEventListener("click", () => {
    const done = state.step;
    if (done >= tripSteps().length - 1) {
      state.finished = true;
      record("step_done", done);
      finish();
      return;
    }
    state.step += 1;
    record("step_done", done);
    showStep();
  });
  $("step-back").addEventListener("click", () => {
    if (state.step === 0) return;
    const from = state.step;
    state.step -= 1;
    record("step_back", from);
    showStep();
  });
  $("step-say").addEventListener("click", () => {
    const step = tripSteps()[state.step];
    readAloud($("step-say"), step.text, step.clip);
  });
  const helpSay = document.getElementById("help-say");
  helpSay?.addEventListener("click", () => readAloud(helpSay, helpSay.dataset.say || "", helpSay.dataset.clip || ""));
  const card = /** @type {HTMLDialogElement} */ ($("help-card"));
  $("help-open").addEventListener("click", () => {
    card.showModal();
    if (state && !state.finished) record("help_shown", state.step);
  });
  $("help-close").addEventListener("click", () => card.close());
  // "I am lost" is recorded on this trip, at the step the person is on.
  setUpLost({
    record: (id) => {
      if (!data.record || !local || !state || state.finished) return null;
      record("lost", state.step, "", id);
      return { trip_id: state.trip_id, step: state.step };
    },
  });
  card.addEventListener("close", () => {
    if (state && !state.finished) record("help_closed", state.step);
  });
  for (const id of ["step-count", "finish-title", "feeling-question"]) $(id).tabIndex = -1;
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-feeling]"))) {
    button.addEventListener("click", () => answerFeeling(/** @type {string} */ (button.dataset.feeling)));
  }
  // Back from the shopping list (or the page reloaded): the trip goes on where it was.
  if (state?.asking) showFeelings();
  else if (state && !state.finished) showStep();
}

init();
