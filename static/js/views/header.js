// The page's header lines: the open conversation's header, the typing line, my own card in the
// sidebar and the tab title. Each reads the store and redraws its part in full.
import { $, fillAvatar, h } from "../dom.js";
import { typingText } from "../store.js";
import { lastSeenText } from "../time.js";
import { mentionTotal, titleText } from "../unread.js";
import { renderNotifyButton } from "./notify-menu.js";

/** My own avatar, name and status at the top of the sidebar. */
export function renderMe(store) {
  const me = store.me;
  fillAvatar($("#me-avatar"), { name: me.username, image: me.avatar, seed: me.id });
  $("#me-name").textContent = me.username;
  $("#me-status").textContent = me.status || "";
}

/** The tab title with the unread count in front; the favicon's dot while a mention is unread. */
export function renderTitle(store) {
  const total = store.totalUnread();
  document.title = titleText(total);
  const favicon = document.getElementById("favicon");
  const dot = mentionTotal(store.rooms.values()) > 0;
  if (favicon && favicon.dataset.dot !== String(dot)) {
    favicon.dataset.dot = String(dot);
    favicon.href = dot ? favicon.dataset.mention : favicon.dataset.plain;
  }
  // The installed app's icon shows the same total (where the platform has badges).
  if ("setAppBadge" in navigator) (total ? navigator.setAppBadge(total) : navigator.clearAppBadge()).catch(() => {});
}

/** The open conversation's title, avatar, who is here, and the room actions I may use. */
export function renderHeader(store) {
  const room = store.rooms.get(store.activeRoomId);
  if (!room) return;
  const isDm = room.type === "direct";
  const name = store.roomName(room);
  $("#conv-title").textContent = name;
  const av = $("#conv-avatar");
  if (isDm) {
    fillAvatar(av, { name, image: room.other_user?.avatar, seed: room.other_user?.id });
    av.classList.remove("avatar-room");
  } else {
    fillAvatar(av, { name: room.type === "private" ? "🔒" : "#", seed: room.id });
    av.classList.add("avatar-room");
  }
  const subtitle = $("#conv-subtitle");
  const list = store.members.get(room.id);
  if (isDm) {
    // Both what they say about themselves and whether they are here.
    const other = room.other_user;
    const online = Boolean(other && store.presence.get(other.id));
    const presence = h(
      "span",
      { class: online ? "conv-presence is-online" : "conv-presence" },
      online ? "online" : lastSeenText(other?.last_seen),
    );
    const status = other?.status ? [h("span", { class: "conv-status", dir: "auto" }, other.status), " · "] : [];
    subtitle.replaceChildren(...status, presence);
  } else {
    const count = list?.size || room.member_count || 0;
    let online = 0;
    for (const id of list?.keys() || []) if (store.presence.get(id)) online += 1;
    subtitle.textContent = `${count} member${count === 1 ? "" : "s"}${online ? ` · ${online} online` : ""}${room.description ? ` · ${room.description}` : ""}`;
  }
  const myRole = list?.get(store.me.id)?.role;
  const isAdmin = myRole === "admin" || room.created_by === store.me.id;
  $("#act-add-member").hidden = !(room.type === "private" && isAdmin);
  $("#act-leave").hidden = isDm;
  $("#act-delete").hidden = isDm || !isAdmin;
  $("#btn-room-menu").hidden = isDm;
  $("#btn-members").hidden = isDm;
  renderNotifyButton(store);
}

/** The "… is typing" line under the open conversation. */
export function renderTyping(store) {
  const names = store.activeRoomId ? store.typingNames(store.activeRoomId) : [];
  $("#typing").textContent = typingText(names);
}
