// @ts-check
// Scanning the customer's QR code at the till, where the browser can (BarcodeDetector). Typing
// the code always works too; this only fills in the same field and sends the form.

const button = document.getElementById("scan");
const video = /** @type {HTMLVideoElement} */ (document.getElementById("scan-video"));

/**
 * The Barcode Detection API (not in TypeScript's DOM types yet).
 * @typedef {{detect(source: HTMLVideoElement): Promise<{rawValue: string}[]>}} BarcodeDetector
 * @typedef {new (options: {formats: string[]}) => BarcodeDetector} BarcodeDetectorClass
 */

async function scan() {
  const Detector = /** @type {BarcodeDetectorClass} */ (/** @type {any} */ (window).BarcodeDetector);
  const detector = new Detector({ formats: ["qr_code"] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const stop = () => {
    for (const track of stream.getTracks()) track.stop();
    video.hidden = true;
  };
  for (;;) {
    const [found] = await detector.detect(video);
    if (found?.rawValue) {
      stop();
      const field = /** @type {HTMLInputElement} */ (document.getElementById("field-code"));
      field.value = found.rawValue;
      /** @type {HTMLFormElement} */ (field.form).submit();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// No mediaDevices outside a secure context (HTTPS or localhost), whatever the types say.
const media = /** @type {MediaDevices | undefined} */ (navigator.mediaDevices);
if (button && "BarcodeDetector" in window && media?.getUserMedia) {
  button.hidden = false;
  button.addEventListener("click", () => scan().catch(() => { video.hidden = true; }));
}
