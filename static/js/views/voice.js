// Voice notes: the mic button records, shows the elapsed time while it does, and hands the
// recording over as a file when pressed again.
import { $, icon, toast } from "../dom.js";

const TICK_MS = 250;

/** m:ss, as a recorder shows it. */
export function elapsedText(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function setupVoice({ onRecorded }) {
  const button = $("#btn-voice");
  const timer = $("#voice-timer");
  if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) return;
  button.hidden = false;
  let recorder = null;
  let ticker = null;

  const showElapsed = (startedAt) => {
    timer.textContent = elapsedText(Date.now() - startedAt);
  };

  button.addEventListener("click", async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      return toast("Microphone not available", "error");
    }
    const type =
      ["audio/webm;codecs=opus", "audio/webm", "audio/ogg"].find((t) => MediaRecorder.isTypeSupported(t)) || "";
    const current = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    current.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
    current.addEventListener("stop", () => {
      for (const track of stream.getTracks()) track.stop();
      recorder = null;
      clearInterval(ticker);
      timer.hidden = true;
      button.classList.remove("is-recording");
      button.setAttribute("aria-label", "Record a voice note");
      button.replaceChildren(icon("mic"));
      const mime = current.mimeType || "audio/webm";
      const ext = mime.includes("ogg") ? "ogg" : "webm";
      const blob = new Blob(chunks, { type: mime });
      if (blob.size) onRecorded(new File([blob], `voice-note-${Date.now()}.${ext}`, { type: mime }));
    });
    current.start();
    recorder = current;
    const startedAt = Date.now();
    showElapsed(startedAt);
    timer.hidden = false;
    ticker = setInterval(() => showElapsed(startedAt), TICK_MS);
    button.classList.add("is-recording");
    button.setAttribute("aria-label", "Stop recording and send");
    button.replaceChildren(icon("stop"));
  });
}
