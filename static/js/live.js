// @ts-check
// The parent's Trips page: the "Now" line follows the trip going on, from
// /people/{id}/trips/live every 20 seconds. Only the words change, and a screen reader hears
// them politely; without JavaScript the line is as it was when the page was made.
const text = document.getElementById("live-text");
const link = document.getElementById("live-link");

/** Runs only when the line is there (templates/trips/index.html: #live-text and #live-link). */
async function update() {
  const line = /** @type {HTMLElement} */ (text);
  const going = /** @type {HTMLElement} */ (link);
  try {
    const response = await fetch(/** @type {string} */ (line.dataset.url), { credentials: "same-origin" });
    if (!response.ok) return;
    const live = await response.json();
    if (line.textContent !== live.text) line.textContent = live.text;
    going.hidden = !live.going;
    if (live.going) /** @type {HTMLAnchorElement} */ (going.querySelector("a")).href = `/trips/${live.trip}`;
  } catch {
    // No internet: the line stays as it was.
  }
}

if (text) setInterval(update, 20_000);
