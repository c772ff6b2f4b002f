// @mentions without the DOM: the @word being typed (for the autocomplete), the members it may
// mean, and where a message's mentions are in its text (for the highlight). The text rules mirror
// the server's (messaging/mentions.py): no mention inside a code span or a URL, an @ starts one
// only at the start or after a space or opening punctuation, and the longest username wins.

export const ROOM_MENTION = "room";
const NAME_MIN = 3;
const NAME_MAX = 30;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const CODE = /(?<!`)(`+)(?!`)[\s\S]+?(?<!`)\1(?!`)/g;
const URL = /\b(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|www\.)\S+/g;
const MENTION = /(?<![^\s'"([{<,:;*~])@([A-Za-z0-9_.-]+)/g;
const STARTS_MENTION = /[\s'"([{<,:;*~]/;

/** The text with code spans and URLs blanked out, character for character (offsets still hold). */
function visibleText(text) {
  const blank = (match) => " ".repeat(match.length);
  return text.replace(CODE, blank).replace(URL, blank);
}

/** What `@<run>` may mean, longest first: the whole run, and each part that stops before . or - */
function names(run) {
  const lowered = run.toLowerCase();
  const out = [];
  for (let k = run.length; k > 0; k -= 1) {
    if ((k === run.length || run[k] === "." || run[k] === "-") && k >= NAME_MIN && k <= NAME_MAX)
      out.push(lowered.slice(0, k));
  }
  return out;
}

/**
 * Where `message`'s mentions are in its text: [{start, end, me, room}], in order. Only the users
 * the server says it mentions (`mentions`) and `@room` when it says so (`mentions_room`; a server
 * that does not send it: when the text has one). `me`: a mention of `meId` or @room.
 */
export function mentionRanges(message, meId) {
  const text = message.content || "";
  if (!text.includes("@") || !Array.isArray(message.mentions)) return [];
  const mentioned = new Map(message.mentions.map((u) => [String(u.username).toLowerCase(), u.id]));
  const visible = visibleText(text);
  const ranges = [];
  for (const match of visible.matchAll(MENTION)) {
    for (const name of names(match[1])) {
      const room = name === ROOM_MENTION && message.mentions_room !== false;
      if (!room && !mentioned.has(name)) continue;
      const start = match.index;
      ranges.push({ start, end: start + 1 + name.length, room, me: room || mentioned.get(name) === meId });
      break;
    }
  }
  return ranges;
}

/** Whether `message` (someone else's) mentions me: by name, or @room. */
export function mentionsMe(message, meId) {
  if (!meId || message.sender_id === meId || message.is_deleted || !Array.isArray(message.mentions)) return false;
  if (message.mentions.some((u) => u.id === meId)) return true;
  if (typeof message.mentions_room === "boolean") return message.mentions_room;
  return mentionRanges(message, meId).some((r) => r.room);
}

/**
 * The @word the caret is in or just after, as typed so far: {start, query} (start: the @'s
 * offset), or null when the caret is not in one (an email address, a code span, no @).
 */
export function mentionQuery(text, caret) {
  let at = caret - 1;
  while (at >= 0 && caret - at <= NAME_MAX + 1 && NAME_CHAR.test(text[at])) at -= 1;
  if (at < 0 || text[at] !== "@") return null;
  if (at > 0 && !STARTS_MENTION.test(text[at - 1])) return null;
  if (visibleText(text).slice(0, caret)[at] !== "@") return null; // inside code or a URL
  return { start: at, query: text.slice(at + 1, caret) };
}

/**
 * The members `query` may mean, best first: usernames starting with it, then containing it,
 * each alphabetically; `@room` (when allowed) among them like a member named "room".
 * `members`: [{id, username, ...}]; me left out.
 */
export function matchMembers(members, query, { meId = null, withRoom = false, limit = 8 } = {}) {
  const q = query.toLowerCase();
  const scored = [];
  const all = withRoom ? [...members, { id: ROOM_MENTION, username: ROOM_MENTION, isRoom: true }] : members;
  for (const member of all) {
    if (member.id === meId || !member.username) continue;
    const name = member.username.toLowerCase();
    const at = name.indexOf(q);
    if (at === -1) continue;
    scored.push({ member, rank: at === 0 ? 0 : 1, name });
  }
  scored.sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.member);
}

/** The text after choosing `username` for the @word at `start`..`caret`: {text, caret}. */
export function insertMention(text, { start, caret }, username) {
  const after = text.slice(caret).replace(/^[A-Za-z0-9_.-]*/, ""); // the rest of the word typed into
  const inserted = `@${username}${after.startsWith(" ") ? "" : " "}`;
  return {
    text: text.slice(0, start) + inserted + after,
    caret: start + inserted.length + (after.startsWith(" ") ? 1 : 0),
  };
}
