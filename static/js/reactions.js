// A message's reactions as the server lists them ([{emoji, count, user_ids}], first-reacted order),
// changed by one event at a time. No DOM here: tests/js/reactions.test.mjs holds the rules.

const LISTED_MAX = 50; // the server lists at most this many user_ids per emoji; `count` is exact

/**
 * `reactions` after `user_id` added (delta 1) or removed (-1) `emoji`: a new emoji goes last, one at
 * 0 goes. An event already applied (the same user listed, or not) changes nothing, so my own click
 * and its echo count once. Returns a new array.
 */
export function applyReaction(reactions, { emoji, user_id, delta }) {
  const list = (Array.isArray(reactions) ? reactions : []).map((r) => ({ ...r, user_ids: [...(r.user_ids || [])] }));
  const at = list.findIndex((r) => r.emoji === emoji);
  const entry = at === -1 ? null : list[at];
  const listed = Boolean(entry?.user_ids.includes(user_id));
  if (delta > 0) {
    if (listed) return list;
    if (!entry) list.push({ emoji, count: 1, user_ids: [user_id] });
    else {
      entry.count += 1;
      if (entry.user_ids.length < LISTED_MAX) entry.user_ids.push(user_id);
    }
    return list;
  }
  // A removal of someone not listed counts only where the list is full (the rest are unlisted).
  if (!entry || (!listed && entry.user_ids.length < LISTED_MAX)) return list;
  entry.count -= 1;
  entry.user_ids = entry.user_ids.filter((id) => id !== user_id);
  if (entry.count <= 0) list.splice(at, 1);
  return list;
}

/** Whether `userId` is among those who reacted with `emoji`. */
export function hasReacted(reactions, emoji, userId) {
  return Boolean((reactions || []).find((r) => r.emoji === emoji)?.user_ids?.includes(userId));
}

/** "alice, bob and 3 others": the names of `reaction`'s users (`nameOf(id)`, null when unknown). */
export function reactorNames(reaction, nameOf, meId) {
  const names = [];
  for (const id of reaction.user_ids || []) names.push(id === meId ? "you" : nameOf(id) || "someone");
  const others = Math.max(0, (reaction.count || 0) - names.length);
  if (others) names.push(`${others} other${others === 1 ? "" : "s"}`);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
