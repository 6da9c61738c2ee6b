// @ts-check
// The parent's Trips page: "Tell me on this device" (Web Push). Asks for permission only when
// the button is pressed; where the browser has no push, the page says so in words and the
// "Now" line above still follows the trip.
const panel = document.getElementById("alerts");
const strings = JSON.parse(document.getElementById("alerts-strings")?.textContent || "{}");
const csrf = () =>
  /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="csrf_token"]'))?.value || "";
/** Where the subscription is sent (the panel's data-url); used only when the panel is there. */
const url = () => /** @type {string} */ (/** @type {HTMLElement} */ (panel).dataset.url);

/** @param {string} text */
function say(text) {
  /** @type {HTMLElement} */ (document.getElementById("alerts-words")).textContent = text;
}

/** @param {string} text */
function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** @param {string} method @param {unknown} body */
async function send(method, body) {
  const response = await fetch(url(), {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(String(response.status));
}

async function start() {
  const on = /** @type {HTMLButtonElement} */ (document.getElementById("alerts-on"));
  const off = /** @type {HTMLButtonElement} */ (document.getElementById("alerts-off"));
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(strings.unsupported);
    return;
  }
  const registration = await navigator.serviceWorker.ready;
  const draw = async () => {
    const subscribed = Boolean(await registration.pushManager.getSubscription());
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? strings.on : strings.off);
  };
  on.addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        say(strings.denied);
        return;
      }
      const { key } = await (await fetch(`${url()}/key`, { credentials: "same-origin" })).json();
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(key),
      });
      await send("POST", subscription.toJSON());
      await draw();
    } catch {
      say(strings.failed);
    }
  });
  off.addEventListener("click", async () => {
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      await send("DELETE", { endpoint: subscription.endpoint }).catch(() => {});
      await subscription.unsubscribe();
    }
    await draw();
  });
  await draw();
}

if (panel) start();
