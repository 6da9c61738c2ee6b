// @ts-check
// The person's list maker (templates/lists/planner.html, pwa/lists/planner.py; issue 18, item 9),
// local-first as SYNC.md "Where offline lives" describes: one shell for every list, filled from
// the phone's copy, so a list made or changed with no internet shows the same after a reload.
// The list is the page's one (#planner-data "seed", when opened online), then what the phone
// pulled since, then its outbox drawn on top. Every tap is one IndexedDB transaction with its
// outbox entry (phone.js change), sent as list.create, item.add, item.quantity, item.remove.

// The phone's copy (phone.js, outbox.js) is loaded at once where the phone has one, else with
// the first change: a first visit to a list the page brings does not need it (issue 18 asks
// list screens under 40 KB on a first visit).

/** Read the JSON a template put in <script type="application/json" id="…"> (as phone.js does).
 * @param {string} id */
function pageData(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(/** @type {string} */ (element.textContent)) : null;
}

const MAX_QUANTITY = 10;
// A quantity is shown as that many pictures up to this many, then one picture and "× N".
const PICTURES_UP_TO = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const data = pageData("planner-data");
const strings = pageData("planner-strings") || {};
const params = new URLSearchParams(window.location.search);
const listId = (params.get("list") || "").toLowerCase();

/**
 * @typedef {object} Item  one thing on the list, as the page draws it
 * @property {string} id
 * @property {string} key  its picker tile: a photo's id or a picture's code
 * @property {string} label
 * @property {string} picture
 * @property {number} quantity
 * @property {string} area
 */
/** @typedef {{id: string, label: string, picture: string}} Area */
/** @typedef {{label: string, picture: string, area: string, field: string}} Choice */

/** Every family photo and, once fetched, every picture of the catalogue, by its key.
 * @type {Map<string, Choice>} */
const choices = new Map();
for (const photo of data?.photos || []) {
  choices.set(photo.id, { label: photo.label, picture: photo.picture, area: photo.area, field: "photo_id" });
}
/** @type {Promise<void> | null} */
let picturesFetched = null;
let picturesHere = false;

/** The catalogue's pictures (/static/catalogue.json, both languages), fetched when first
 * needed: the service worker answers from the copy the phone keeps, with no internet too. */
function fetchPictures() {
  picturesFetched ||= (async () => {
    const response = await fetch(data.pictures_url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`catalogue ${response.status}`);
    const zh = document.documentElement.lang.startsWith("zh");
    for (const [code, area, en, zhName] of await response.json()) {
      choices.set(code, { label: zh ? zhName : en, picture: `/openmoji/${code}.svg`, area, field: "pictogram" });
    }
    picturesHere = true;
  })().catch(() => {
    picturesFetched = null; // not there now: asked again next time
  });
  return picturesFetched;
}

/** The list; `made`: in the outbox or on the server, `sent`: on the server.
 * @type {{id: string, name: string, sent: boolean, made: boolean} | null} */
let list = null;
/** A new list from "Make a new list" (?new=1), made on the phone with the first thing put on
 * it, so no empty list is made, and a first visit needs no copy on the phone.
 * @type {{id: string, name: string} | null} */
let draft = null;
/** @type {Map<string, Item>} */
let items = new Map();
/** @type {import("./phone.js").Local | null} */
let local = null;
/** @type {typeof import("./outbox.js") | null} */
let store = null;
/** The list was deleted (by a parent): said so, rather than "not on this phone". */
let gone = false;
/** The item just taken off, for "Undo". @type {Item | null} */
let lastRemoved = null;

/** @param {string} template @param {Record<string, string | number>} values */
function fill(template, values) {
  return Object.entries(values).reduce((text, [key, value]) => text.replaceAll(`{${key}}`, String(value)), template);
}

// --- the phone's copy ------------------------------------------------------------------------

/** A change of the outbox, drawn on top of what the server had.
 * @param {string} name @param {Record<string, any>} args */
function apply(name, args) {
  if (name === "list.create" && args.id === listId) {
    if (!list?.made) list = { id: args.id, name: args.name, sent: false, made: true };
  } else if (name === "item.add" && args.list_id === listId) {
    const old = items.get(args.id);
    const key = args.photo_id || args.pictogram;
    const choice = choices.get(key);
    if (old) {
      old.quantity = args.quantity;
    } else if (choice) {
      items.set(args.id, { id: args.id, key, label: choice.label, picture: choice.picture, quantity: args.quantity, area: choice.area });
    }
  } else if (name === "item.quantity") {
    const old = items.get(args.id);
    if (old) old.quantity = args.quantity;
  } else if (name === "item.remove") {
    items.delete(args.id);
  }
}

/** The list as the page brought it, then what the phone pulled since, then its outbox. Every
 * read comes first, then the drawing state is made in one go: a tap meanwhile never sees half
 * a list (and would put a second of the same picture on it). */
async function load() {
  const waiting = local && store ? await store.outbox(local.db) : [];
  const listRows = local && store ? await store.rowsOf(local.db, "lists") : [];
  const itemRows = local && store ? await store.rowsOf(local.db, "items") : [];
  // Things put on the list here and not sent yet are named from the catalogue.
  if (waiting.some((entry) => entry.name === "item.add" && entry.args.pictogram)) await fetchPictures();
  list = null;
  gone = false;
  items = new Map();
  let cursor = 0;
  const seed = data.seed && data.seed.list.id === listId ? data.seed : null;
  if (seed) {
    list = { ...seed.list, sent: true, made: true };
    cursor = seed.cursor;
    for (const item of seed.items) items.set(item.id, { ...item });
  }
  if (draft) list = { ...draft, sent: false, made: false };
  for (const row of listRows) {
    if (row.id !== listId || row.change_seq <= cursor) continue;
    gone = Boolean(row.deleted_at);
    list = gone ? null : { id: row.id, name: row.name, sent: true, made: true };
  }
  for (const row of itemRows) {
    if (row.list_id !== listId || row.change_seq <= cursor) continue;
    if (row.deleted_at || !row.view) {
      items.delete(row.id);
      continue;
    }
    const key = row.photo_id || row.pictogram;
    items.set(row.id, { id: row.id, key, label: row.view.label, picture: row.view.picture, quantity: row.quantity, area: row.area });
  }
  for (const entry of waiting) apply(entry.name, entry.args);
}

/** What the page shows, to redraw only when a sync changed it. */
function shown() {
  return JSON.stringify([list, [...items.values()]]);
}

/** @type {Promise<import("./phone.js").Local | null> | null} */
let opening = null;

/** Open the phone's copy and its sync line, once (two quick taps wait for the same). */
function openCopy() {
  opening ||= (async () => {
    const [phone, outboxCode] = await Promise.all([import("./phone.js"), import("./outbox.js")]);
    store = outboxCode;
    local = await phone
      .openLocal({
        onSynced: async () => {
          const before = shown();
          await load();
          if (shown() !== before) route();
        },
      })
      .catch(() => null);
    return local;
  })();
  return opening;
}

/** Does this phone have a copy (an outbox) for this account or phone yet? */
async function hasCopy() {
  const who = document.getElementById("sync-status")?.dataset.who;
  if (!indexedDB.databases) return true;
  return (await indexedDB.databases()).some((info) => info.name === `startrip-${who}`);
}

/** Write a change and its outbox entry in one go, then draw it. False: no copy on this phone.
 * @param {string} name @param {Record<string, any>} args */
async function change(name, args) {
  const copy = await openCopy();
  if (!copy) return false;
  if (draft) {
    // The new list's first thing: the list is made first, in the same order on the server.
    const made = { id: draft.id, name: draft.name, person_id: data.person_id, client_time: new Date().toISOString() };
    await copy.change("list.create", made);
    apply("list.create", made);
    draft = null;
    params.delete("new");
    history.replaceState(null, "", `${window.location.pathname}?${params}${window.location.hash}`);
  }
  const entry = { ...args, client_time: new Date().toISOString() };
  await copy.change(name, entry);
  apply(name, entry);
  return true;
}

// --- drawing ---------------------------------------------------------------------------------

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** @param {string} id */
function fromTemplate(id) {
  const template = /** @type {HTMLTemplateElement} */ (document.getElementById(id));
  return /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (template.content.firstElementChild).cloneNode(true));
}

/** @param {string} text @param {string} [kind] */
function showStatus(text, kind = "success") {
  let notice = document.getElementById("planner-status");
  if (!notice) {
    notice = document.createElement("p");
    notice.id = "planner-status";
    byId("status").append(notice);
  }
  notice.className = `notice notice-${kind}`;
  const icon = document.createElement("img");
  icon.className = "icon icon-sm";
  icon.alt = "";
  icon.src = "/openmoji/2705.svg";
  notice.replaceChildren(icon, document.createTextNode(text));
}

/** A picture the phone did not keep, with no internet: its name stays, even with "pictures
 * only" (that setting hides `.label` from sight, so the name becomes plain words).
 * @param {HTMLImageElement} img @param {string} src @param {HTMLElement | null} label */
function picture(img, src, label) {
  img.addEventListener("error", () => {
    img.hidden = true;
    if (label) label.className = "tile-word";
  });
  img.src = src;
}

/** @param {string} title */
function setTitle(title) {
  const heading = /** @type {HTMLElement} */ (document.querySelector("main h1"));
  heading.textContent = title;
  const parts = document.title.split(" · ");
  document.title = [title, ...parts.slice(1)].join(" · ");
}

/** @param {Item} item */
function drawRow(item) {
  const row = fromTemplate("planner-row-template");
  row.id = `item-${item.id}`;
  row.dataset.itemId = item.id;
  const pictures = /** @type {HTMLElement} */ (row.querySelector(".item-pictures"));
  pictures.setAttribute("aria-label", fill(strings.alt, { label: item.label, n: item.quantity }));
  const label = /** @type {HTMLElement} */ (row.querySelector(".item-text .label"));
  label.textContent = item.label;
  const count = item.quantity <= PICTURES_UP_TO ? item.quantity : 1;
  for (let n = 0; n < count; n += 1) {
    const img = document.createElement("img");
    img.alt = "";
    img.width = 56;
    img.height = 56;
    picture(img, item.picture, n === 0 ? label : null);
    pictures.append(img);
  }
  if (item.quantity > PICTURES_UP_TO) {
    const times = document.createElement("span");
    times.className = "times";
    times.setAttribute("aria-hidden", "true");
    times.textContent = `× ${item.quantity}`;
    pictures.append(times);
  }
  /** @type {HTMLElement} */ (row.querySelector('[data-do="more"]')).hidden = item.quantity >= MAX_QUANTITY;
  /** @type {HTMLElement} */ (row.querySelector('[data-do="less"]')).hidden = item.quantity <= 1;
  return row;
}

function drawList() {
  if (!list) return;
  setTitle(list.name);
  const all = [...items.values()];
  byId("planner-count").textContent = fill(all.length === 1 ? strings.count_one : strings.count_other, { n: all.length });
  byId("planner-empty").hidden = all.length > 0;
  const sections = [];
  for (const area of /** @type {Area[]} */ (data.areas)) {
    const inArea = all.filter((item) => item.area === area.id);
    if (!inArea.length) continue;
    const section = fromTemplate("planner-area-template");
    /** @type {HTMLImageElement} */ (section.querySelector("img")).src = area.picture;
    /** @type {HTMLElement} */ (section.querySelector("h2 span")).textContent = area.label;
    /** @type {HTMLElement} */ (section.querySelector("ul")).append(...inArea.map(drawRow));
    sections.push(section);
  }
  byId("planner-items").replaceChildren(...sections);
  // Shopping with the list opens its own screen, which the server makes: once it has the list.
  const shop = /** @type {HTMLAnchorElement} */ (byId("planner-shop"));
  shop.href = `/lists/${list.id}/shop`;
  shop.hidden = !list.sent;
  byId("planner-not-sent").hidden = list.sent || !list.made;
}

/** @param {string} areaId */
function drawArea(areaId) {
  const area = /** @type {Area[]} */ (data.areas).find((each) => each.id === areaId);
  if (!area) return false;
  if (!picturesHere) {
    // Drawn again once the pictures are here.
    fetchPictures().then(() => {
      if (picturesHere && part().area === areaId) drawArea(areaId);
    });
  }
  setTitle(area.label);
  const onList = new Map([...items.values()].map((item) => [item.key, item]));
  const tiles = [];
  for (const [key, choice] of choices) {
    if (choice.area !== area.id) continue;
    const tile = fromTemplate("planner-tile-template");
    const button = /** @type {HTMLButtonElement} */ (tile.querySelector("button"));
    button.dataset.key = key;
    const label = /** @type {HTMLElement} */ (button.querySelector(".label"));
    label.textContent = choice.label;
    const img = /** @type {HTMLImageElement} */ (button.querySelector("img"));
    img.loading = "lazy";
    picture(img, choice.picture, label);
    drawBadge(button, onList.get(key));
    tiles.push(tile);
  }
  byId("planner-tiles").replaceChildren(...tiles);
  return true;
}

/** @param {HTMLButtonElement} button @param {Item | undefined} item */
function drawBadge(button, item) {
  const badge = /** @type {HTMLElement} */ (button.querySelector(".badge"));
  badge.hidden = !item;
  button.classList.toggle("tile-chosen", Boolean(item));
  button.disabled = Boolean(item && item.quantity >= MAX_QUANTITY);
  if (item) /** @type {HTMLElement} */ (badge.lastElementChild).textContent = fill(strings.on_list, { n: item.quantity });
}

/** Which part the address's # asks for: #add, #area=<id>, else the list. */
function part() {
  const hash = window.location.hash.slice(1);
  if (hash === "add") return { name: "areas", area: "" };
  if (hash.startsWith("area=")) return { name: "area", area: decodeURIComponent(hash.slice(5)) };
  return { name: "list", area: "" };
}

/** Draw the part asked for; the top "Back" goes one part up (area → areas → list → start).
 * @param {boolean} [moved]  the person went to another part: the focus goes to its heading */
function route(moved = false) {
  let { name, area } = part();
  byId("planner-missing").hidden = Boolean(list) || gone;
  byId("planner-gone").hidden = Boolean(list) || !gone;
  if (!list) {
    for (const id of ["planner-list", "planner-areas", "planner-area"]) byId(id).hidden = true;
    return;
  }
  if (name === "area" && !drawArea(area)) name = "areas";
  if (name === "areas") setTitle(fill(strings.add_to, { name: list.name }));
  if (name === "list") drawList();
  byId("planner-list").hidden = name !== "list";
  byId("planner-areas").hidden = name !== "areas";
  byId("planner-area").hidden = name !== "area";
  /** @type {HTMLAnchorElement | null} */
  const back = document.querySelector(".top-nav a.nav-link");
  if (back) back.href = { list: "/me", areas: "#list", area: "#add" }[name] || "/me";
  if (moved) {
    document.getElementById("planner-status")?.remove();
    const heading = /** @type {HTMLElement} */ (document.querySelector("main h1"));
    heading.tabIndex = -1;
    heading.focus();
  }
}

// --- taps ------------------------------------------------------------------------------------

/** @type {Promise<void>} */
let tapping = Promise.resolve();

/** One tap at a time: a second quick tap on a picture counts from the first one's result.
 * @param {() => Promise<void>} run */
function inTurn(run) {
  tapping = tapping.then(run, run).catch(() => {});
}

/** A picture tile: on the list, or one more of it (as the picker's form: item.add again).
 * @param {HTMLButtonElement} button */
async function choose(button) {
  if (!list) return;
  const key = /** @type {string} */ (button.dataset.key);
  const choice = choices.get(key);
  if (!choice) return;
  const old = [...items.values()].find((item) => item.key === key);
  const quantity = old ? old.quantity + 1 : 1;
  if (quantity > MAX_QUANTITY) return;
  if (!(await change("item.add", { id: old?.id || crypto.randomUUID(), list_id: list.id, [choice.field]: key, quantity }))) return;
  drawBadge(button, [...items.values()].find((item) => item.key === key));
  showStatus(fill(strings.added, { label: choice.label, n: quantity }));
}

/** One more, one less, take off: the buttons of a row.
 * @param {HTMLElement} row @param {string} action */
async function act(row, action) {
  const item = items.get(/** @type {string} */ (row.dataset.itemId));
  if (!item) return;
  if (action === "remove") {
    if (!(await change("item.remove", { id: item.id }))) return;
    lastRemoved = item;
    byId("planner-undo").hidden = false;
    showStatus(fill(strings.removed, { label: item.label }));
    drawList();
    /** @type {HTMLElement} */ (byId("planner-undo").querySelector("button")).focus();
    return;
  }
  const quantity = item.quantity + (action === "more" ? 1 : -1);
  if (quantity < 1 || quantity > MAX_QUANTITY) return;
  if (!(await change("item.quantity", { id: item.id, quantity }))) return;
  showStatus(fill(strings.added, { label: item.label, n: quantity }));
  drawList();
  // The button pressed may be gone (ten, or one): keep the focus on this row.
  const again = document.getElementById(`item-${item.id}`);
  /** @type {HTMLElement | null} */
  const next = again?.querySelector(`[data-do="${action}"]:not([hidden])`) || again?.querySelector("[data-do]:not([hidden])") || null;
  next?.focus();
}

/** Undo: the item back on the list as it was (item.add with its id, as the picker does). */
async function undo() {
  const item = lastRemoved;
  if (!item || !list) return;
  const choice = choices.get(item.key);
  lastRemoved = null;
  byId("planner-undo").hidden = true;
  if (!choice) return;
  if (!(await change("item.add", { id: item.id, list_id: list.id, [choice.field]: item.key, quantity: item.quantity }))) return;
  items.set(item.id, { ...items.get(item.id), ...item });
  showStatus(fill(strings.back, { label: item.label }));
  drawList();
}

async function start() {
  if (!data) return;
  if (!UUID.test(listId)) {
    route();
    return;
  }
  const seeded = Boolean(data.seed && data.seed.list.id === listId);
  const isNew = params.get("new") === "1";
  if ((!seeded && !isNew) || (await hasCopy())) await openCopy();
  await load();
  // From the start screen's "Make a new list": the id is in the address, so a reload finds
  // the list made with its first thing instead of making another.
  if (isNew && !list) {
    const date = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium" }).format(new Date());
    draft = { id: listId, name: fill(strings.name, { date }) };
    list = { ...draft, sent: false, made: false };
  } else if (isNew) {
    params.delete("new");
    history.replaceState(null, "", `${window.location.pathname}?${params}${window.location.hash}`);
  }
  // A list this phone has not pulled yet (made by a parent, or on this phone before its copy
  // was sent and pulled): fetch it before saying it is not here.
  if (!list && local && navigator.onLine) await local.syncNow();
  route();
  window.addEventListener("hashchange", () => route(true));
  byId("planner-tiles").addEventListener("click", (event) => {
    /** @type {HTMLButtonElement | null} */
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-key]");
    if (button) inTurn(() => choose(button));
  });
  byId("planner-items").addEventListener("click", (event) => {
    /** @type {HTMLElement | null} */
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-do]");
    /** @type {HTMLElement | null} */
    const row = button ? button.closest(".item-row") : null;
    if (button && row) inTurn(() => act(row, /** @type {string} */ (button.dataset.do)));
  });
  /** @type {HTMLElement} */ (byId("planner-undo").querySelector("button")).addEventListener("click", () => inTurn(undo));
  // Opened without the list in the page: bring the phone's copy up to date. (With it, the
  // page's own copy is kept for a reload with no internet: static/js/sw.js.)
  if (local && navigator.onLine && !seeded && !draft) local.syncNow();
}

start();
