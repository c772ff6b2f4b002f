// The workspace page: wires the REST client, the socket, the store and the views together.
import { api } from "./api.js";
import { clearToken, getToken, goToLogin, tokenRefused } from "./auth.js";
import { toast } from "./dom.js";
import { followMentions } from "./mention-alerts.js";
import { setupNavigation } from "./navigation.js";
import { Outbox } from "./outbox.js";
import { registerServiceWorker, resyncPush, turnPushOff } from "./push.js";
import { richActions, richHandlers } from "./rich-events.js";
import { parseRoute } from "./routes.js";
import { ChatSocket } from "./socket.js";
import { followSocket } from "./socket-events.js";
import { unlockSound } from "./sound.js";
import { Store } from "./store.js";
import { applyTheme } from "./theme.js";
import { setupChrome } from "./views/chrome.js";
import { Composer } from "./views/composer.js";
import { confirmDialog, openImage, setupMembers } from "./views/dialogs.js";
import { formatKeys } from "./views/format-keys.js";
import { renderHeader, renderMe, renderTyping } from "./views/header.js";
import { MentionPicker } from "./views/mention-picker.js";
import { MessageList } from "./views/messages.js";
import { setupPins } from "./views/pins-panel.js";
import { SearchBox } from "./views/search-box.js";

const store = new Store();
const outbox = new Outbox(store);
const socket = new ChatSocket({
  getToken,
  resumePoints: () => store.resumePoints(),
  onUnauthorized: async (usedToken, reason) => Boolean(await tokenRefused(usedToken, reason)),
});

// ---- rendering glue ----------------------------------------------------------------------------
const messages = new MessageList({
  store,
  onReply: (m) => composer.setReply(m),
  onEdit: editMessage,
  onDelete: deleteMessage,
  onRetry: (m) => outbox.deliver(m),
  onLoadOlder: () => nav.loadOlder(),
  onLoadNewer: () => nav.loadNewer(),
  onLoadAround: (id) => nav.loadAround(id),
  onOpenImage: openImage,
  ...richActions(store),
});
const composer = new Composer({ onSend: sendText, onSendFile: sendFile, onTyping, onEditLast: editLastMessage });
new MentionPicker({ store });
const members = setupMembers({ store, currentRoom: () => store.rooms.get(store.activeRoomId) });
const nav = setupNavigation({ store, messages, composer });
const pins = setupPins({ store, onJump: (roomId, messageId) => openAt(roomId, messageId) });
formatKeys(document.getElementById("composer-input"));

setInterval(() => store.activeRoomId && renderTyping(store), 1000);

// ---- sending -----------------------------------------------------------------------------------
// What is sent shows at the bottom, among the newest messages: the room goes back there first.
async function sendText(content, replyTo) {
  const roomId = store.activeRoomId;
  if (!roomId) return;
  await nav.toPresent();
  outbox.send(roomId, { content }, replyTo);
}

async function sendFile(result, caption, replyTo) {
  const roomId = store.activeRoomId;
  if (!roomId) return;
  await nav.toPresent();
  const type = result.is_image ? "image" : result.is_audio ? "audio" : "file";
  outbox.send(
    roomId,
    { type, content: caption || "", file_url: result.url, file_name: result.file_name, file_size: result.file_size },
    replyTo,
  );
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
  store.applyMessage({
    ...existing,
    is_deleted: true,
    content: "",
    file_url: null,
    file_name: null,
    file_size: null,
    updated_at: new Date().toISOString(),
  });
}

// ---- socket events -----------------------------------------------------------------------------
followSocket({ socket, store, outbox, nav, applyDeleted, more: richHandlers(store, { onPinsChanged: pins.refresh }) });
followMentions({ socket, store });

// ---- store -> views ----------------------------------------------------------------------------
store.addEventListener("rooms", nav.renderRooms);
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
  nav.renderRooms();
  if (!store.activeRoomId) return;
  renderHeader(store); // the DM header's online / last seen, a room's "N online"
  messages.render();
});
store.addEventListener("members", (e) => e.detail.roomId === store.activeRoomId && renderHeader(store));
store.addEventListener("typing", (e) => e.detail.roomId === store.activeRoomId && renderTyping(store));
store.addEventListener("profile", (e) => {
  if (e.detail.userId === store.me.id) renderMe(store);
  if (store.activeRoomId) messages.render();
});

async function logout() {
  socket.stop();
  // This browser stops receiving the account's notifications (the server drops them with the token too).
  await turnPushOff().catch(() => {});
  try {
    await api.logout();
  } catch {
    /* the token may already be gone: we are leaving either way */
  }
  clearToken();
  window.location.replace("/login");
}

/** The account is gone (its tokens with it): nothing to log out of, straight to the login page. */
function accountDeleted() {
  socket.stop();
  goToLogin("Your account has been deleted."); // the server dropped its push subscriptions already
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
  renderMe(store);
  setupChrome({ store, socket, members, nav, onLogout: logout, onAccountDeleted: accountDeleted });
  new SearchBox({
    store,
    onOpen: (hit) => openAt(hit.room.id, hit.id, { focus: false }),
    onReveal: () => nav.closeConversation(),
  });
  document.body.classList.remove("is-booting");
  await nav.refreshRooms();
  socket.connect();
  // The address opened: a room's, a message's (where notifications and copied links lead) or "/".
  showAddress("replace");
  window.addEventListener("popstate", () => showAddress("none"));
  unlockSound();
  // The installable app's worker (no permission asked: that is the settings button's job).
  if (await registerServiceWorker()) {
    navigator.serviceWorker.addEventListener("message", (e) => {
      if (e.data?.type === "open-room" && e.data.room_id) openAt(e.data.room_id, e.data.message_id);
    });
    resyncPush();
  }
}

/** What the address bar says, on the page: on load, and on back and forward (`how`: "none"). */
function showAddress(how) {
  const { roomId, messageId } = parseRoute(location.pathname, location.hash);
  if (roomId) openAt(roomId, messageId, { history: how });
  else if (store.activeRoomId) nav.closeConversation({ history: how });
  else if (location.pathname !== "/") history.replaceState(null, "", "/");
}

/** A room opened at one message (a notification's or a search result's), or at its unread / newest ones. */
function openAt(roomId, messageId, { history = "push", focus = true } = {}) {
  return nav.openRoom(roomId, { refresh: !store.rooms.has(roomId), messageId: messageId || null, history, focus });
}

// For the browser tests (drop the socket as a network failure would) and for debugging.
window.chatApp = { store, socket };
boot();
