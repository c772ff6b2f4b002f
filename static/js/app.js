// The workspace page: wires the REST client, the socket, the store and the views together.
import { ApiError, api } from "./api.js";
import { clearToken, getToken, goToLogin, tokenRefused } from "./auth.js";
import { $, fillAvatar, h, toast } from "./dom.js";
import { Outbox } from "./outbox.js";
import { ChatSocket } from "./socket.js";
import { Store, typingText } from "./store.js";
import { applyTheme } from "./theme.js";
import { lastSeenText } from "./time.js";
import { Composer } from "./views/composer.js";
import { showConnection } from "./views/connection.js";
import { confirmDialog, openImage, setupBrowse, setupCreateRoom, setupMembers } from "./views/dialogs.js";
import { MessageList } from "./views/messages.js";
import { setupSettings } from "./views/settings.js";
import { renderSidebar, setupUserSearch } from "./views/sidebar.js";

const PAGE_SIZE = 30;
const store = new Store();
const outbox = new Outbox(store);
const socket = new ChatSocket({
  getToken,
  resumePoints: () => store.resumePoints(),
  onUnauthorized: async (usedToken, reason) => Boolean(await tokenRefused(usedToken, reason)),
});
let everOpen = false;

// ---- rendering glue ----------------------------------------------------------------------------
const messages = new MessageList({
  store,
  onReply: (m) => composer.setReply(m),
  onEdit: editMessage,
  onDelete: deleteMessage,
  onRetry: (m) => outbox.deliver(m),
  onLoadOlder: loadOlder,
  onOpenImage: openImage,
});
const composer = new Composer({ onSend: sendText, onSendFile: sendFile, onTyping, onEditLast: editLastMessage });
const members = setupMembers({ store, currentRoom: () => store.rooms.get(store.activeRoomId) });

function renderMe() {
  const me = store.me;
  fillAvatar($("#me-avatar"), { name: me.username, image: me.avatar, seed: me.id });
  $("#me-name").textContent = me.username;
  $("#me-status").textContent = me.status || "";
}

function renderTitle() {
  const total = store.totalUnread();
  document.title = total ? `(${total}) ChatApp` : "ChatApp";
}

let sidebarQueued = false;
function renderRooms() {
  if (sidebarQueued) return;
  sidebarQueued = true;
  requestAnimationFrame(() => {
    sidebarQueued = false;
    renderSidebar(store, (id) => openRoom(id));
    renderTitle();
    renderHeader();
  });
}

function renderHeader() {
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
    const presence = h("span", { class: online ? "conv-presence is-online" : "conv-presence" }, online ? "online" : lastSeenText(other?.last_seen));
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
}

function renderTyping() {
  const names = store.activeRoomId ? store.typingNames(store.activeRoomId) : [];
  $("#typing").textContent = typingText(names);
}
setInterval(() => store.activeRoomId && renderTyping(), 1000);

// ---- data loading ------------------------------------------------------------------------------
async function refreshRooms() {
  const [rooms, dms] = await Promise.all([
    api.myRooms().catch(softFail),
    api.dms().catch(softFail),
  ]);
  store.setRooms(rooms?.data || [], dms?.data || []);
}

// A burst of deletions in rooms never opened here: one fresh room list (with the server's counts).
let recountTimer = null;
function recountSoon() {
  clearTimeout(recountTimer);
  recountTimer = setTimeout(refreshRooms, 300);
}

function softFail(error) {
  // Lists that fail to load (server part unavailable) leave the sidebar empty, not the app broken.
  console.warn("load failed:", error.message);
  return null;
}

async function loadFirstPage(roomId) {
  const conv = store.conversation(roomId);
  const page = await api.messages(roomId, { limit: PAGE_SIZE });
  const room = store.rooms.get(roomId);
  if (room && page.partner_read_at) room.partner_read_at = page.partner_read_at;
  for (const m of page.data || []) store.applyMessage(m);
  conv.loaded = true;
  conv.hasMore = (page.data || []).length >= PAGE_SIZE;
}

/** Newer messages than `after`, page by page (oldest first), until there are no more. */
async function catchUp(roomId, after) {
  try {
    for (let cursor = after; cursor; ) {
      const page = await api.messages(roomId, { after: cursor, limit: 100 });
      const items = page.data || [];
      for (const m of items) store.applyMessage(m, { live: true });
      cursor = page.has_more && items.length ? items[items.length - 1].id : null;
    }
    if (roomId === store.activeRoomId) markReadSoon();
  } catch (error) {
    toast(error.message, "error");
  }
}

async function loadOlder() {
  const roomId = store.activeRoomId;
  if (!roomId) return;
  const conv = store.conversation(roomId);
  if (!conv.loaded || !conv.hasMore || conv.loadingOlder) return;
  conv.loadingOlder = true;
  try {
    const page = await api.messages(roomId, { before: conv.oldestId, limit: PAGE_SIZE });
    for (const m of page.data || []) store.applyMessage(m, { quiet: true });
    conv.hasMore = Boolean(page.has_more);
    if (store.activeRoomId === roomId) messages.render("prepend");
  } catch (error) {
    toast(error.message, "error");
  } finally {
    conv.loadingOlder = false;
  }
}

async function openRoom(roomId, { refresh = false } = {}) {
  if (refresh || !store.rooms.has(roomId)) await refreshRooms();
  const room = store.rooms.get(roomId);
  if (!room) return toast("Conversation not found", "error");
  store.activeRoomId = roomId;
  history.replaceState(null, "", `#room=${roomId}`);
  $("#welcome").hidden = true;
  $("#conversation").hidden = false;
  $("#app").classList.add("show-conv");
  composer.reset();
  messages.open(roomId);
  renderRooms();
  renderHeader();
  renderTyping();
  const conv = store.conversation(roomId);
  try {
    const [detail] = await Promise.all([api.room(roomId).catch(() => null), conv.loaded ? null : loadFirstPage(roomId)]);
    if (detail) store.upsertRoom(detail);
  } catch (error) {
    if (error instanceof ApiError) toast(error.message, "error");
  }
  if (store.activeRoomId !== roomId) return;
  messages.render("initial");
  renderHeader();
  markReadSoon();
  if (window.matchMedia("(min-width: 761px)").matches) $("#composer-input").focus();
}

function closeConversation() {
  store.activeRoomId = null;
  history.replaceState(null, "", location.pathname);
  $("#conversation").hidden = true;
  $("#welcome").hidden = false;
  $("#app").classList.remove("show-conv");
  renderRooms();
}

let readTimer = null;
function markReadSoon() {
  const roomId = store.activeRoomId;
  if (!roomId || !store.isVisible(roomId)) return;
  const room = store.rooms.get(roomId);
  if (room) store.clearUnread(room);
  renderRooms();
  clearTimeout(readTimer);
  readTimer = setTimeout(() => api.markRead(roomId).catch(() => {}), 250);
}

// ---- sending -----------------------------------------------------------------------------------
function sendText(content, replyTo) {
  if (store.activeRoomId) outbox.send(store.activeRoomId, { content }, replyTo);
}

function sendFile(result, caption, replyTo) {
  if (!store.activeRoomId) return;
  const type = result.is_image ? "image" : result.is_audio ? "audio" : "file";
  outbox.send(store.activeRoomId, { type, content: caption || "", file_url: result.url, file_name: result.file_name, file_size: result.file_size }, replyTo);
}

function onTyping(active) {
  if (store.activeRoomId) socket.send(active ? "typing" : "stop_typing", { room_id: store.activeRoomId });
}

/** Arrow-Up in an empty composer: my newest message goes into edit mode if its edit window is open. */
function editLastMessage() {
  if (!store.activeRoomId) return false;
  const items = store.conversation(store.activeRoomId).items;
  const last = items.findLast((m) => m.sender_id === store.me.id && m.type !== "system");
  if (!store.canModify(last)) return false;
  messages.startEdit(last.id);
  return true;
}

async function editMessage(message, content) {
  try {
    store.applyMessage(await api.editMessage(message.id, content));
  } catch (error) {
    toast(error.message, "error");
    messages.render();
  }
}

async function deleteMessage(message) {
  if (!(await confirmDialog("Delete message?", "It will show as “message deleted” for everyone.", "Delete"))) return;
  try {
    await api.deleteMessage(message.id);
    applyDeleted(message.room_id, message.id);
  } catch (error) {
    toast(error.message, "error");
    messages.render();
  }
}

function applyDeleted(roomId, id) {
  const existing = store.conversation(roomId).byId.get(id);
  if (!existing || existing.is_deleted) return;
  store.applyMessage({ ...existing, is_deleted: true, content: "", file_url: null, file_name: null, file_size: null, updated_at: new Date().toISOString() });
}

// ---- socket events -----------------------------------------------------------------------------
const handlers = {
  new_message(m) {
    const known = store.rooms.has(m.room_id);
    store.applyMessage(m, { live: true });
    if (!known) refreshRooms();
    if (m.sender_id !== store.me.id) store.setTyping(m.room_id, m.sender_id, "", false);
    if (m.room_id === store.activeRoomId && m.sender_id !== store.me.id) markReadSoon();
  },
  edit_message(m) {
    store.applyMessage(m);
  },
  delete_message({ id, room_id }) {
    if (store.deletionNeedsRecount(room_id, id)) recountSoon();
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
    for (const list of store.members.values()) if (list.get(user_id)?.user) list.get(user_id).user.last_seen = last_seen;
    for (const room of store.rooms.values()) if (room.other_user?.id === user_id) room.other_user.last_seen = last_seen;
  },
  async user_joined({ room_id, user_id }) {
    if (user_id === store.me.id && !store.rooms.has(room_id)) return refreshRooms();
    if (room_id === store.activeRoomId) store.upsertRoom(await api.room(room_id));
  },
  user_left({ room_id, user_id }) {
    if (user_id === store.me.id) return;
    store.members.get(room_id)?.delete(user_id);
    store.emit("members", { roomId: room_id });
  },
  dm_created() {
    refreshRooms();
  },
  room_deleted({ room_id }) {
    if (store.activeRoomId === room_id) {
      closeConversation();
      toast("This room was deleted");
    }
    store.removeRoom(room_id);
  },
  profile_updated(user) {
    store.applyProfile(user);
  },
  resumed({ truncated = [] }) {
    // More than the replay limit missed in a room: page the rest over REST, from where it stopped.
    for (const roomId of truncated) {
      const after = store.conversations.get(roomId)?.newestId;
      if (after) catchUp(roomId, after);
    }
    refreshRooms();
  },
  error({ error }) {
    console.warn("server:", error);
  },
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

// ---- store -> views ----------------------------------------------------------------------------
store.addEventListener("rooms", renderRooms);
store.addEventListener("message", (e) => {
  const { roomId, message, change } = e.detail;
  if (roomId !== store.activeRoomId) return;
  // "append" (follow, or offer the "New messages" pill) only for a message that landed at the bottom.
  const items = store.conversation(roomId).items;
  const atEnd = change === "added" && items.slice(items.lastIndexOf(message) + 1).every((m) => m.pending);
  messages.render(atEnd ? "append" : "update", { ownNew: atEnd && message.sender_id === store.me.id });
});
store.addEventListener("read", (e) => e.detail.roomId === store.activeRoomId && messages.render());
store.addEventListener("presence", () => {
  renderRooms();
  if (store.activeRoomId) messages.render();
});
store.addEventListener("members", (e) => e.detail.roomId === store.activeRoomId && renderHeader());
store.addEventListener("typing", (e) => e.detail.roomId === store.activeRoomId && renderTyping());
store.addEventListener("profile", (e) => {
  if (e.detail.userId === store.me.id) renderMe();
  if (store.activeRoomId) messages.render();
});

// ---- page chrome -------------------------------------------------------------------------------
function setupChrome() {
  $("#btn-back").addEventListener("click", closeConversation);
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
  $("#act-leave").addEventListener("click", async () => {
    const room = store.rooms.get(store.activeRoomId);
    if (!room || !(await confirmDialog(`Leave ${room.name}?`, "You can join again later if it is public.", "Leave"))) return;
    try {
      await api.leaveRoom(room.id);
      closeConversation();
      store.removeRoom(room.id);
    } catch (error) {
      toast(error.message, "error");
    }
  });
  $("#act-delete").addEventListener("click", async () => {
    const room = store.rooms.get(store.activeRoomId);
    if (!room || !(await confirmDialog(`Delete ${room.name}?`, "The room and all its messages are removed for everyone.", "Delete room"))) return;
    try {
      await api.deleteRoom(room.id);
      closeConversation();
      store.removeRoom(room.id);
    } catch (error) {
      toast(error.message, "error");
    }
  });

  setupUserSearch($("#user-search"), $("#user-search-results"), async (user) => {
    try {
      const result = await api.openDm(user.id);
      await openRoom(result.id || result.room?.id, { refresh: true });
    } catch (error) {
      toast(error.message, "error");
    }
  });
  setupBrowse({ store, onOpen: openRoom });
  setupCreateRoom({ onCreated: (room) => openRoom(room.id, { refresh: true }) });
  setupSettings({
    store,
    onProfile: (me) => {
      store.me = me;
      store.applyProfile(me);
    },
    onLogout: logout,
  });

  $("#lightbox").addEventListener("click", (e) => e.target.id === "lightbox" && e.currentTarget.close());
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && markReadSoon());
  window.addEventListener("focus", markReadSoon);
  window.addEventListener("online", () => socket.reconnectNow());
}

async function logout() {
  socket.stop();
  try {
    await api.logout();
  } catch {
    /* the token may already be gone: we are leaving either way */
  }
  clearToken();
  window.location.replace("/login");
}

async function boot() {
  applyTheme();
  if (!getToken()) return goToLogin();
  try {
    store.me = await api.me();
  } catch (error) {
    if (error.status !== 401) toast(error.message, "error");
    return;
  }
  renderMe();
  setupChrome();
  document.body.classList.remove("is-booting");
  await refreshRooms();
  socket.connect();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("room");
  if (wanted && store.rooms.has(wanted)) openRoom(wanted);
}

// For the browser tests (drop the socket as a network failure would) and for debugging.
window.chatApp = { store, socket };
boot();
