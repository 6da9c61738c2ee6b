// @ts-check
// The shopping view (templates/lists/shop.html), local-first as SYNC.md "Where offline lives"
// describes: the cards are drawn from the list's data, every tap changes the phone's copy at
// once, in one IndexedDB transaction with its outbox entry, and is sent when there is internet.
// The page brings the list as the server had it (#shopping-data, with its pull cursor); what
// the phone pulled since and what waits in its outbox are drawn on top, so a reload with no
// internet shows the same as before.

import { openLocal, pageData, readAloud } from "./phone.js";
import { outbox, rowsOf } from "./outbox.js";

const data = pageData("shopping-data");
const strings = pageData("shopping-strings") || {};

/**
 * @typedef {object} Item  one card, as the page and pull bring it
 * @property {string} id
 * @property {string} area
 * @property {string} state  "open", "ticked" or "not_found"
 * @property {[string, string]} [marked]  (client_time, id) of the newest mark
 * @property {string} label
 * @property {string} alt
 * @property {string} note
 * @property {string} picture
 * @property {number} pictures
 * @property {number} quantity
 * @property {string} [clip]  the guardian's recording, played by "Read aloud" (issue 18)
 * @property {PlanB | null} [plan_b]  what to do when it is not there (issue 18)
 * @property {string} [used]  the plan B the newest mark says was used: "other", "ask", "leave"
 */

/**
 * @typedef {object} PlanB  the guardian's plan B of an item
 * @property {string} kind  "other" (take another item), "ask" (ask the staff) or "leave"
 * @property {string} label  the other item's name
 * @property {string} picture  the other item's picture
 */

/** The state an item is in after a mark: "cleared" (undo) opens it again.
 * @param {string} markState */
function stateAfter(markState) {
  return markState === "cleared" ? "open" : markState;
}

/** Marks order by (client_time, id), the same rule as the server's item_states.
 * @param {[string, string]} mark @param {[string, string] | undefined} than */
function newer(mark, than) {
  if (!than) return true;
  const [a, b] = [Date.parse(mark[0]), Date.parse(than[0])];
  return a > b || (a === b && mark[1] > than[1]);
}

// --- drawing ---------------------------------------------------------------------------------

/** @type {Map<string, Item>} */
const items = new Map((data?.items || []).map((/** @type {Item} */ item) => [item.id, { ...item }]));
/** @type {import("./phone.js").Local | null} */
let local = null;

/** The page's list, then what the phone pulled since the page was made, then its outbox. */
async function loadLocal() {
  if (!local) return;
  for (const row of await rowsOf(local.db, "items")) {
    if (row.list_id !== data.list.id || row.change_seq <= data.cursor) continue;
    if (row.deleted_at) {
      items.delete(row.id);
    } else {
      items.set(row.id, { ...items.get(row.id), ...row.view, id: row.id, area: row.area });
    }
  }
  const marks = (await rowsOf(local.db, "marks")).map((row) => ({ ...row }));
  for (const entry of await outbox(local.db)) {
    if (entry.name === "item.mark") marks.push(entry.args);
  }
  marks.sort((a, b) => (newer([a.client_time, a.id], [b.client_time, b.id]) ? 1 : -1));
  for (const mark of marks) {
    const item = items.get(mark.item_id);
    if (item && newer([mark.client_time, mark.id], item.marked)) {
      item.state = stateAfter(mark.state);
      item.marked = [mark.client_time, mark.id];
      item.used = mark.state === "cleared" ? "" : mark.plan_b || "";
    }
  }
}

/** @param {string} text @param {string} kind */
function showStatus(text, kind) {
  const status = document.getElementById("status");
  if (!status) return;
  let notice = document.getElementById("shopping-status");
  if (!notice) {
    notice = document.createElement("p");
    notice.id = "shopping-status";
    status.append(notice);
  }
  notice.className = `notice notice-${kind}`;
  const icon = document.createElement("img");
  icon.className = "icon icon-sm";
  icon.alt = "";
  icon.src = kind === "warning" ? "/openmoji/1F4F5.svg" : "/openmoji/2705.svg";
  notice.replaceChildren(icon, document.createTextNode(text));
}

/** @param {HTMLElement} card @param {string} state */
function applyState(card, state) {
  card.dataset.state = state;
  /** @type {HTMLButtonElement} */ (card.querySelector(".tick")).disabled = state !== "open" || !strings.can_tick;
  /** @type {HTMLElement} */ (card.querySelector(".state-open")).hidden = state !== "open";
  /** @type {HTMLElement} */ (card.querySelector(".state-ticked")).hidden = state !== "ticked";
  /** @type {HTMLElement} */ (card.querySelector(".state-not_found")).hidden = state !== "not_found";
  for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (card.querySelectorAll("form[data-part]"))) {
    form.hidden = (form.dataset.part === "open") !== (state === "open");
  }
}

/** The plan B the person used, in words on the card (issue 18).
 * @param {HTMLElement} card @param {Item} item */
function showUsed(card, item) {
  const text = /** @type {HTMLElement | null} */ (card.querySelector(".plan-b-text"));
  if (!text) return;
  const used = item.state === "open" ? "" : item.used || "";
  text.textContent = used ? (strings[`used_${used}`] || "").replace("{other}", item.plan_b?.label || "") : "";
  text.hidden = !text.textContent;
}

/** @param {string} id */
function fromTemplate(id) {
  return /** @type {HTMLElement} */ (
    /** @type {HTMLTemplateElement} */ (document.getElementById(id)).content.firstElementChild
  );
}

/** @param {Item} item */
function drawCard(item) {
  const card = /** @type {HTMLElement} */ (fromTemplate("card-template").cloneNode(true));
  card.id = `item-${item.id}`;
  card.dataset.itemId = item.id;
  for (const form of card.querySelectorAll("form")) {
    form.action = `/lists/${data.list.id}/items/${item.id}/mark`;
  }
  const pictures = /** @type {HTMLElement} */ (card.querySelector(".item-pictures"));
  pictures.setAttribute("aria-label", item.alt);
  const parts = [];
  for (let n = 0; n < item.pictures; n += 1) {
    const img = document.createElement("img");
    img.src = item.picture;
    img.alt = "";
    img.width = 56;
    img.height = 56;
    parts.push(img);
  }
  if (item.quantity > 5) {
    const times = document.createElement("span");
    times.className = "times";
    times.setAttribute("aria-hidden", "true");
    times.textContent = `× ${item.quantity}`;
    parts.push(times);
  }
  pictures.replaceChildren(...parts);
  /** @type {HTMLElement} */ (card.querySelector(".label")).textContent = item.label;
  const note = /** @type {HTMLElement} */ (card.querySelector(".note"));
  note.textContent = item.note;
  note.hidden = !item.note;
  const sayButton = /** @type {HTMLButtonElement | null} */ (card.querySelector(".read-aloud"));
  if (sayButton) {
    sayButton.dataset.say = item.label;
    sayButton.dataset.clip = item.clip || "";
    // Shown even where the phone has no voice: tapped, it says so in words (phone.js).
    sayButton.hidden = false;
  }
  applyState(card, item.state);
  showUsed(card, item);
  return card;
}

function drawProgress() {
  const all = [...items.values()];
  const done = all.filter((item) => item.state === "ticked").length;
  const notFound = all.filter((item) => item.state === "not_found").length;
  /** @type {HTMLElement} */ (document.getElementById("progress-text")).textContent = strings.progress
    .replace("{done}", done)
    .replace("{total}", all.length);
  const bar = /** @type {HTMLProgressElement} */ (document.getElementById("progress-bar"));
  bar.max = all.length || 1;
  bar.value = done;
  const notFoundText = /** @type {HTMLElement} */ (document.getElementById("not-found-text"));
  notFoundText.hidden = notFound === 0;
  const template = notFound === 1 ? strings.not_found_one : strings.not_found_other;
  notFoundText.textContent = template.replace("{n}", notFound);
}

function draw() {
  const areaTemplate = fromTemplate("area-template");
  const sections = [];
  for (const area of data.areas) {
    const inArea = [...items.values()].filter((item) => item.area === area.id);
    if (!inArea.length) continue;
    const section = /** @type {HTMLElement} */ (areaTemplate.cloneNode(true));
    section.dataset.area = area.id;
    /** @type {HTMLImageElement} */ (section.querySelector("img")).src = area.picture;
    /** @type {HTMLElement} */ (section.querySelector("h2 span")).textContent = area.label;
    // The shop's own photo of the area (issue 18), kept for offline with the page's files.
    const photo = /** @type {HTMLImageElement} */ (section.querySelector(".area-photo"));
    if (area.photo) {
      photo.src = area.photo;
      photo.hidden = false;
    } else {
      photo.remove();
    }
    /** @type {HTMLElement} */ (section.querySelector("ul")).append(...inArea.map(drawCard));
    sections.push(section);
  }
  /** @type {HTMLElement} */ (document.getElementById("shopping-items")).replaceChildren(...sections);
  drawProgress();
}

/** What the cards show, to redraw only when a sync changed something. */
function shown() {
  return JSON.stringify([...items.values()]);
}

// --- changes ---------------------------------------------------------------------------------

/** @param {HTMLElement} card @param {string} state @param {string} [planB] the plan B used */
async function mark(card, state, planB = "") {
  const item = items.get(/** @type {string} */ (card.dataset.itemId));
  if (!item) return;
  const args = {
    id: crypto.randomUUID(),
    list_id: data.list.id,
    item_id: item.id,
    state,
    client_time: new Date().toISOString(),
    plan_b: planB,
  };
  await /** @type {import("./phone.js").Local} */ (local).change("item.mark", args);
  item.state = stateAfter(state);
  item.marked = [args.client_time, args.id];
  item.used = state === "cleared" ? "" : planB;
  applyState(card, item.state);
  showUsed(card, item);
  drawProgress();
  const all = [...items.values()];
  const finished = all.length && all.every((each) => each.state !== "open");
  const said = { other: strings.took_other, leave: strings.left_it }[state === "not_found" ? planB : ""];
  const words = (said || strings[state]).replace("{label}", item.label).replace("{other}", item.plan_b?.label || "");
  showStatus(finished ? `${words} ${strings.all_done}` : words, "success");
  // The button pressed may now be hidden or disabled: keep the focus on this card.
  /** @type {HTMLElement | null} */
  const next = item.state === "open" ? card.querySelector(".tick") : card.querySelector('form[data-part="done"] button');
  next?.focus();
}

// --- plan B (issue 18) --------------------------------------------------------------------------

/** The card whose plan B is open. @type {HTMLElement | null} */
let planBCard = null;

/** "I can't find it": the guardian's plan B in one step, or, with none, "not found" as before.
 * @param {HTMLElement} card */
function cannotFind(card) {
  const item = items.get(/** @type {string} */ (card.dataset.itemId));
  const kind = item?.plan_b?.kind || "";
  const dialog = /** @type {HTMLDialogElement | null} */ (document.getElementById("plan-b"));
  if (!item || kind === "leave" || !["other", "ask"].includes(kind) || !dialog) {
    mark(card, "not_found", kind === "leave" ? "leave" : "");
    return;
  }
  for (const part of /** @type {NodeListOf<HTMLElement>} */ (dialog.querySelectorAll(".plan-b-mode"))) {
    const shown = part.dataset.mode === kind;
    part.hidden = !shown;
    if (!shown) continue;
    /** @type {HTMLImageElement} */ (part.querySelector(".plan-b-picture")).src =
      kind === "other" ? /** @type {PlanB} */ (item.plan_b).picture : item.picture;
    const name = part.querySelector(kind === "other" ? ".plan-b-name" : ".plan-b-where");
    /** @type {HTMLElement} */ (name).textContent =
      kind === "other" ? /** @type {PlanB} */ (item.plan_b).label : strings.where_is.replace("{label}", item.label);
  }
  dialog.setAttribute("aria-labelledby", `plan-b-${kind}-title`);
  planBCard = card;
  dialog.showModal();
}

/** A button of the plan B card. @param {string} choice */
async function planBChosen(choice) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("plan-b"));
  const card = planBCard;
  const kind = card ? items.get(/** @type {string} */ (card.dataset.itemId))?.plan_b?.kind || "" : "";
  planBCard = null;
  dialog.close();
  if (!card) return;
  if (choice === "back") {
    /** @type {HTMLElement | null} */ (card.querySelector('form[data-state="not_found"] button'))?.focus();
    return;
  }
  // Took the other item; asked and found it; or it is not there (asked, or the other item too).
  const [state, planB] = {
    took: ["not_found", "other"],
    found: ["ticked", "ask"],
    missing: ["not_found", kind === "ask" ? "ask" : ""],
  }[choice] || ["", ""];
  if (state) await mark(card, state, planB);
}

/** Opened from a trip (?from_plan=…): the way back is to the trip, also on the copy of this
 * page the phone kept for offline, which was made without it. */
function showWayBackToTrip() {
  const plan = new URLSearchParams(window.location.search).get("from_plan") || "";
  if (!/^[0-9a-f-]{36}$/.test(plan)) return;
  // Only who may run the trip gets the way back to it (a caregiver reads the list).
  const box = document.getElementById("back-to-trip");
  if (!box) return;
  /** @type {HTMLAnchorElement} */ (box.querySelector("a")).href = `/plans/${plan}/go`;
  box.hidden = false;
  /** @type {HTMLAnchorElement | null} */
  const back = document.querySelector(".top-nav a.nav-link");
  if (back) back.href = `/plans/${plan}/go`;
}

async function start() {
  if (!data) return;
  showWayBackToTrip();
  // Without IndexedDB the card buttons stay plain forms, sent at once.
  local = await openLocal({
    onSynced: async () => {
      const before = shown();
      await loadLocal();
      if (shown() !== before) {
        draw();
        document.getElementById("shopping-status")?.remove();
      }
    },
  }).catch(() => null);
  await loadLocal();
  draw();
  const root = /** @type {HTMLElement} */ (document.getElementById("shopping-items"));
  root.addEventListener("submit", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    /** @type {HTMLFormElement | null} */
    const form = target.closest("form[data-state]");
    /** @type {HTMLElement | null} */
    const card = target.closest(".shop-card");
    if (!form || !card || !local) return;
    event.preventDefault();
    if (form.dataset.state === "not_found") cannotFind(card);
    else mark(card, /** @type {string} */ (form.dataset.state));
  });
  const planB = document.getElementById("plan-b");
  planB?.addEventListener("click", (event) => {
    /** @type {HTMLElement | null} */
    const button = /** @type {HTMLElement} */ (event.target).closest("[data-plan-b]");
    if (button) planBChosen(/** @type {string} */ (button.dataset.planB));
  });
  // Escape, or the phone's back gesture, is the way back too.
  planB?.addEventListener("cancel", (event) => {
    event.preventDefault();
    planBChosen("back");
  });
  // The other item's picture shows only after "I can't find it", perhaps with no internet:
  // fetched now, the service worker keeps it with the page's files (static/js/sw.js).
  for (const item of items.values()) {
    if (item.plan_b?.picture) new Image().src = item.plan_b.picture;
  }
  root.addEventListener("click", (event) => {
    /** @type {HTMLElement | null} */
    const button = /** @type {HTMLElement} */ (event.target).closest(".read-aloud");
    if (button) readAloud(button, button.dataset.say || "", button.dataset.clip || "");
  });
}

start();
