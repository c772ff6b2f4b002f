// Client state: rooms, messages per room (deduplicated by id and client_msg_id), typing, presence,
// and the members' read marks. Views subscribe to changes; nothing here touches the DOM.

export const EDIT_WINDOW_MS = 3 * 60 * 1000;

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
      if (message.updated_at && existing.updated_at === message.updated_at && existing.is_deleted === message.is_deleted)
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

export class Store extends EventTarget {
  constructor() {
    super();
    this.me = null;
    this.rooms = new Map(); // id -> room (+ unread_count, last_message, other_user for DMs)
    this.conversations = new Map();
    this.members = new Map(); // roomId -> Map(userId -> member)
    this.presence = new Map(); // userId -> bool
    this.typing = new Map(); // roomId -> Map(userId -> {username, until})
    this.activeRoomId = null;
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  conversation(roomId) {
    if (!this.conversations.has(roomId)) this.conversations.set(roomId, new Conversation(roomId));
    return this.conversations.get(roomId);
  }

  setRooms(rooms, dms = []) {
    const others = new Map(dms.map((d) => [d.room?.id || d.room_id, d.other_user]));
    this.rooms = new Map();
    for (const room of rooms) {
      if (room.type === "direct" && others.has(room.id)) room.other_user = others.get(room.id);
      this.rooms.set(room.id, room);
      if (room.other_user) this.presence.set(room.other_user.id, Boolean(room.other_user.is_online));
    }
    for (const dm of dms) {
      const rid = dm.room?.id;
      if (rid && !this.rooms.has(rid)) {
        this.rooms.set(rid, { ...dm.room, other_user: dm.other_user, last_message: dm.last_message, unread_count: dm.unread_count });
      }
      if (dm.other_user) this.presence.set(dm.other_user.id, Boolean(dm.other_user.is_online));
    }
    this.emit("rooms");
  }

  upsertRoom(room) {
    const existing = this.rooms.get(room.id);
    this.rooms.set(room.id, { unread_count: 0, last_message: null, ...existing, ...room });
    if (room.members) this.setMembers(room.id, room.members);
    this.emit("rooms");
  }

  removeRoom(roomId) {
    this.rooms.delete(roomId);
    this.conversations.delete(roomId);
    this.members.delete(roomId);
    this.emit("rooms");
  }

  setMembers(roomId, members) {
    const map = new Map();
    for (const member of members) {
      map.set(member.user_id, member);
      if (member.user) this.presence.set(member.user_id, Boolean(member.user.is_online));
    }
    this.members.set(roomId, map);
    this.emit("members", { roomId });
  }

  roomName(room) {
    if (!room) return "";
    if (room.type === "direct") return room.other_user?.username || room.name || "Direct message";
    return room.name;
  }

  /**
   * Applies one message from REST or the socket; keeps the sidebar preview and unread count.
   * `quiet`: no "message" event (a page of older history is rendered once, by its loader).
   */
  applyMessage(message, { live = false, quiet = false } = {}) {
    const conv = this.conversation(message.room_id);
    const change = conv.upsert(message);
    const room = this.rooms.get(message.room_id);
    if (room && !message.pending) {
      const lastAt = room.last_message ? Date.parse(room.last_message.created_at) : 0;
      if (!room.last_message || room.last_message.id === message.id || Date.parse(message.created_at) >= lastAt) {
        room.last_message = message;
        room.last_message_at = message.created_at;
      }
      if (live && change === "added" && message.sender_id !== this.me?.id && !this.isVisible(message.room_id)) {
        room.unread_count = (room.unread_count || 0) + 1;
      }
    }
    if (change && !quiet) this.emit("message", { roomId: message.room_id, message, change });
    if (room) this.emit("rooms");
    return change;
  }

  isVisible(roomId) {
    return this.activeRoomId === roomId && document.visibilityState === "visible";
  }

  totalUnread() {
    let total = 0;
    for (const room of this.rooms.values()) total += room.unread_count || 0;
    return total;
  }

  /** Latest read mark of anyone but me in the room (the blue ticks and the edit rule). */
  othersReadAt(roomId) {
    let latest = 0;
    const members = this.members.get(roomId);
    if (members) {
      for (const [userId, member] of members) {
        if (userId !== this.me?.id && member.read_at) latest = Math.max(latest, Date.parse(member.read_at));
      }
    }
    const room = this.rooms.get(roomId);
    if (room?.partner_read_at) latest = Math.max(latest, Date.parse(room.partner_read_at));
    return latest;
  }

  anyOtherOnline(roomId) {
    const room = this.rooms.get(roomId);
    if (room?.other_user) return Boolean(this.presence.get(room.other_user.id));
    const members = this.members.get(roomId);
    if (!members) return false;
    for (const userId of members.keys()) if (userId !== this.me?.id && this.presence.get(userId)) return true;
    return false;
  }

  /** The server's rule, mirrored: my message, not deleted, under 3 minutes old, unread by others. */
  canModify(message, now = Date.now()) {
    if (!message || message.pending || message.is_deleted || message.sender_id !== this.me?.id) return false;
    const created = Date.parse(message.created_at);
    if (now - created >= EDIT_WINDOW_MS) return false;
    return this.othersReadAt(message.room_id) < created;
  }

  markRead(roomId, userId, readAt) {
    const members = this.members.get(roomId);
    if (members?.has(userId)) members.get(userId).read_at = readAt;
    else if (members) members.set(userId, { user_id: userId, read_at: readAt });
    const room = this.rooms.get(roomId);
    if (room && room.type === "direct" && userId !== this.me?.id) room.partner_read_at = readAt;
    if (userId === this.me?.id && room) room.unread_count = 0;
    this.emit("read", { roomId, userId });
    this.emit("rooms");
  }

  setPresence(userId, online) {
    this.presence.set(userId, online);
    this.emit("presence", { userId });
  }

  setTyping(roomId, userId, username, typing) {
    if (!this.typing.has(roomId)) this.typing.set(roomId, new Map());
    const map = this.typing.get(roomId);
    if (typing) map.set(userId, { username, until: Date.now() + 6000 });
    else map.delete(userId);
    this.emit("typing", { roomId });
  }

  typingNames(roomId) {
    const map = this.typing.get(roomId);
    if (!map) return [];
    const now = Date.now();
    const names = [];
    for (const [userId, entry] of map) {
      if (entry.until < now) map.delete(userId);
      else names.push(entry.username);
    }
    return names;
  }

  /** {room_id: last_message_id or null} for every room: what `resume` needs. */
  resumePoints() {
    const points = {};
    for (const room of this.rooms.values()) {
      const conv = this.conversations.get(room.id);
      points[room.id] = conv?.newestId || room.last_message?.id || null;
    }
    return points;
  }
}

export function typingText(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]} and ${names.length - 1} others are typing…`;
}
