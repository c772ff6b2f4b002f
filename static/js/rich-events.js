// The socket events that change a message already held without a new version of it (reactions,
// pins, a link preview fetched after the message), applied to the store's copy; the list redraws
// the message from its "message" event. One for a message not held is dropped: the message JSON
// carries the same state when it is loaded.
import { api } from "./api.js";
import { toast } from "./dom.js";
import { applyReaction } from "./reactions.js";

function change(store, roomId, messageId, update) {
  const message = store.conversations.get(roomId)?.byId.get(messageId);
  if (!message || message.is_deleted) return;
  update(message);
  store.emit("message", { roomId, message, change: "updated" });
}

/** Applies my own reaction change at once (the echo then changes nothing). */
export function applyReactionChange(store, { room_id, message_id, emoji, user_id }, delta) {
  change(store, room_id, message_id, (m) => {
    m.reactions = applyReaction(m.reactions, { emoji, user_id, delta });
  });
}

export function richHandlers(store, { onPinsChanged }) {
  return {
    reaction_added(event) {
      applyReactionChange(store, event, 1);
    },
    reaction_removed(event) {
      applyReactionChange(store, event, -1);
    },
    message_pinned(event) {
      change(store, event.room_id, event.message_id, (m) => {
        m.pinned = true;
      });
      onPinsChanged(event.room_id);
    },
    message_unpinned(event) {
      change(store, event.room_id, event.message_id, (m) => {
        m.pinned = false;
      });
      onPinsChanged(event.room_id);
    },
    link_preview({ room_id, message_id, link_preview }) {
      change(store, room_id, message_id, (m) => {
        m.link_preview = link_preview || null;
      });
    },
  };
}

/** The list's onReact and onPin: the REST call, then the change at once (its event then changes nothing). */
export function richActions(store) {
  return {
    async onReact(message, emoji, on) {
      try {
        await api.react(message.id, emoji, on);
        applyReactionChange(store, { ...ids(message), emoji, user_id: store.me.id }, on ? 1 : -1);
      } catch (error) {
        toast(error.message, "error");
      }
    },
    async onPin(message, on) {
      try {
        await api.pin(message.room_id, message.id, on);
        change(store, message.room_id, message.id, (m) => {
          m.pinned = on;
        });
        toast(on ? "Message pinned" : "Message unpinned");
      } catch (error) {
        toast(error.message, "error");
      }
    },
  };
}

const ids = (message) => ({ room_id: message.room_id, message_id: message.id });
