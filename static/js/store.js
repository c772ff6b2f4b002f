// Client state: rooms, messages per room (deduplicated by id and client_msg_id), typing, presence,
// and the members' read marks. Views subscribe to changes; nothing here touches the DOM.

import { Conversation } from "./conversation.js";
import { ResumeCursors } from "./cursor.js";

export { Conversation, compareMessages, timeKey } from "./conversation.js";
export const EDIT_WINDOW_MS = 3 * 60 * 1000;

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
    this.cursors = new ResumeCursors(); // where `resume` starts in each room
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
    const before = this.rooms;
    this.rooms = new Map();
    for (const room of rooms) {
      // Messages counted live are in the server's fresh count too: their deletion still takes them off.
      const counted = before.get(room.id)?.unreadIds;
      if (room.unread_count && counted) room.unreadIds = counted;
      if (room.type === "direct" && others.has(room.id)) room.other_user = others.get(room.id);
      this.rooms.set(room.id, room);
      this.cursors.seed(room.id, room.last_message?.id);
      if (room.other_user) this.presence.set(room.other_user.id, Boolean(room.other_user.is_online));
    }
    for (const dm of dms) {
      const rid = dm.room?.id;
      if (rid && !this.rooms.has(rid)) {
        this.rooms.set(rid, {
          ...dm.room,
          other_user: dm.other_user,
          last_message: dm.last_message,
          unread_count: dm.unread_count,
        });
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
    this.cursors.forget(roomId);
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
      // The server's unread_count: others' messages (a sender, not me), not deleted. The ids counted
      // here let a later deletion take its message back off the count.
      if (live && change === "added" && countsAsUnread(message, this.me) && !this.isVisible(message.room_id)) {
        room.unread_count = (room.unread_count || 0) + 1;
        room.unreadIds ||= new Set();
        room.unreadIds.add(message.id);
      }
      if (message.is_deleted && room.unreadIds?.delete(message.id))
        room.unread_count = Math.max(0, (room.unread_count || 0) - 1);
    }
    if (change && !quiet) this.emit("message", { roomId: message.room_id, message, change });
    if (room) this.emit("rooms");
    return change;
  }

  /** Everything in the room read: no badge, nothing counted. */
  clearUnread(room) {
    room.unread_count = 0;
    room.unreadIds?.clear();
    room.mention_count = 0;
    room.mentionIds?.clear();
  }

  /**
   * Whether the deletion of message `id` may change the room's unread count in a way only the
   * server can say: the message was never loaded here (an unopened room), yet the badge shows.
   */
  deletionNeedsRecount(roomId, id) {
    const room = this.rooms.get(roomId);
    return Boolean(room?.unread_count) && !this.conversations.get(roomId)?.byId.has(id) && !this.isVisible(roomId);
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
    if (userId === this.me?.id && room) this.clearUnread(room);
    this.emit("read", { roomId, userId });
    this.emit("rooms");
  }

  /**
   * A user's new name, avatar or status, everywhere they appear: me, DM partners, member lists,
   * and the sender (and quoted sender) of every message already loaded.
   */
  applyProfile(user) {
    const fields = {};
    for (const key of ["username", "avatar", "status", "last_seen"]) if (key in user) fields[key] = user[key];
    const update = (person) => person && person.id === user.id && Object.assign(person, fields);
    if (this.me?.id === user.id) Object.assign(this.me, fields);
    for (const room of this.rooms.values()) update(room.other_user);
    for (const [roomId, list] of this.members) {
      const member = list.get(user.id);
      if (member?.user) Object.assign(member.user, fields);
      if (member) this.emit("members", { roomId });
    }
    for (const conv of this.conversations.values()) {
      for (const message of conv.items) {
        if (message.sender_id === user.id) message.sender = { ...message.sender, id: user.id, ...fields };
        if (message.reply_to?.sender) update(message.reply_to.sender);
      }
    }
    this.emit("profile", { userId: user.id });
    this.emit("rooms");
  }

  /** A user's name from what this client holds (members, DM partners, senders), or null. */
  userName(userId) {
    if (userId === this.me?.id) return this.me.username;
    for (const list of this.members.values()) {
      const name = list.get(userId)?.user?.username;
      if (name) return name;
    }
    for (const room of this.rooms.values()) if (room.other_user?.id === userId) return room.other_user.username;
    for (const conv of this.conversations.values())
      for (const message of conv.items)
        if (message.sender_id === userId && message.sender) return message.sender.username;
    return null;
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

  /** {room_id: last_message_id or null} for every room: what `resume` needs. Each room's
   * cursor (static/js/cursor.js), never merely the newest message shown: that one may lie past
   * messages this client never received. */
  resumePoints() {
    const points = {};
    for (const room of this.rooms.values()) points[room.id] = this.cursors.get(room.id) || null;
    return points;
  }
}

function countsAsUnread(message, me) {
  return !message.is_deleted && Boolean(message.sender_id) && message.sender_id !== me?.id;
}

export function typingText(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]} and ${names.length - 1} others are typing…`;
}
