// The room header's bell: which of the room's messages notify me (all, mentions only, nothing),
// read from my membership (`notify_level` of my member entry or of the /rooms/me item) and changed
// with PATCH /rooms/<id>/notifications. A server that does not send the level shows no bell.
import { api } from "../api.js";
import { $, toast } from "../dom.js";

const LABELS = { all: "All messages", mentions: "Mentions only", nothing: "Nothing" };
const ICONS = { all: "bell", mentions: "at", nothing: "bell-off" };

/** My notify level in `room`, or null when the server does not say. */
export function myLevel(store, room) {
  const member = store.members.get(room.id)?.get(store.me?.id);
  return member?.notify_level || room.notify_level || null;
}

/** The bell's icon and label for the open room; hidden when the level is unknown. */
export function renderNotifyButton(store) {
  const room = store.rooms.get(store.activeRoomId);
  const button = $("#btn-notify");
  const level = room ? myLevel(store, room) : null;
  button.hidden = !LABELS[level];
  if (!LABELS[level]) return;
  button.dataset.level = level;
  button.setAttribute("aria-label", `Notifications: ${LABELS[level]}`);
  button.title = `Notifications: ${LABELS[level]}`;
  button.querySelector("use").setAttribute("href", `#i-${ICONS[level]}`);
  for (const item of $("#notify-menu").querySelectorAll("[data-level]"))
    item.setAttribute("aria-checked", String(item.dataset.level === level));
}

/** My level in room `roomId` is now `level` (the PATCH's answer, or another tab's change). */
function applyLevel(store, roomId, level) {
  const room = store.rooms.get(roomId);
  if (room) room.notify_level = level;
  const member = store.members.get(roomId)?.get(store.me?.id);
  if (member) member.notify_level = level;
  if (roomId === store.activeRoomId) renderNotifyButton(store);
}

export function setupNotifyMenu({ store, socket }) {
  socket.addEventListener("event", (e) => {
    const { type, payload } = e.detail;
    if (type === "notify_level" && LABELS[payload?.level]) applyLevel(store, payload.room_id, payload.level);
  });
  const button = $("#btn-notify");
  const menu = $("#notify-menu");
  const items = [...menu.querySelectorAll("[data-level]")];
  const close = (focusButton = false) => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (focusButton) button.focus();
  };
  button.addEventListener("click", (e) => {
    e.stopPropagation();
    const opening = menu.hidden;
    $("#room-menu").hidden = true; // one header menu open at a time
    $("#btn-room-menu").setAttribute("aria-expanded", "false");
    menu.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    if (opening) (items.find((i) => i.getAttribute("aria-checked") === "true") || items[0]).focus();
  });
  document.addEventListener("click", () => close());
  $("#btn-room-menu").addEventListener("click", () => close());
  menu.addEventListener("keydown", (e) => {
    const i = items.indexOf(document.activeElement);
    if (e.key === "Escape") close(true);
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      items[(i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length].focus();
    }
  });
  for (const item of items) {
    item.addEventListener("click", async () => {
      const room = store.rooms.get(store.activeRoomId);
      if (!room) return;
      close(true);
      try {
        const { level } = await api.setNotifyLevel(room.id, item.dataset.level);
        applyLevel(store, room.id, level);
        toast(`Notifications for ${store.roomName(room)}: ${LABELS[level]}`);
      } catch (error) {
        toast(error.message, "error");
      }
    });
  }
}
