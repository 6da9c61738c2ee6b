// @ts-check
// The person's start screen (templates/person/me.html): "Make a new list" opens the list maker
// (planner.js) with a new list's id, and the list is made there, on the phone first, so it
// works with no internet. Without JavaScript or IndexedDB the button stays the form that makes
// the list on the server. Lists made on the phone and not sent yet are shown here too, from
// its outbox: the copy of this page kept for offline was made before them.

const box = /** @type {HTMLElement | null} */ (document.querySelector("[data-planner]"));
const planner = box?.dataset.planner || "";

box?.querySelector("form")?.addEventListener("submit", (event) => {
  if (!("indexedDB" in window) || !window.crypto?.randomUUID) return;
  event.preventDefault();
  // A new id each time: the copy of this page kept for offline has one fixed id in its form.
  window.location.assign(`${planner}?list=${crypto.randomUUID()}&new=1`);
});

async function showListsNotSent() {
  const section = document.getElementById("lists-on-phone");
  const who = box?.dataset.who;
  if (!section || !who || !("indexedDB" in window) || !indexedDB.databases) return;
  // Opening a database makes it: only a phone that has an outbox reads it (and loads its code).
  const names = (await indexedDB.databases()).map((info) => info.name);
  if (!names.includes(`startrip-${who}`)) return;
  const store = await import("./outbox.js");
  const db = await store.open(who);
  const made = (await store.outbox(db)).filter((entry) => entry.name === "list.create");
  db.close();
  const tiles = made.map(({ args }) => {
    const link = document.createElement("a");
    link.className = "tile";
    link.href = `${planner}?list=${encodeURIComponent(args.id)}`;
    const img = document.createElement("img");
    img.src = "/openmoji/1F4DD.svg";
    img.alt = "";
    img.width = 64;
    img.height = 64;
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = args.name;
    link.append(img, label);
    const item = document.createElement("li");
    item.append(link);
    return item;
  });
  /** @type {HTMLElement} */ (section.querySelector("ul")).replaceChildren(...tiles);
  section.hidden = tiles.length === 0;
}

showListsNotSent().catch(() => {});
