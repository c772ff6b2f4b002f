// The outbox: messages shown at once (pending), sent one at a time per room in the order they were
// written, and sent again with the same client_msg_id (so never twice) after a failure.
import { api } from "./api.js";
import { toast } from "./dom.js";

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export class Outbox {
  constructor(store) {
    this.store = store;
    // One send at a time per room: the server stamps created_at when it stores a message, so
    // concurrent requests could land (and show, for everyone) out of order.
    this.queues = new Map(); // roomId -> promise of the last queued send
  }

  /** Shows a message from me at once and sends it; `fields`: content, type and file. */
  send(roomId, fields, replyTo) {
    const me = this.store.me;
    const clientId = uuid();
    const message = {
      id: `pending-${clientId}`,
      room_id: roomId,
      sender_id: me.id,
      sender: { id: me.id, username: me.username, avatar: me.avatar },
      content: "",
      type: "text",
      file_url: null,
      file_name: null,
      file_size: null,
      is_edited: false,
      is_deleted: false,
      reply_to_id: replyTo?.id || null,
      reply_to: replyTo ? { id: replyTo.id, content: replyTo.content, sender: replyTo.sender } : null,
      client_msg_id: clientId,
      created_at: new Date().toISOString(),
      updated_at: null,
      pending: true,
      ...fields,
    };
    this.store.applyMessage(message);
    return this.deliver(message);
  }

  /** Sends (or re-sends) a pending message; the same client_msg_id makes a retry safe. */
  deliver(message) {
    message.failed = false;
    message.pending = true;
    this.store.emit("message", { roomId: message.room_id, message, change: "updated" });
    const roomId = message.room_id;
    const queued = (this.queues.get(roomId) || Promise.resolve()).then(() => this.post(message));
    this.queues.set(roomId, queued);
    queued.then(() => this.queues.get(roomId) === queued && this.queues.delete(roomId));
    return queued;
  }

  async post(message) {
    if (!message.pending) return; // already confirmed by its echo
    const payload = { content: message.content, type: message.type, client_msg_id: message.client_msg_id };
    if (message.reply_to_id) payload.reply_to_id = message.reply_to_id;
    if (message.file_url)
      Object.assign(payload, {
        file_url: message.file_url,
        file_name: message.file_name,
        file_size: message.file_size,
      });
    try {
      this.store.applyMessage(await api.sendMessage(message.room_id, payload));
    } catch (error) {
      if (!message.pending) return; // the socket echo already confirmed it
      message.failed = true;
      // Lost on the way (offline, a server restarting): sent again once the socket is back.
      message.retryable = error.status === 0 || error.status >= 500;
      this.store.emit("message", { roomId: message.room_id, message, change: "updated" });
      toast(error.message, "error");
    }
  }

  /** Every message that failed for want of a connection, again. */
  resendFailed() {
    for (const conv of this.store.conversations.values()) {
      for (const message of conv.items) if (message.failed && message.retryable) this.deliver(message);
    }
  }
}
