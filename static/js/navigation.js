// Loading the room list and messages, and switching the page between conversations: opening one
// (its first page, or the stretch around one message, then older and newer pages on demand),
// closing it, catching up after a truncated resume, and telling the server what has been read.
// Each conversation and message has an address (routes.js), kept in the browser's history.
import { ApiError, api } from "./api.js";
import { $, toast } from "./dom.js";
import { pathFor } from "./routes.js";
import { compareMessages } from "./store.js";
import { firstUnreadId } from "./unread.js";
import { renderHeader, renderTitle, renderTyping } from "./views/header.js";
import { renderSidebar } from "./views/sidebar.js";

const PAGE_SIZE = 30;
const MAX_PAGE_SIZE = 100; // the server's largest page
const AROUND_SIZE = 50; // a linked message with about 25 messages on either side

/** The address bar shows `path`: a new history entry ("push"), the current one ("replace"), or as is. */
function go(path, how) {
  if (how === "none" || location.pathname + location.hash === path) return;
  if (how === "push") history.pushState(null, "", path);
  else history.replaceState(null, "", path);
}

/** `messages` and `composer` are the open conversation's views; the functions returned need no `this`. */
export function setupNavigation({ store, messages, composer }) {
  let sidebarQueued = false;
  function renderRooms() {
    if (sidebarQueued) return;
    sidebarQueued = true;
    requestAnimationFrame(() => {
      sidebarQueued = false;
      renderSidebar(store, (id) => openRoom(id));
      renderTitle(store);
      renderHeader(store);
    });
  }

  async function refreshRooms() {
    const [rooms, dms] = await Promise.all([api.myRooms().catch(softFail), api.dms().catch(softFail)]);
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

  async function loadFirstPage(roomId, limit = PAGE_SIZE) {
    const conv = store.conversation(roomId);
    const page = await api.messages(roomId, { limit });
    const room = store.rooms.get(roomId);
    if (room && page.partner_read_at) room.partner_read_at = page.partner_read_at;
    for (const m of page.data || []) store.applyMessage(m);
    // The room's newest messages (newest first), without a gap between them.
    store.cursors.run(roomId, (page.data || []).map((m) => m.id).reverse());
    conv.loaded = true;
    conv.hasMore = (page.data || []).length >= limit;
  }

  /** Newer messages than `after`, page by page (oldest first), until there are no more. */
  async function catchUp(roomId, after) {
    try {
      for (let cursor = after; cursor; ) {
        const page = await api.messages(roomId, { after: cursor, limit: 100 });
        const items = page.data || [];
        for (const m of items) store.applyMessage(m, { live: true });
        store.cursors.run(roomId, [cursor, ...items.map((m) => m.id)]);
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

  /**
   * The stretch of history around `messageId`. Joined to what is held when both reach the newest
   * message (nothing can be missing between them); otherwise it replaces it, and newer pages load
   * as the reader scrolls down (`loadNewer`).
   */
  async function loadAround(roomId, messageId) {
    const page = await api.messages(roomId, { around: messageId, limit: AROUND_SIZE });
    const items = page.data || [];
    const conv = store.conversation(roomId);
    const joins = conv.loaded && !conv.hasNewer && !page.has_more_after;
    const oldest = conv.byId.get(conv.oldestId);
    if (!joins) conv.clear();
    for (const m of items) store.applyMessage(m, { quiet: true });
    if (!joins || !oldest || (items.length && compareMessages(items[0], oldest) < 0))
      conv.hasMore = Boolean(page.has_more_before);
    // Set after the messages went in: a conversation waiting for newer ones takes none past its newest.
    conv.hasNewer = Boolean(page.has_more_after);
    conv.loaded = true;
    if (!conv.hasNewer)
      store.cursors.run(
        roomId,
        items.map((m) => m.id),
      );
  }

  /** The next page below a stretch of older history, until the newest message is reached. */
  async function loadNewer() {
    const roomId = store.activeRoomId;
    const conv = roomId && store.conversation(roomId);
    if (!conv?.hasNewer || conv.loadingNewer) return;
    conv.loadingNewer = true;
    try {
      const after = conv.newestId;
      const page = await api.messages(roomId, { after, limit: PAGE_SIZE });
      const items = page.data || [];
      conv.hasNewer = false; // let the page in past the newest held
      for (const m of items) store.applyMessage(m, { quiet: true });
      conv.hasNewer = Boolean(page.has_more) && items.length > 0;
      if (!conv.hasNewer) store.cursors.run(roomId, [after, ...items.map((m) => m.id)]);
      if (store.activeRoomId === roomId) messages.render("newer");
      if (!conv.hasNewer && roomId === store.activeRoomId) markReadSoon();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      conv.loadingNewer = false;
    }
  }

  /**
   * Opens a conversation: at its unread or newest messages, or at `messageId` (loaded with the
   * messages around it, scrolled to and highlighted). `history`: how the address bar follows
   * ("push" a new entry, "replace" the current one, or "none" when the address is already right,
   * as on back and forward).
   */
  async function openRoom(roomId, { refresh = false, messageId = null, history: how = "push", focus = true } = {}) {
    if (refresh || !store.rooms.has(roomId)) await refreshRooms();
    const room = store.rooms.get(roomId);
    if (!room) {
      if (how !== "push") go("/", "replace");
      return toast("Conversation not found", "error");
    }
    // Before reading clears it: how many messages the "New messages" divider goes above.
    const unreadAtOpen = room.unread_count || 0;
    const switching = store.activeRoomId !== roomId;
    store.activeRoomId = roomId;
    go(pathFor(roomId, messageId), how);
    $("#welcome").hidden = true;
    $("#conversation").hidden = false;
    $("#app").classList.add("show-conv");
    if (switching || !messageId) {
      composer.reset();
      messages.open(roomId);
    }
    renderRooms();
    renderHeader(store);
    renderTyping(store);
    const conv = store.conversation(roomId);
    if (!messageId && conv.hasNewer) conv.clear(); // back to the newest messages
    const around = messageId && !conv.byId.has(messageId);
    try {
      const [detail] = await Promise.all([
        api.room(roomId).catch(() => null),
        around
          ? loadAround(roomId, messageId)
          : conv.loaded
            ? null
            : loadFirstPage(roomId, Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, unreadAtOpen + 5))),
      ]);
      if (detail) store.upsertRoom(detail);
    } catch (error) {
      if (error instanceof ApiError) toast(error.message, "error");
      // A link to a message that is gone still opens its room.
      if (!conv.loaded && store.activeRoomId === roomId) await loadFirstPage(roomId).catch(() => {});
    }
    if (store.activeRoomId !== roomId) return;
    let shown = false;
    if (messageId) {
      messages.setDivider(null);
      messages.render(switching ? "update" : "newer");
      shown = await messages.jumpTo(messageId, { smooth: !switching, load: false });
    }
    if (!shown) {
      if (messageId) go(pathFor(roomId), "replace"); // a message no longer there: the room's address
      messages.setDivider(firstUnreadId(conv.items, unreadAtOpen, store.me.id));
      messages.render("initial");
    }
    renderHeader(store);
    markReadSoon();
    if (focus && window.matchMedia("(min-width: 761px)").matches) $("#composer-input").focus();
  }

  /**
   * Back to the newest messages of the open room before something is sent there: from a stretch
   * of older history (the sent message shows at the bottom, where it belongs), and from a
   * message's address to the room's.
   */
  async function toPresent() {
    const roomId = store.activeRoomId;
    if (!roomId) return;
    go(pathFor(roomId), "replace");
    const conv = store.conversation(roomId);
    if (!conv.hasNewer) return;
    conv.clear();
    try {
      await loadFirstPage(roomId);
    } catch (error) {
      toast(error.message, "error");
    }
    if (store.activeRoomId === roomId) messages.render("initial");
  }

  function closeConversation({ history: how = "push" } = {}) {
    store.activeRoomId = null;
    go("/", how);
    $("#conversation").hidden = true;
    $("#welcome").hidden = false;
    $("#app").classList.remove("show-conv");
    renderRooms();
  }

  // One POST /read per burst of messages in the open room. A room left before its burst ends is
  // marked read at once: cancelling it would bring its counts back with the next room list.
  let readTimer = null;
  let readPending = null; // the room the timer will mark read
  function markReadSoon() {
    const roomId = store.activeRoomId;
    if (!roomId || !store.isVisible(roomId)) return;
    const room = store.rooms.get(roomId);
    if (room) store.clearUnread(room);
    renderRooms();
    clearTimeout(readTimer);
    if (readPending && readPending !== roomId) api.markRead(readPending).catch(() => {});
    readPending = roomId;
    readTimer = setTimeout(() => {
      readPending = null;
      api.markRead(roomId).catch(() => {});
    }, 250);
  }

  return {
    renderRooms,
    refreshRooms,
    recountSoon,
    catchUp,
    loadOlder,
    loadNewer,
    loadAround: (messageId) => store.activeRoomId && loadAround(store.activeRoomId, messageId),
    openRoom,
    toPresent,
    closeConversation,
    markReadSoon,
  };
}
