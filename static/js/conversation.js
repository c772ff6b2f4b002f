// One conversation's messages in the server's order, deduplicated by id and client_msg_id.

/**
 * A sortable number for an ISO 8601 instant, to the microsecond (the server's precision; Date.parse
 * stops at milliseconds, so two messages in the same millisecond would otherwise tie).
 */
export function timeKey(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return 0;
  const fraction = /\.(\d+)/.exec(iso)?.[1] || "";
  return ms * 1000 + Number(fraction.slice(3, 6).padEnd(3, "0"));
}

/**
 * The server's total order, (created_at, id), for stored messages; optimistic (pending) messages
 * come after every stored one, in the order they were written, whatever the local clock says.
 */
export function compareMessages(a, b) {
  if (Boolean(a.pending) !== Boolean(b.pending)) return a.pending ? 1 : -1;
  const ta = a._key ?? timeKey(a.created_at);
  const tb = b._key ?? timeKey(b.created_at);
  if (ta !== tb) return ta - tb;
  if (a.pending) return (a._seq || 0) - (b._seq || 0);
  const ia = String(a.id);
  const ib = String(b.id);
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

let pendingSeq = 0;

export class Conversation {
  constructor(roomId) {
    this.roomId = roomId;
    this.items = [];
    this.byId = new Map();
    this.loaded = false;
    this.hasMore = true;
    this.loadingOlder = false;
    // Holding a stretch of older history (a link to a message) rather than the newest messages:
    // newer ones load page by page, and live ones wait on the server until they are reached.
    this.hasNewer = false;
    this.loadingNewer = false;
  }

  /** Forgets what was loaded, but not what is being sent (pending or failed messages stay). */
  clear() {
    const unsent = this.items.filter((m) => m.pending);
    this.items = [];
    this.byId = new Map();
    for (const m of unsent) {
      this.items.push(m);
      this.byId.set(m.id, m);
    }
    this.loaded = false;
    this.hasMore = true;
    this.hasNewer = false;
  }

  /**
   * Inserts or replaces `message`, keeping `items` in (created_at, id) order however it arrives
   * (live, `resume` replay, a REST page) and never twice: by id, and an optimistic message is
   * replaced in place by its echo through `client_msg_id`. Returns "added", "updated" or null.
   */
  upsert(message) {
    const existing = this.byId.get(message.id);
    if (existing) {
      if (existing.pending && !message.pending) {
        this.settle(existing, message);
        return "updated";
      }
      if (
        message.updated_at &&
        existing.updated_at === message.updated_at &&
        existing.is_deleted === message.is_deleted &&
        (existing.changed_at ?? null) === (message.changed_at ?? null)
      )
        return null;
      // `changed_at` moves with every change shown (reactions, pin, preview too): a copy older
      // than the one held (a page fetched before a live change) must not undo that change.
      if (existing.changed_at && message.changed_at && timeKey(message.changed_at) < timeKey(existing.changed_at))
        return null;
      Object.assign(existing, message);
      return "updated";
    }
    if (message.client_msg_id && !message.pending) {
      const pending = this.items.find((m) => m.pending && m.client_msg_id === message.client_msg_id);
      if (pending) {
        // The echo (or REST answer) of an optimistic message: it becomes the real one in place.
        this.byId.delete(pending.id);
        this.settle(pending, message);
        this.byId.set(pending.id, pending);
        return "updated";
      }
    }
    if (message.pending) message._seq = ++pendingSeq;
    message._key = timeKey(message.created_at);
    // Past the newest message held while newer ones are still on the server: it would sit after a
    // gap. It is loaded in its place when the reader gets there.
    if (this.hasNewer && !message.pending) {
      const newest = this.byId.get(this.newestId);
      if (!newest || compareMessages(message, newest) > 0) return null;
    }
    this.byId.set(message.id, message);
    this.insert(message);
    return "added";
  }

  /** A pending message confirmed by the server: takes the stored fields and its real place. */
  settle(pending, stored) {
    this.items.splice(this.items.indexOf(pending), 1);
    Object.assign(pending, stored, { pending: false, failed: false });
    pending._key = timeKey(pending.created_at);
    this.insert(pending);
  }

  insert(message) {
    // Binary search from the end: almost everything arrives last, so this is usually one step.
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareMessages(this.items[mid], message) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, message);
  }

  remove(id) {
    const message = this.byId.get(id);
    if (!message) return;
    this.byId.delete(id);
    this.items.splice(this.items.indexOf(message), 1);
  }

  get oldestId() {
    return this.items.find((m) => !m.pending)?.id || null;
  }

  get newestId() {
    for (let i = this.items.length - 1; i >= 0; i -= 1) if (!this.items[i].pending) return this.items[i].id;
    return null;
  }
}
