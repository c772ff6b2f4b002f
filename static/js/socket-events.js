// Following the socket: each event the server pushes, applied to the store (the views follow the
// store); failed sends sent again once it is back; the connection banner.
import { api } from "./api.js";
import { toast } from "./dom.js";
import { showConnection } from "./views/connection.js";

/**
 * `nav` from setupNavigation; `applyDeleted(roomId, id)` shows a message as deleted; `more`: further
 * handlers by event type (rich-events.js).
 */
export function followSocket({ socket, store, outbox, nav, applyDeleted, more = {} }) {
  let everOpen = false;

  const handlers = {
    new_message(m) {
      const known = store.rooms.has(m.room_id);
      store.applyMessage(m, { live: true });
      store.cursors.message(m.room_id, m.id, m.prev_id);
      if (!known) nav.refreshRooms();
      if (m.sender_id !== store.me.id) store.setTyping(m.room_id, m.sender_id, "", false);
      if (m.room_id === store.activeRoomId && m.sender_id !== store.me.id) nav.markReadSoon();
    },
    edit_message(m) {
      store.applyMessage(m);
    },
    delete_message({ id, room_id }) {
      if (store.deletionNeedsRecount(room_id, id)) nav.recountSoon();
      applyDeleted(room_id, id);
    },
    typing({ room_id, user_id, username }) {
      if (user_id !== store.me.id) store.setTyping(room_id, user_id, username, true);
    },
    stop_typing({ room_id, user_id, username }) {
      store.setTyping(room_id, user_id, username, false);
    },
    messages_read({ room_id, user_id, read_at }) {
      store.markRead(room_id, user_id, read_at);
    },
    user_online({ user_id }) {
      if (user_id !== store.me.id) store.setPresence(user_id, true);
    },
    user_offline({ user_id, last_seen }) {
      store.setPresence(user_id, false);
      for (const list of store.members.values())
        if (list.get(user_id)?.user) list.get(user_id).user.last_seen = last_seen;
      for (const room of store.rooms.values())
        if (room.other_user?.id === user_id) room.other_user.last_seen = last_seen;
    },
    async user_joined({ room_id, user_id }) {
      if (user_id === store.me.id && !store.rooms.has(room_id)) return nav.refreshRooms();
      if (room_id === store.activeRoomId) store.upsertRoom(await api.room(room_id));
    },
    user_left({ room_id, user_id }) {
      if (user_id === store.me.id) return;
      store.members.get(room_id)?.delete(user_id);
      store.emit("members", { roomId: room_id });
    },
    dm_created() {
      nav.refreshRooms();
    },
    room_deleted({ room_id }) {
      if (store.activeRoomId === room_id) {
        nav.closeConversation();
        toast("This room was deleted");
      }
      store.removeRoom(room_id);
    },
    profile_updated(user) {
      store.applyProfile(user);
    },
    resumed({ rooms = [], truncated = [] }) {
      // A room replayed to its newest is held without a gap up to its newest message (not one that
      // holds a stretch of older history: its newest message is not the room's).
      for (const roomId of rooms) {
        const conv = store.conversations.get(roomId);
        if (!truncated.includes(roomId)) store.cursors.caughtUp(roomId, conv?.hasNewer ? null : conv?.newestId);
      }
      // More than the replay limit missed in a room: page the rest over REST, from the cursor.
      for (const roomId of truncated) {
        const after = store.cursors.get(roomId);
        if (after) nav.catchUp(roomId, after);
      }
      nav.refreshRooms();
    },
    error({ error }) {
      console.warn("server:", error);
    },
    ...more,
  };

  socket.addEventListener("event", (e) => {
    const handler = handlers[e.detail.type];
    if (handler) handler(e.detail.payload || {});
  });

  // The socket sends `resume` itself on every (re)authentication: whatever was sent while we were
  // away (or between the page load and now) comes back once, in order.
  socket.addEventListener("ready", () => {
    everOpen = true;
    outbox.resendFailed();
  });

  socket.addEventListener("state", (e) => showConnection(e.detail, everOpen));
}
