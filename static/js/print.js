// @ts-check
// The care record's Print button: shown only where the browser can print from a page.
const button = document.getElementById("print");
if (button && typeof window.print === "function") {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
