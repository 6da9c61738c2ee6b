// @ts-check
// The pay screen (templates/vouchers/pay.html): the voucher's QR code and typed code, from the
// codes kept on the phone. While online it fetches fresh codes and the balance; offline it shows
// the last ones, with the time the balance was read. The screen stays on while it shows.

import { pageData } from "./phone.js";

const data = pageData("pay-data");
const strings = pageData("pay-strings") || {};
/** Where the phone keeps a voucher's codes (ready.js looks there too). @param {string} voucher */
export const codesKey = (voucher) => `startrip.pay.${voucher}`;
const key = data ? codesKey(data.voucher) : "";
/** An element of templates/vouchers/pay.html (every id used here is always there). @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @typedef {{code: string, qr: string, expires_at: string}} PayCode */
/** @typedef {{balance: string, as_of: string, codes: PayCode[], skipped?: string[]}} Kept */

/** What this phone kept for the voucher (null when nothing: JSON.parse(null) is null).
 * @returns {Kept | null} */
function load() {
  try {
    return JSON.parse(/** @type {string} */ (localStorage.getItem(key))) || null;
  } catch {
    return null;
  }
}

/** @param {Kept | null} stored */
function usableCodes(stored) {
  const now = Date.now();
  return (stored?.codes || []).filter((code) => new Date(code.expires_at).getTime() > now);
}

/** `asked`: the server was asked for codes (or could not be reached). Before that, a phone with
 * no code keeps the QR code's place and shows no warning: codes arriving then move nothing.
 * @param {boolean} asked */
function draw(asked) {
  const stored = load();
  if (stored) {
    $("pay-balance").textContent = stored.balance;
    $("pay-as-of").textContent = strings.as_of.replace("{time}", stored.as_of);
  }
  const [code] = usableCodes(stored);
  $("pay-qr").classList.toggle("pay-qr-waiting", !code && !asked);
  $("pay-qr").hidden = !code && asked;
  $("pay-none").hidden = Boolean(code) || !asked;
  $("pay-code").textContent = code ? code.code : "----";
  if (code) /** @type {HTMLImageElement} */ ($("pay-qr")).src = code.qr;
}

/** Fetch a voucher's unused codes and keep them on the phone (the pay screen, and "Get it
 * now" before a trip: ready.js). False when the server could not be reached or refused.
 * @param {string} voucher @returns {Promise<boolean>} */
export async function fetchCodes(voucher) {
  const csrf =
    /** @type {HTMLInputElement | null} */ (document.querySelector('input[name="csrf_token"]'))?.value || "";
  try {
    const response = await fetch(`/api/vouchers/${voucher}/codes`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      credentials: "same-origin",
    });
    if (!response.ok) return false;
    const fresh = await response.json();
    // The server sends unused codes oldest first, so the one on screen stays the same.
    let stored = null;
    try {
      stored = JSON.parse(/** @type {string} */ (localStorage.getItem(codesKey(voucher))));
    } catch {
      // A copy that cannot be read is replaced.
    }
    const kept = fresh.codes.filter((/** @type {PayCode} */ c) => !(stored?.skipped || []).includes(c.code));
    localStorage.setItem(
      codesKey(voucher),
      JSON.stringify({ ...fresh, codes: kept, skipped: stored?.skipped || [] }),
    );
    return true;
  } catch {
    // No internet: the codes kept on the phone still work.
    return false;
  }
}

async function refresh() {
  await fetchCodes(data.voucher);
  draw(true);
}

async function keepScreenOn() {
  try {
    await navigator.wakeLock?.request("screen");
  } catch {
    // Not allowed now (the page is hidden): asked again when it shows.
  }
}

if (data) {
  draw(false);
  refresh();
  keepScreenOn();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") keepScreenOn();
  });
  $("pay-next").addEventListener("click", () => {
    // After a payment: the used code is put aside and the next one shows.
    const stored = load();
    const [current] = usableCodes(stored);
    if (!stored || !current) return;
    stored.skipped = [...(stored.skipped || []), current.code];
    stored.codes = stored.codes.filter((c) => c.code !== current.code);
    localStorage.setItem(key, JSON.stringify(stored));
    draw(false);
    refresh();
  });
}
