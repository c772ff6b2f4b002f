// The composer: Enter sends, Shift+Enter breaks the line, typing signals, replies, and attachments
// by button, drag-and-drop or paste (uploaded with a progress bar), plus voice notes.
import { upload } from "../api.js";
import { $, icon, toast } from "../dom.js";

const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 4000;

export class Composer {
  constructor({ onSend, onSendFile, onTyping }) {
    this.onSend = onSend;
    this.onSendFile = onSendFile;
    this.onTyping = onTyping;
    this.form = $("#composer");
    this.input = $("#composer-input");
    this.replyTo = null;
    this.typingSentAt = 0;
    this.idleTimer = null;
    this.currentUpload = null;
    this.recorder = null;

    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      } else if (e.key === "Escape" && this.replyTo) {
        e.preventDefault();
        this.setReply(null);
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.signalTyping();
    });
    this.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (files.length) {
        e.preventDefault();
        this.sendFile(files[0]);
      }
    });
    $("#reply-cancel").addEventListener("click", () => this.setReply(null));
    $("#btn-attach").addEventListener("click", () => $("#file-input").click());
    $("#file-input").addEventListener("change", (e) => {
      const file = e.target.files?.[0];
      e.target.value = "";
      if (file) this.sendFile(file);
    });
    $("#upload-cancel").addEventListener("click", () => this.currentUpload?.abort());
    this.setupDrop();
    this.setupVoice();
  }

  reset() {
    this.input.value = "";
    this.autosize();
    this.setReply(null);
    this.stopTyping();
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }

  signalTyping() {
    const now = Date.now();
    if (this.input.value.trim() && now - this.typingSentAt > TYPING_EVERY_MS) {
      this.typingSentAt = now;
      this.onTyping(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (this.typingSentAt) {
      this.typingSentAt = 0;
      this.onTyping(false);
    }
  }

  submit() {
    const content = this.input.value.trim();
    if (!content) return;
    this.onSend(content, this.replyTo);
    this.input.value = "";
    this.autosize();
    this.setReply(null);
    this.stopTyping();
    this.input.focus();
  }

  setReply(message) {
    this.replyTo = message;
    const bar = $("#reply-bar");
    bar.hidden = !message;
    if (message) {
      $("#reply-to-name").textContent = message.sender?.username || "";
      $("#reply-to-text").textContent = message.content || message.file_name || "Attachment";
      this.input.focus();
    }
  }

  async sendFile(file) {
    if (this.currentUpload) return toast("Wait for the current upload to finish", "error");
    if (file.size > 4 * 1024 * 1024) return toast("File too large. Maximum size is 4 MB", "error");
    const bar = $("#upload-bar");
    const progress = $("#upload-progress");
    $("#upload-name").textContent = file.name;
    progress.value = 0;
    bar.hidden = false;
    const job = upload(file, (pct) => {
      progress.value = pct;
    });
    this.currentUpload = job;
    try {
      const result = await job.promise;
      const caption = this.input.value.trim();
      this.onSendFile(result, caption, this.replyTo);
      if (caption) this.input.value = "";
      this.setReply(null);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      this.currentUpload = null;
      bar.hidden = true;
    }
  }

  setupDrop() {
    const zone = $("#conversation");
    const overlay = $("#drop-overlay");
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
    zone.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      overlay.hidden = false;
    });
    zone.addEventListener("dragover", (e) => {
      if (hasFiles(e)) e.preventDefault();
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) overlay.hidden = true;
    });
    zone.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      overlay.hidden = true;
      const file = e.dataTransfer.files?.[0];
      if (file) this.sendFile(file);
    });
  }

  setupVoice() {
    const button = $("#btn-voice");
    if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      if (this.recorder) {
        this.recorder.stop();
        return;
      }
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        return toast("Microphone not available", "error");
      }
      const type = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg"].find((t) => MediaRecorder.isTypeSupported(t)) || "";
      const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks = [];
      recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
      recorder.addEventListener("stop", () => {
        stream.getTracks().forEach((t) => t.stop());
        this.recorder = null;
        button.classList.remove("is-recording");
        button.setAttribute("aria-label", "Record a voice note");
        button.replaceChildren(icon("mic"));
        const mime = recorder.mimeType || "audio/webm";
        const ext = mime.includes("ogg") ? "ogg" : "webm";
        const blob = new Blob(chunks, { type: mime });
        if (blob.size) this.sendFile(new File([blob], `voice-note-${Date.now()}.${ext}`, { type: mime }));
      });
      recorder.start();
      this.recorder = recorder;
      button.classList.add("is-recording");
      button.setAttribute("aria-label", "Stop recording and send");
      button.replaceChildren(icon("stop"));
    });
  }
}
