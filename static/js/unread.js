// Unread figures without the DOM: where the "New messages" divider goes, the tab title, and
// whether the favicon shows its dot.

/** What the server counts as unread: someone else's message (not a system line), not deleted. */
export function countsAsUnread(message, meId) {
  return !message.is_deleted && !message.pending && Boolean(message.sender_id) && message.sender_id !== meId;
}

/**
 * The id of the first unread message of `items` (oldest first) when `unreadCount` of them are
 * unread: the divider goes above it. Counted from the newest, as the server counts (others'
 * messages after my read mark). null when nothing is unread; when fewer are loaded than counted,
 * the oldest loaded one that counts.
 */
export function firstUnreadId(items, unreadCount, meId) {
  if (!unreadCount) return null;
  let left = unreadCount;
  let first = null;
  for (let i = items.length - 1; i >= 0 && left > 0; i -= 1) {
    if (!countsAsUnread(items[i], meId)) continue;
    first = items[i].id;
    left -= 1;
  }
  return first;
}

/** How many counted messages `items` holds: enough to place the divider once it reaches the count. */
export function unreadLoaded(items, meId) {
  let n = 0;
  for (const m of items) if (countsAsUnread(m, meId)) n += 1;
  return n;
}

/** The tab's title: the unread total in front, as mail and chat apps do. */
export function titleText(total, name = "ChatApp") {
  if (!total) return name;
  return `(${total > 999 ? "999+" : total}) ${name}`;
}

/** Unread mentions over all rooms (the favicon's dot, the sidebar's @ badges). */
export function mentionTotal(rooms) {
  let total = 0;
  for (const room of rooms) total += room.mention_count || 0;
  return total;
}
