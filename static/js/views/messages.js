// The message list of the open conversation: day separators, grouping, ticks, which message is being
// edited or was jumped to, and the edit/delete actions that exist only while the server's rule allows
// them. Each message is drawn by message.js; scrolling is scroll.js's.
import { $, h, toast } from "../dom.js";
import { mentionsMe } from "../mentions.js";
import { messagePath } from "../routes.js";
import { EDIT_WINDOW_MS } from "../store.js";
import { dayKey, dayLabel } from "../time.js";
import { renderMessage } from "./message.js";
import { ScrollKeeper } from "./scroll.js";

const GROUP_GAP_MS = 5 * 60 * 1000;
const HIGHLIGHT_MS = 2000;

export class MessageList {
  constructor({
    store,
    onReply,
    onEdit,
    onDelete,
    onRetry,
    onLoadOlder,
    onLoadNewer,
    onLoadAround,
    onOpenImage,
    onReact,
    onPin,
  }) {
    this.store = store;
    this.onLoadAround = onLoadAround;
    this.handlers = {
      onJumpTo: (id) => this.jumpTo(id),
      onReply,
      onStartEdit: (id) => this.startEdit(id),
      onSaveEdit: (message, content) => {
        onEdit(message, content);
        this.stopEdit();
      },
      onCancelEdit: () => this.stopEdit(),
      onDelete,
      onRetry,
      onOpenImage,
      onCopyLink: copyLink,
      onReact,
      onPin,
      nameOf: (userId) => this.store.userName(userId),
    };
    this.scroller = $("#messages");
    this.list = $("#message-list");
    this.sentinel = $("#history-sentinel");
    this.newerSentinel = $("#newer-sentinel");
    this.jump = $("#jump-latest");
    this.cache = new Map(); // message id -> {key, el}
    this.roomId = null;
    this.editingId = null;
    this.highlightId = null; // the original a reply quote jumped to, flashed for a moment
    this.highlightTimer = null;
    this.dividerId = null; // the first message unread when the room was opened: "New messages" above it
    this.divider = h(
      "li",
      { class: "unread-sep", id: "unread-divider", role: "separator" },
      h("span", {}, "New messages"),
    );
    this.expiryTimer = null;
    this.scroll = new ScrollKeeper({
      scroller: this.scroller,
      list: this.list,
      sentinel: this.sentinel,
      newerSentinel: this.newerSentinel,
      jump: this.jump,
      onLoadOlder,
      onLoadNewer,
    });
  }

  open(roomId) {
    this.roomId = roomId;
    this.cache.clear();
    this.editingId = null;
    this.highlightId = null;
    this.dividerId = null;
    clearTimeout(this.highlightTimer);
    this.list.replaceChildren();
    this.scroll.reset();
  }

  /**
   * Re-renders the list, reusing unchanged message elements. `mode`: "initial" | "append" |
   * "prepend" | "newer" (a page went in below a stretch of older history) | "update".
   */
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
      const divider = message.id === this.dividerId;
      if (divider) nodes.push(this.divider);
      const grouped =
        !divider &&
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
      const key = [
        message.sender?.username,
        message.sender?.avatar,
        message.updated_at,
        message.is_deleted,
        message.is_edited,
        tick,
        canModify,
        grouped,
        isDm,
        this.editingId === message.id,
        this.highlightId === message.id,
        message.content,
        message.content_html,
        message.pinned,
        JSON.stringify(message.reactions || []),
        JSON.stringify(message.link_preview || null),
      ].join("|");
      let entry = this.cache.get(message.id);
      if (!entry || entry.key !== key) {
        const editing = this.editingId === message.id;
        const highlighted = this.highlightId === message.id;
        const meId = this.store.me?.id;
        const view = {
          mine,
          grouped,
          isDm,
          tick,
          canModify,
          editing,
          highlighted,
          meId,
          mentionsMe: mentionsMe(message, meId),
        };
        entry = { key, el: renderMessage(message, view, this.handlers) };
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
    this.newerSentinel.hidden = !conv.hasNewer;
    this.sentinel.dataset.label = conv.items.length ? "Beginning of the conversation" : "No messages yet. Say hello!";

    if (mode === "initial" && this.divider.isConnected) this.scroll.scrollToTop(this.divider);
    else if (mode === "initial") this.scroll.scrollToBottom();
    else if (mode === "prepend") this.scroll.restore(anchor);
    else if (mode === "newer") this.scroll.reobserveNewer();
    else if (mode === "append") {
      // Only for a message that arrived at the bottom (the caller says so): older pages never.
      if (wasNearBottom || ownNew) this.scroll.scrollToBottom();
      else this.jump.hidden = false;
    }

    // The edit/delete actions vanish the moment the 3-minute window closes.
    clearTimeout(this.expiryTimer);
    if (nextExpiry !== Infinity)
      this.expiryTimer = setTimeout(() => this.render(), Math.max(0, nextExpiry - Date.now()) + 50);
  }

  /** Until the room is left: "New messages" above message `id` (null: none). */
  setDivider(id) {
    this.dividerId = id;
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

  /**
   * Scrolls to message `id` and flashes it. Not loaded yet: the messages around it are fetched
   * (`load`), whatever their distance. False when it cannot be shown.
   */
  async jumpTo(id, { smooth = true, load = true } = {}) {
    if (!document.getElementById(`msg-${id}`) && load) {
      try {
        await this.onLoadAround(id);
      } catch (error) {
        toast(error.message, "error");
        return false;
      }
      this.render("newer");
    }
    if (!document.getElementById(`msg-${id}`)) return false;
    // Part of the render state, not a class poked onto an element: a re-render in the meantime
    // (a read receipt, a new message) would otherwise drop it.
    clearTimeout(this.highlightTimer);
    this.highlightId = null;
    this.render();
    this.highlightId = id;
    this.render();
    this.scroll.reveal(document.getElementById(`msg-${id}`), smooth);
    this.highlightTimer = setTimeout(() => {
      this.highlightId = null;
      this.render();
    }, HIGHLIGHT_MS);
    return true;
  }
}

/** A message's address on the clipboard, or shown to copy by hand where the clipboard is refused. */
async function copyLink(message) {
  const url = new URL(messagePath(message.room_id, message.id), location.origin).href;
  try {
    await navigator.clipboard.writeText(url);
    toast("Link copied");
  } catch {
    toast(`Link: ${url}`);
  }
}
