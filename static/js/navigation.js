// Loading the room list and messages, and switching the page between conversations: opening one
// (its first page, then older pages on demand), closing it, catching up after a truncated resume,
// and telling the server what has been read.
import { ApiError, api } from "./api.js";
import { $, toast } from "./dom.js";
import { firstUnreadId } from "./unread.js";
import { renderHeader, renderTitle, renderTyping } from "./views/header.js";
import { renderSidebar } from "./views/sidebar.js";

const PAGE_SIZE = 30;
const MAX_PAGE_SIZE = 100; // the server's largest page

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

  async function openRoom(roomId, { refresh = false } = {}) {
    if (refresh || !store.rooms.has(roomId)) await refreshRooms();
    const room = store.rooms.get(roomId);
    if (!room) return toast("Conversation not found", "error");
    // Before reading clears it: how many messages the "New messages" divider goes above.
    const unreadAtOpen = room.unread_count || 0;
    store.activeRoomId = roomId;
    history.replaceState(null, "", `#room=${roomId}`);
    $("#welcome").hidden = true;
    $("#conversation").hidden = false;
    $("#app").classList.add("show-conv");
    composer.reset();
    messages.open(roomId);
    renderRooms();
    renderHeader(store);
    renderTyping(store);
    const conv = store.conversation(roomId);
    try {
      const [detail] = await Promise.all([
        api.room(roomId).catch(() => null),
        conv.loaded ? null : loadFirstPage(roomId, Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, unreadAtOpen + 5))),
      ]);
      if (detail) store.upsertRoom(detail);
    } catch (error) {
      if (error instanceof ApiError) toast(error.message, "error");
    }
    if (store.activeRoomId !== roomId) return;
    messages.setDivider(firstUnreadId(conv.items, unreadAtOpen, store.me.id));
    messages.render("initial");
    renderHeader(store);
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

  return { renderRooms, refreshRooms, recountSoon, catchUp, loadOlder, openRoom, closeConversation, markReadSoon };
}
