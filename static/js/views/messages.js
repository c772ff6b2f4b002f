// The message list of the open conversation: day separators, grouping, replies, attachments,
// ticks, and the edit/delete actions that exist only while the server's rule allows them.
import { $, avatar, formatBytes, h, icon, linkify, safeUrl, toast } from "../dom.js";
import { MAX_MESSAGE_CHARS, messageLength, tooLongText } from "../limits.js";
import { EDIT_WINDOW_MS } from "../store.js";
import { clock, dayKey, dayLabel } from "../time.js";
import { ScrollKeeper } from "./scroll.js";

const GROUP_GAP_MS = 5 * 60 * 1000;
const HIGHLIGHT_MS = 2000;

export class MessageList {
  constructor({ store, onReply, onEdit, onDelete, onRetry, onLoadOlder, onOpenImage }) {
    this.store = store;
    this.handlers = { onReply, onEdit, onDelete, onRetry, onLoadOlder, onOpenImage };
    this.scroller = $("#messages");
    this.list = $("#message-list");
    this.sentinel = $("#history-sentinel");
    this.jump = $("#jump-latest");
    this.cache = new Map(); // message id -> {key, el}
    this.roomId = null;
    this.editingId = null;
    this.highlightId = null; // the original a reply quote jumped to, flashed for a moment
    this.highlightTimer = null;
    this.expiryTimer = null;
    this.scroll = new ScrollKeeper({ scroller: this.scroller, list: this.list, sentinel: this.sentinel, jump: this.jump, onLoadOlder });
  }

  open(roomId) {
    this.roomId = roomId;
    this.cache.clear();
    this.editingId = null;
    this.highlightId = null;
    clearTimeout(this.highlightTimer);
    this.list.replaceChildren();
    this.scroll.reset();
  }

  /** Re-renders the list, reusing unchanged message elements. `mode`: "append" | "prepend" | "update". */
  render(mode = "update", { ownNew = false } = {}) {
    if (!this.roomId) return;
    const conv = this.store.conversation(this.roomId);
    const wasNearBottom = this.scroll.pinned || this.scroll.isNearBottom();
    const anchor = mode === "prepend" ? this.scroll.anchor() : null;

    const isDm = this.store.rooms.get(this.roomId)?.type === "direct";
    const now = Date.now();
    const readAt = this.store.othersReadAt(this.roomId);
    const othersOnline = this.store.anyOtherOnline(this.roomId);
    const nodes = [];
    let prev = null;
    let nextExpiry = Infinity;
    const seen = new Set();
    for (const message of conv.items) {
      seen.add(message.id);
      if (!prev || dayKey(prev.created_at) !== dayKey(message.created_at)) {
        nodes.push(h("li", { class: "day-sep", role: "separator" }, h("span", {}, dayLabel(message.created_at, now))));
        prev = null;
      }
      const grouped =
        prev &&
        prev.sender_id === message.sender_id &&
        prev.type !== "system" &&
        Date.parse(message.created_at) - Date.parse(prev.created_at) < GROUP_GAP_MS;
      const mine = message.sender_id === this.store.me?.id;
      const canModify = this.store.canModify(message, now);
      if (canModify) nextExpiry = Math.min(nextExpiry, Date.parse(message.created_at) + EDIT_WINDOW_MS);
      let tick = "";
      if (mine) {
        if (message.failed) tick = "failed";
        else if (message.pending) tick = "pending";
        else if (readAt >= Date.parse(message.created_at)) tick = "read";
        else if (othersOnline) tick = "delivered";
        else tick = "sent";
      }
      const key = [message.sender?.username, message.sender?.avatar, message.updated_at, message.is_deleted, message.is_edited, tick, canModify, grouped, isDm, this.editingId === message.id, this.highlightId === message.id, message.content].join("|");
      let entry = this.cache.get(message.id);
      if (!entry || entry.key !== key) {
        entry = { key, el: this.renderMessage(message, { mine, grouped, isDm, tick, canModify }) };
        this.cache.set(message.id, entry);
      }
      nodes.push(entry.el);
      prev = message;
    }
    for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);
    // Re-inserting a cached element blurs it: an open editor keeps its focus through a re-render.
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    this.list.replaceChildren(...nodes);
    if (focused?.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });

    this.sentinel.classList.toggle("is-done", !conv.hasMore);
    this.sentinel.dataset.label = conv.items.length ? "Beginning of the conversation" : "No messages yet. Say hello!";

    if (mode === "initial") this.scroll.scrollToBottom();
    else if (mode === "prepend") this.scroll.restore(anchor);
    else if (mode === "append") {
      // Only for a message that arrived at the bottom (the caller says so): older pages never.
      if (wasNearBottom || ownNew) this.scroll.scrollToBottom();
      else this.jump.hidden = false;
    }

    // The edit/delete actions vanish the moment the 3-minute window closes.
    clearTimeout(this.expiryTimer);
    if (nextExpiry !== Infinity) this.expiryTimer = setTimeout(() => this.render(), Math.max(0, nextExpiry - Date.now()) + 50);
  }

  renderMessage(message, { mine, grouped, isDm, tick, canModify }) {
    if (message.type === "system") {
      return h("li", { class: "msg-system", id: `msg-${message.id}` }, message.content);
    }
    const sender = message.sender || { username: "unknown" };
    const li = h("li", {
      class: [
        "msg",
        mine && "is-mine",
        grouped && "is-grouped",
        message.pending && "is-pending",
        message.failed && "is-failed",
        this.highlightId === message.id && "is-highlighted",
      ]
        .filter(Boolean)
        .join(" "),
      id: `msg-${message.id}`,
      dataset: { id: message.id, sender: sender.username },
    });
    if (!mine && !isDm) {
      li.append(grouped ? h("span", { class: "avatar-spacer" }) : avatar({ name: sender.username, image: sender.avatar, seed: message.sender_id }));
    }
    const col = h("div", { class: "msg-col" });
    if (!mine && !grouped && !isDm) col.append(h("div", { class: "msg-sender", dir: "auto" }, sender.username));
    const bubble = h("div", { class: "bubble" });

    if (message.reply_to && !message.is_deleted) {
      const quoted = message.reply_to;
      bubble.append(
        h(
          "button",
          { type: "button", class: "reply-quote", "aria-label": `Reply to ${quoted.sender?.username || "message"}: jump to original`, onclick: () => this.jumpTo(quoted.id) },
          h("strong", { dir: "auto" }, quoted.sender?.username || ""),
          h("span", { dir: "auto" }, quoted.content || "Attachment"),
        ),
      );
    }

    if (message.is_deleted) {
      bubble.append(h("p", { class: "msg-text is-deleted" }, icon("trash", "icon icon-xs"), " message deleted"));
    } else if (this.editingId === message.id) {
      bubble.append(this.renderEditor(message));
    } else {
      const attachment = this.renderAttachment(message);
      if (attachment) bubble.append(attachment);
      const text = message.content || "";
      if (text && !(message.type !== "text" && text === message.file_name)) {
        bubble.append(h("p", { class: "msg-text", dir: "auto" }, linkify(text)));
      }
    }

    const meta = h("div", { class: "msg-meta" });
    if (message.is_edited && !message.is_deleted) meta.append(h("span", { class: "edited" }, "(edited)"));
    meta.append(h("time", { datetime: message.created_at, title: new Date(message.created_at).toLocaleString() }, clock(message.created_at)));
    if (tick) meta.append(renderTick(tick));
    bubble.append(meta);
    col.append(bubble);
    if (message.failed) {
      col.append(
        h("div", { class: "msg-failed" }, "Not sent. ", h("button", { type: "button", class: "link-btn", onclick: () => this.handlers.onRetry(message) }, "Retry")),
      );
    }
    li.append(col);

    if (!message.pending && !message.is_deleted && this.editingId !== message.id) {
      const actions = h("div", { class: "msg-actions", role: "group", "aria-label": "Message actions" });
      actions.append(h("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": "Reply", title: "Reply", onclick: () => this.handlers.onReply(message) }, icon("reply")));
      if (canModify) {
        actions.append(
          h("button", { type: "button", class: "icon-btn icon-btn-sm", "aria-label": "Edit message", title: "Edit", onclick: () => this.startEdit(message.id) }, icon("edit")),
          h("button", { type: "button", class: "icon-btn icon-btn-sm danger", "aria-label": "Delete message", title: "Delete", onclick: () => this.handlers.onDelete(message) }, icon("trash")),
        );
      }
      li.append(actions);
    }
    return li;
  }

  renderAttachment(message) {
    const url = safeUrl(message.file_url);
    if (!url || message.type === "text") return null;
    if (message.type === "image") {
      return h(
        "button",
        { type: "button", class: "attachment-image", "aria-label": `Open image ${message.file_name || ""}`.trim(), onclick: () => this.handlers.onOpenImage(url, message.file_name) },
        h("img", { src: url, alt: message.file_name || "Image", loading: "lazy" }),
      );
    }
    if (message.type === "audio") {
      const name = message.file_name || "Voice note";
      return h("div", { class: "attachment-audio" }, h("audio", { controls: true, preload: "metadata", src: url, "aria-label": name }), h("span", { class: "audio-name", title: name }, name));
    }
    return h(
      "a",
      { class: "file-chip", href: url, download: message.file_name || "", rel: "noopener noreferrer", target: "_blank" },
      icon("file"),
      h("span", { class: "file-chip-text" }, h("strong", {}, message.file_name || "File"), h("span", {}, formatBytes(message.file_size))),
    );
  }

  renderEditor(message) {
    const textarea = h("textarea", { class: "edit-input", rows: "2", "aria-label": "Edit message" });
    textarea.value = message.content;
    const save = () => {
      const content = textarea.value.trim();
      if (!content || content === message.content) return this.stopEdit();
      if (messageLength(content) > MAX_MESSAGE_CHARS) return toast(tooLongText(messageLength(content)), "error"); // kept, not cut
      this.handlers.onEdit(message, content);
      this.stopEdit();
    };
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        save();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.stopEdit();
      }
    });
    queueMicrotask(() => {
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    });
    return h(
      "div",
      { class: "edit-box" },
      textarea,
      h(
        "div",
        { class: "edit-buttons" },
        h("button", { type: "button", class: "btn btn-secondary btn-xs", onclick: () => this.stopEdit() }, "Cancel"),
        h("button", { type: "button", class: "btn btn-primary btn-xs", onclick: save }, "Save"),
      ),
    );
  }

  startEdit(id) {
    this.editingId = id;
    this.render();
  }

  stopEdit() {
    this.editingId = null;
    this.render();
    $("#composer-input")?.focus();
  }

  async jumpTo(id) {
    let el = document.getElementById(`msg-${id}`);
    // Older than what is loaded: page back until it shows up (bounded).
    for (let i = 0; !el && i < 10 && this.store.conversation(this.roomId).hasMore; i += 1) {
      await this.handlers.onLoadOlder();
      el = document.getElementById(`msg-${id}`);
    }
    if (!el) return;
    // Part of the render state, not a class poked onto an element: a re-render in the meantime
    // (a read receipt, a new message) would otherwise drop it.
    clearTimeout(this.highlightTimer);
    this.highlightId = null;
    this.render();
    this.highlightId = id;
    this.render();
    document.getElementById(`msg-${id}`)?.scrollIntoView({ block: "center", behavior: "smooth" });
    this.highlightTimer = setTimeout(() => {
      this.highlightId = null;
      this.render();
    }, HIGHLIGHT_MS);
  }
}

function renderTick(tick) {
  const labels = { pending: "Sending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
  const glyph = tick === "pending" ? icon("clock", "icon icon-xs") : { sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" }[tick];
  return h("span", { class: `tick tick-${tick}`, role: "img", "aria-label": labels[tick], title: labels[tick], dataset: { tick } }, glyph);
}
