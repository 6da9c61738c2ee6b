// Scanning the customer's QR code at the till, where the browser can (BarcodeDetector). Typing
// the code always works too; this only fills in the same field and sends the form.

const button = document.getElementById("scan");
const video = document.getElementById("scan-video");

async function scan() {
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
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
      const field = document.getElementById("field-code");
      field.value = found.rawValue;
      field.form.submit();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

if (button && "BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
  button.hidden = false;
  button.addEventListener("click", () => scan().catch(() => { video.hidden = true; }));
}
