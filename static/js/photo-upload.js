// @ts-check
// Shrink a photo on the phone before it is sent (issue 3): at most 1024 px on the long side,
// as JPEG. Phones make photos of several MB; the server takes at most 2 MB and checks again.
// A file the browser cannot read as a picture is sent as it is, so the server can say why.

const MAX_SIDE = 1024;

/** @param {File} file */
async function shrink(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  // A new canvas always gives a 2D context (null only for a canvas already given another kind).
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  /** @type {Blob | null} */
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  if (!blob) throw new Error("the picture could not be made smaller");
  return new File([blob], "photo.jpg", { type: "image/jpeg" });
}

for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (
  document.querySelectorAll('form[data-module="photo-upload"]')
)) {
  const input = /** @type {HTMLInputElement} */ (form.querySelector('input[type="file"]'));
  form.addEventListener("submit", async (event) => {
    const file = input.files?.[0];
    if (!file || !("createImageBitmap" in window) || form.dataset.shrunk) return;
    event.preventDefault();
    try {
      const smaller = await shrink(file);
      const files = new DataTransfer();
      files.items.add(smaller);
      input.files = files.files;
    } catch {
      // Not a picture this browser can read: the server answers with a clear error.
    }
    form.dataset.shrunk = "1";
    form.submit();
  });
}
