// @ts-check
// "Read aloud" on a page with no script of its own for it (the help card, templates/trips/help.html):
// each button[data-module="read-aloud"] reads its data-say, or plays its data-clip, on a tap.
import { readAloud } from "./phone.js";

for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-module="read-aloud"]'))) {
  button.addEventListener("click", () => readAloud(button, button.dataset.say || "", button.dataset.clip || ""));
}
