// @ts-check
// "A familiar voice" (issue 18): a guardian records up to 15 seconds for a step, an item or the
// help card (templates/components/voice_clip.html). Record, Stop, Play it back, Record again,
// then Save: the recording goes into the form's file field and the form is sent as it is, so
// the server checks it like a chosen file. Without MediaRecorder the file field alone works.
// Nothing hurries: the time left is shown in words and as a bar, and recording just stops at 15 s.

const MAX_SECONDS = 15;
// What Chromium and Firefox record and the server reads (pwa/clips/services.py): WebM or Ogg
// with Opus in it.
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"];

/** @param {HTMLFormElement} form */
function start(form) {
  const box = /** @type {HTMLElement} */ (form.querySelector(".recorder"));
  const input = /** @type {HTMLInputElement} */ (form.querySelector('input[type="file"]'));
  const type = TYPES.find((each) => MediaRecorder.isTypeSupported(each));
  if (!box || !input || !type || !navigator.mediaDevices?.getUserMedia) return;
  const words = /** @type {HTMLElement} */ (box.querySelector(".recorder-words"));
  const bar = /** @type {HTMLProgressElement} */ (box.querySelector(".recorder-time"));
  const save = /** @type {HTMLElement} */ (form.querySelector(".voice-save"));
  /** @param {string} name */
  const button = (name) => /** @type {HTMLButtonElement} */ (box.querySelector(`[data-do="${name}"]`));
  const audio = new Audio();
  /** @type {MediaRecorder | null} */
  let recorder = null;
  /** @type {number | undefined} */
  let ticking;
  /** @type {number | undefined} */
  let ending;
  /** @type {Blob | null} */
  let recorded = null;

  /** @param {string} text */
  function say(text) {
    if (words.textContent !== text) words.textContent = text;
  }

  /** Which buttons show: one state at a time. @param {"ready" | "recording" | "recorded"} state */
  function show(state) {
    button("record").hidden = state !== "ready";
    button("stop").hidden = state !== "recording";
    button("play").hidden = state !== "recorded";
    button("again").hidden = state !== "recorded";
    bar.hidden = state !== "recording";
    // Save shows once there is something to save (or a file is chosen below).
    save.hidden = state !== "recorded" && !input.files?.length;
  }

  /** @param {number} left */
  function drawLeft(left) {
    bar.value = left;
    const template = left === 1 ? box.dataset.recordingOne : box.dataset.recordingOther;
    say((template || "").replace("{n}", String(left)));
  }

  async function record() {
    /** @type {MediaStream} */
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      say(box.dataset.noMicrophone || "");
      return;
    }
    const chunks = /** @type {Blob[]} */ ([]);
    recorder = new MediaRecorder(stream, { mimeType: type });
    recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
    recorder.addEventListener("stop", () => {
      for (const track of stream.getTracks()) track.stop();
      clearInterval(ticking);
      clearTimeout(ending);
      recorded = new Blob(chunks, { type: recorder?.mimeType || type });
      const extension = recorded.type.includes("ogg") ? "ogg" : "webm";
      const files = new DataTransfer();
      files.items.add(new File([recorded], `voice.${extension}`, { type: recorded.type }));
      input.files = files.files;
      audio.src = URL.createObjectURL(recorded);
      say(box.dataset.recorded || "");
      show("recorded");
      button("play").focus();
    });
    recorder.start();
    const started = Date.now();
    show("recording");
    drawLeft(MAX_SECONDS);
    button("stop").focus();
    // The words and the bar change once a second (nothing moves in between).
    ticking = window.setInterval(() => {
      drawLeft(Math.max(MAX_SECONDS - Math.floor((Date.now() - started) / 1000), 0));
    }, 1000);
    ending = window.setTimeout(stop, MAX_SECONDS * 1000);
  }

  function stop() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  button("record").addEventListener("click", record);
  button("again").addEventListener("click", () => {
    audio.pause();
    recorded = null;
    input.value = "";
    record();
  });
  button("stop").addEventListener("click", stop);
  button("play").addEventListener("click", () => {
    audio.currentTime = 0;
    audio.play().catch(() => {});
  });
  input.addEventListener("change", () => show(recorded ? "recorded" : "ready"));
  box.hidden = false;
  say(box.dataset.ready || "");
  show("ready");
}

if ("MediaRecorder" in window) {
  for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (document.querySelectorAll('form[data-module="record"]'))) {
    start(form);
  }
}
