// The composer: Enter sends, Shift+Enter breaks the line, Arrow-Up edits my last message, typing
// signals, replies, a length counter, and attachments by button, drag-and-drop or paste (uploaded
// with a progress bar), plus voice notes.
import { upload } from "../api.js";
import { $, toast } from "../dom.js";
import { MAX_MESSAGE_CHARS, messageLength, tooLongText } from "../limits.js";
import { setupVoice } from "./voice.js";

const TYPING_EVERY_MS = 2500;
const TYPING_IDLE_MS = 4000;
const COUNT_FROM = 1800; // the counter appears this close to the limit

export class Composer {
  constructor({ onSend, onSendFile, onTyping, onEditLast }) {
    this.onSend = onSend;
    this.onEditLast = onEditLast;
    this.onSendFile = onSendFile;
    this.onTyping = onTyping;
    this.form = $("#composer");
    this.input = $("#composer-input");
    this.counter = $("#composer-count");
    this.replyTo = null;
    this.typingSentAt = 0;
    this.idleTimer = null;
    this.currentUpload = null;

    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      } else if (
        e.key === "ArrowUp" &&
        !this.input.value &&
        !e.isComposing &&
        !e.shiftKey &&
        !e.altKey &&
        !e.ctrlKey &&
        !e.metaKey
      ) {
        if (this.onEditLast()) e.preventDefault();
      } else if (e.key === "Escape" && this.replyTo) {
        e.preventDefault();
        this.setReply(null);
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.showCount();
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
    setupVoice({ onRecorded: (file) => this.sendFile(file) });
  }

  reset() {
    this.input.value = "";
    this.autosize();
    this.showCount();
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

  /** Near the limit, how many characters are left; over it, by how much, never cutting the text. */
  showCount() {
    const length = messageLength(this.input.value);
    const over = length > MAX_MESSAGE_CHARS;
    this.counter.hidden = length < COUNT_FROM;
    const count = `${length.toLocaleString("en")} / ${MAX_MESSAGE_CHARS.toLocaleString("en")}`;
    this.counter.textContent = over
      ? `${count} · ${(length - MAX_MESSAGE_CHARS).toLocaleString("en")} too many`
      : count;
    this.counter.classList.toggle("is-over", over);
    if (over) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
  }

  /** False, with the reason shown, when the text is over the server's limit. */
  withinLimit() {
    const length = messageLength(this.input.value);
    if (length <= MAX_MESSAGE_CHARS) return true;
    toast(`${tooLongText(length)} Shorten it, or send it as a text file.`, "error");
    this.input.focus();
    return false;
  }

  submit() {
    const content = this.input.value.trim();
    if (!content || !this.withinLimit()) return;
    this.onSend(content, this.replyTo);
    this.input.value = "";
    this.autosize();
    this.showCount();
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
      // The text becomes the file's caption, unless it is too long: then the file goes alone and
      // the text stays in the box (a recorded voice note is never thrown away over its caption).
      const text = this.input.value.trim();
      const caption = messageLength(text) <= MAX_MESSAGE_CHARS ? text : "";
      this.onSendFile(result, caption, this.replyTo);
      if (caption) {
        this.input.value = "";
        this.showCount();
      } else if (text) toast(`${tooLongText(messageLength(text))} The file was sent without it.`, "error");
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
}
