// @ts-check
// The person's start screen (templates/person/me.html): "Make a new list" opens the list maker
// (planner.js) with a new list's id, and the list is made there, on the phone first, so it
// works with no internet. Without JavaScript or IndexedDB the button stays the form that makes
// the list on the server.

const box = /** @type {HTMLElement | null} */ (document.querySelector("[data-planner]"));
box?.querySelector("form")?.addEventListener("submit", (event) => {
  if (!("indexedDB" in window) || !window.crypto?.randomUUID) return;
  event.preventDefault();
  // A new id each time: the copy of this page kept for offline has one fixed id in its form.
  // Straight to the shop areas, as the form goes straight to the picker.
  window.location.assign(`${box.dataset.planner}?list=${crypto.randomUUID()}&new=1#add`);
});
