// Mentions of me as they arrive: the room's unread-mention count (the sidebar's @ badge, the
// favicon's dot) between two room-list loads, and the chime while the tab is hidden.
import { mentionsMe } from "./mentions.js";
import { chime, soundEnabled } from "./sound.js";

export function followMentions({ socket, store }) {
  /** Counts `message` once as an unread mention of me if it is one and I am not looking at it. */
  function count(message) {
    const room = store.rooms.get(message.room_id);
    if (!room || !mentionsMe(message, store.me?.id) || store.isVisible(message.room_id)) return false;
    room.mentionIds ||= new Set();
    if (room.mentionIds.has(message.id)) return false;
    room.mentionIds.add(message.id);
    room.mention_count = (room.mention_count || 0) + 1;
    store.emit("rooms");
    return true;
  }

  function uncount(roomId, id) {
    const room = store.rooms.get(roomId);
    if (!room?.mentionIds?.delete(id)) return;
    room.mention_count = Math.max(0, (room.mention_count || 0) - 1);
    store.emit("rooms");
  }

  const handlers = {
    new_message(message) {
      if (count(message) && document.visibilityState === "hidden" && soundEnabled()) chime();
    },
    edit_message(message) {
      // An edit that now names me counts once the message is still unread here.
      if (store.rooms.get(message.room_id)?.unreadIds?.has(message.id)) count(message);
      if (!mentionsMe(message, store.me?.id)) uncount(message.room_id, message.id);
    },
    delete_message({ id, room_id }) {
      uncount(room_id, id);
    },
  };
  socket.addEventListener("event", (e) => handlers[e.detail.type]?.(e.detail.payload || {}));
}
