// The workspace's addresses: "/" (no conversation open), /rooms/<room_id> and
// /rooms/<room_id>/messages/<message_id> (the server serves the same page for all three). The
// older "#room=<id>&message=<id>" form is still read, so links made before keep working.

const ID = "[0-9A-Za-z-]{1,64}";
const ROOM = new RegExp(`^/rooms/(${ID})/?$`);
const MESSAGE = new RegExp(`^/rooms/(${ID})/messages/(${ID})/?$`);

/** {roomId, messageId} for an address (null where it names none). */
export function parseRoute(pathname, hash = "") {
  const message = MESSAGE.exec(pathname);
  if (message) return { roomId: message[1], messageId: message[2] };
  const room = ROOM.exec(pathname);
  if (room) return { roomId: room[1], messageId: null };
  const legacy = new URLSearchParams(String(hash).replace(/^#/, ""));
  return { roomId: legacy.get("room") || null, messageId: (legacy.get("room") && legacy.get("message")) || null };
}

export function roomPath(roomId) {
  return `/rooms/${encodeURIComponent(roomId)}`;
}

export function messagePath(roomId, messageId) {
  return `${roomPath(roomId)}/messages/${encodeURIComponent(messageId)}`;
}

/** The address to show a conversation at: its message's, or the room's. */
export function pathFor(roomId, messageId = null) {
  if (!roomId) return "/";
  return messageId ? messagePath(roomId, messageId) : roomPath(roomId);
}

/**
 * Where to go after signing in: `path` when it is one of the workspace's own addresses (a link
 * opened while signed out), else "/". Never anywhere else: this is no open redirect.
 */
export function workspacePath(path) {
  if (typeof path !== "string") return "/";
  return MESSAGE.test(path) || ROOM.test(path) ? path : "/";
}
