// The shopping view (templates/lists/shop.html), local-first as SYNC.md "Where offline lives"
// describes: the cards are drawn from the list's data, every tap changes that data on the phone
// at once, and the change waits in a queue on the phone until the server has it.
// Today the data comes from the page (#shopping-data) and the queue is localStorage; the
// offline issue swaps both for IndexedDB filled by /api/sync/pull, and nothing else changes.

import { createQueue, pageData, say } from "./phone.js";

const data = pageData("shopping-data");
const strings = pageData("shopping-strings") || {};

/** The state an item is in after a mark: "cleared" (undo) opens it again. */
function stateAfter(markState) {
  return markState === "cleared" ? "open" : markState;
}

// --- drawing ---------------------------------------------------------------------------------

const items = new Map((data?.items || []).map((item) => [item.id, { ...item }]));
// Marks made on this phone and not yet sent are newer than the page: they win.
let keptOnPhone = false;
const queue = createQueue({
  key: "startrip.pending-marks",
  url: (mark) => `/api/lists/${mark.list_id}/marks`,
  onKept: () => {
    keptOnPhone = true;
    showStatus(strings.saved_here, "warning");
  },
  // Only worth saying when something had to wait; otherwise the tap's own words stay.
  onSent: () => {
    if (keptOnPhone) showStatus(strings.sent, "success");
    keptOnPhone = false;
  },
  onRefused: (error) => showStatus(error, "warning"),
});

for (const mark of queue.pending()) {
  const item = items.get(mark.item_id);
  if (item && mark.list_id === data.list.id) item.state = stateAfter(mark.state);
}

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

function applyState(card, state) {
  card.dataset.state = state;
  card.querySelector(".tick").disabled = state !== "open" || !strings.can_tick;
  card.querySelector(".state-ticked").hidden = state !== "ticked";
  card.querySelector(".state-not_found").hidden = state !== "not_found";
  for (const form of card.querySelectorAll("form[data-part]")) {
    form.hidden = (form.dataset.part === "open") !== (state === "open");
  }
}

function drawCard(item) {
  const card = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
  card.id = `item-${item.id}`;
  card.dataset.itemId = item.id;
  for (const form of card.querySelectorAll("form")) {
    form.action = `/lists/${data.list.id}/items/${item.id}/mark`;
  }
  const pictures = card.querySelector(".item-pictures");
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
  card.querySelector(".label").textContent = item.label;
  const note = card.querySelector(".note");
  note.textContent = item.note;
  note.hidden = !item.note;
  const readAloud = card.querySelector(".read-aloud");
  if (readAloud) {
    readAloud.dataset.say = item.label;
    readAloud.hidden = !("speechSynthesis" in window);
  }
  applyState(card, item.state);
  return card;
}

function drawProgress() {
  const all = [...items.values()];
  const done = all.filter((item) => item.state === "ticked").length;
  const notFound = all.filter((item) => item.state === "not_found").length;
  document.getElementById("progress-text").textContent = strings.progress
    .replace("{done}", done)
    .replace("{total}", all.length);
  const bar = document.getElementById("progress-bar");
  bar.max = all.length || 1;
  bar.value = done;
  const notFoundText = document.getElementById("not-found-text");
  notFoundText.hidden = notFound === 0;
  const template = notFound === 1 ? strings.not_found_one : strings.not_found_other;
  notFoundText.textContent = template.replace("{n}", notFound);
}

function draw() {
  const areaTemplate = document.getElementById("area-template").content.firstElementChild;
  const sections = data.areas.map((area) => {
    const section = areaTemplate.cloneNode(true);
    section.dataset.area = area.id;
    section.querySelector("img").src = area.picture;
    section.querySelector("h2 span").textContent = area.label;
    const list = section.querySelector("ul");
    for (const item of items.values()) {
      if (item.area === area.id) list.append(drawCard(item));
    }
    return section;
  });
  document.getElementById("shopping-items").replaceChildren(...sections);
  drawProgress();
}

// --- changes ---------------------------------------------------------------------------------

function mark(card, state) {
  const item = items.get(card.dataset.itemId);
  if (!item) return;
  const entry = {
    id: crypto.randomUUID(),
    list_id: data.list.id,
    item_id: item.id,
    state,
    client_time: new Date().toISOString(),
  };
  queue.add(entry);
  item.state = stateAfter(state);
  applyState(card, item.state);
  drawProgress();
  const all = [...items.values()];
  const finished = all.length && all.every((each) => each.state !== "open");
  const words = strings[state].replace("{label}", item.label);
  showStatus(finished ? `${words} ${strings.all_done}` : words, "success");
  // The button pressed may now be hidden or disabled: keep the focus on this card.
  const next = item.state === "open" ? card.querySelector(".tick") : card.querySelector('form[data-part="done"] button');
  next?.focus();
}

function start() {
  if (!data) return;
  draw();
  const root = document.getElementById("shopping-items");
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-state]");
    const card = event.target.closest(".shop-card");
    if (!form || !card) return;
    event.preventDefault();
    mark(card, form.dataset.state);
  });
  root.addEventListener("click", (event) => {
    const button = event.target.closest(".read-aloud");
    if (button) say(button.dataset.say);
  });
  if (queue.pending().length) queue.send();
}

start();
