// The workspace's fixed controls: the back button, the room menu (add member, leave, delete), the
// people search, the browse / create / settings / members & access dialogs, and the window events
// that mark as read or reconnect.
import { api } from "../api.js";
import { $, toast } from "../dom.js";
import { setupAdmin } from "./admin.js";
import { confirmDialog, setupBrowse, setupCreateRoom } from "./dialogs.js";
import { setupNotifyMenu } from "./notify-menu.js";
import { setupSettings } from "./settings.js";
import { setupUserSearch } from "./sidebar.js";

export function setupChrome({ store, socket, members, nav, onLogout, onAccountDeleted }) {
  $("#btn-back").addEventListener("click", () => nav.closeConversation());
  $("#btn-members").addEventListener("click", () => members.open());
  const menu = $("#room-menu");
  const menuButton = $("#btn-room-menu");
  const closeMenu = () => {
    menu.hidden = true;
    menuButton.setAttribute("aria-expanded", "false");
  };
  menuButton.addEventListener("click", (e) => {
    e.stopPropagation();
    menu.hidden = !menu.hidden;
    menuButton.setAttribute("aria-expanded", String(!menu.hidden));
    if (!menu.hidden) menu.querySelector("button:not([hidden])")?.focus();
  });
  document.addEventListener("click", closeMenu);
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      closeMenu();
      menuButton.focus();
    }
  });
  $("#act-add-member").addEventListener("click", () => members.open(true));
  setupNotifyMenu({ store, socket });
  $("#act-leave").addEventListener("click", async () => {
    const room = store.rooms.get(store.activeRoomId);
    if (!room || !(await confirmDialog(`Leave ${room.name}?`, "You can join again later if it is public.", "Leave")))
      return;
    try {
      await api.leaveRoom(room.id);
      nav.closeConversation();
      store.removeRoom(room.id);
    } catch (error) {
      toast(error.message, "error");
    }
  });
  $("#act-delete").addEventListener("click", async () => {
    const room = store.rooms.get(store.activeRoomId);
    if (
      !room ||
      !(await confirmDialog(
        `Delete ${room.name}?`,
        "The room and all its messages are removed for everyone.",
        "Delete room",
      ))
    )
      return;
    try {
      await api.deleteRoom(room.id);
      nav.closeConversation();
      store.removeRoom(room.id);
    } catch (error) {
      toast(error.message, "error");
    }
  });

  setupUserSearch($("#user-search"), $("#user-search-results"), async (user) => {
    try {
      const result = await api.openDm(user.id);
      await nav.openRoom(result.id || result.room?.id, { refresh: true });
    } catch (error) {
      toast(error.message, "error");
    }
  });
  setupBrowse({ store, onOpen: nav.openRoom });
  setupCreateRoom({ onCreated: (room) => nav.openRoom(room.id, { refresh: true }) });
  setupSettings({
    store,
    onProfile: (me) => {
      store.me = me;
      store.applyProfile(me);
    },
    onLogout,
    onAccountDeleted,
  });
  setupAdmin({ store });

  $("#lightbox").addEventListener("click", (e) => e.target.id === "lightbox" && e.currentTarget.close());
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && nav.markReadSoon());
  window.addEventListener("focus", nav.markReadSoon);
  window.addEventListener("online", () => socket.reconnectNow());
}
