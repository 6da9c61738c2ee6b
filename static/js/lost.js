// @ts-check
// "I am lost" on the help card (templates/trips/lost.html; issue 18, item 6). After the tap it
// shows, large, the words for the shop staff and the parent's number with "Call my parent", and
// records the use on the person's trip through the outbox (so it is kept offline too). Only when
// a parent turned sharing on (data-share) does it ask for the phone's position — after the tap,
// never before — and then sends it to the parents' alerts (POST data-url, while online) and puts
// it in a text message (sms:) ready to send when there is no mobile data. With sharing off no
// position is read, sent or written anywhere.

import { pageData } from "./phone.js";
import * as store from "./outbox.js";

/** A trip the phone is on, as "I am lost" records it. @typedef {{trip_id: string, step: number | null}} TripRef */

// An unfinished trip older than this is not "the trip going on" (a trip never finished).
const CURRENT_TRIP_MS = 12 * 60 * 60 * 1000;
const POSITION_OPTIONS = { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 };

/** The phone's position, asked only now. @returns {Promise<GeolocationPosition>} */
function where() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) reject(new Error("no geolocation"));
    else navigator.geolocation.getCurrentPosition(resolve, reject, POSITION_OPTIONS);
  });
}

/**
 * Record "I am lost" on the trip this phone is on (the help card page, outside trip mode):
 * the newest unfinished trip of the last hours kept on the phone, if there is one.
 * @param {HTMLElement} root @param {string} id @param {string} clientTime
 * @returns {Promise<TripRef | null>}
 */
async function recordOnPhone(root, id, clientTime) {
  if (!root.dataset.who || !("indexedDB" in window)) return null;
  const db = await store.open(root.dataset.who);
  const csrf =
    /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="csrf_token"]'))?.value || "";
  await store.start(db, { family: root.dataset.family, csrf });
  /** @type {any[]} */
  const kept = await new Promise((resolve, reject) => {
    const req = db.transaction("trips").objectStore("trips").getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const going = kept
    .filter((t) => !t.finished && t.started_at && Date.now() - t.started_at < CURRENT_TRIP_MS)
    .sort((a, b) => b.started_at - a.started_at)[0];
  if (!going) return null;
  await store.change(db, "trip.event", {
    id,
    trip_id: going.trip_id,
    plan_id: going.plan_id,
    kind: "lost",
    step: going.step,
    value: "",
    client_time: clientTime,
  });
  // Sent now when there is internet; otherwise the next page or the service worker sends it.
  store.sync(db, fetch, { pull: false }).catch(() => {});
  return { trip_id: going.trip_id, step: going.step };
}

/**
 * Start "I am lost" on this page.
 * @param {{record?: (id: string, clientTime: string) => TripRef | null}} [options]
 *   trip mode records the use itself (with where the person is) and says on which trip
 */
export function setUpLost({ record } = {}) {
  const root = document.getElementById("lost");
  if (!root) return;
  const strings = pageData("lost-strings") || {};
  const open = /** @type {HTMLButtonElement} */ (root.querySelector("#lost-open"));
  const card = /** @type {HTMLElement} */ (root.querySelector("#lost-card"));
  const status = /** @type {HTMLElement} */ (root.querySelector("#lost-status"));
  const sms = /** @type {HTMLAnchorElement | null} */ (root.querySelector("#lost-sms"));
  /** @param {string} text */
  const say = (text) => {
    status.textContent = text;
  };

  open.hidden = false;
  open.addEventListener("click", async () => {
    open.hidden = true;
    card.hidden = false;
    // The help card's own "Call my parent" is in the card now: one of it on the screen.
    root.closest(".help-card")?.classList.add("is-lost");
    /** @type {HTMLElement} */ (card.querySelector("#lost-words")).focus();
    const id = crypto.randomUUID();
    const clientTime = new Date().toISOString();
    /** @type {TripRef | null} */
    let trip = null;
    try {
      trip = record ? record(id, clientTime) : await recordOnPhone(root, id, clientTime);
    } catch {
      // Not recorded (no storage): the card still helps.
    }
    if (root.dataset.share !== "1") return;
    say(strings.finding);
    let position;
    try {
      position = await where();
    } catch {
      say(strings.no_position);
      return;
    }
    const lat = position.coords.latitude.toFixed(5);
    const lon = position.coords.longitude.toFixed(5);
    const link = (root.dataset.map || "").replace("{lat}", lat).replace("{lon}", lon);
    if (sms) {
      const text = strings.sms.replace("{lat}", lat).replace("{lon}", lon).replace("{link}", link);
      sms.href = `sms:${root.dataset.phone}?body=${encodeURIComponent(text)}`;
      sms.hidden = false;
    }
    if (!navigator.onLine || !root.dataset.url) {
      say(strings.offline);
      return;
    }
    const csrf =
      /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="csrf_token"]'))?.value || "";
    try {
      const response = await fetch(root.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
        body: JSON.stringify({
          latitude: Number(lat),
          longitude: Number(lon),
          id,
          trip_id: trip?.trip_id || null,
          step: trip ? trip.step : null,
          client_time: clientTime,
        }),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) say(answer.error || strings.not_sent);
      else say(answer.sent ? strings.sent : strings.nobody);
    } catch {
      say(strings.offline);
    }
  });
}

// The help card page starts it here; trip mode (trip.js) starts it with its own recording.
if (document.getElementById("lost")?.dataset.standalone) setUpLost();
