// The parent's Trips page: the "Now" line follows the trip going on, from
// /people/{id}/trips/live every 20 seconds. Only the words change, and a screen reader hears
// them politely; without JavaScript the line is as it was when the page was made.
const text = document.getElementById("live-text");
const link = document.getElementById("live-link");

async function update() {
  try {
    const response = await fetch(text.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const live = await response.json();
    if (text.textContent !== live.text) text.textContent = live.text;
    link.hidden = !live.going;
    if (live.going) link.querySelector("a").href = `/trips/${live.trip}`;
  } catch {
    // No internet: the line stays as it was.
  }
}

if (text) setInterval(update, 20_000);
