// What the search box offers as you type, without the DOM: operator names while one is being typed,
// then its values (`from:` people, `in:` rooms and direct messages, `has:`, `is:`, a date), and the
// text once one is picked. The operators are the server's (search/query.py).

export const OPERATORS = [
  { name: "from", detail: "Sent by someone: from:username" },
  { name: "in", detail: "In one room, or in:@name for a direct message" },
  { name: "has", detail: "With a file, image, link or audio" },
  { name: "is", detail: "Mentions of you, or unread" },
  { name: "before", detail: "Before a day: before:YYYY-MM-DD" },
  { name: "after", detail: "After a day: after:YYYY-MM-DD" },
];
const VALUES = {
  has: [
    ["file", "Any attachment"],
    ["image", "Images"],
    ["link", "Links"],
    ["audio", "Voice notes and audio"],
  ],
  is: [
    ["mention", "Messages that mention you"],
    ["unread", "Messages you have not read yet"],
  ],
};
const LIMIT = 8;

/**
 * The operator or word the caret is at the end of, in `text`: {start, end, negated, op, value}
 * (`op` "" for a word that may become an operator's name), or null. `end` runs on to the end of
 * the word after the caret, so picking a suggestion replaces the whole of it.
 */
export function tokenAt(text, caret) {
  const before = text.slice(0, caret);
  // Inside an "exact phrase" everything is text, operator names included.
  const quotes = (before.match(/"/g) || []).length;
  const inPhrase = quotes % 2 === 1 && !/(^|\s)-?[A-Za-z]+:"[^"]*$/.test(before);
  if (inPhrase) return null;
  const rest = /^[^\s"]*"?/.exec(text.slice(caret))[0];
  const op = /(^|\s)(-?)([A-Za-z]+):("[^"]*|[^\s"]*)$/.exec(before);
  if (op) {
    const start = op.index + op[1].length;
    const raw = op[4];
    const value = raw.startsWith('"') ? raw.slice(1) : raw;
    return { start, end: caret + rest.length, negated: op[2] === "-", op: op[3].toLowerCase(), value };
  }
  const word = /(^|\s)(-?)([A-Za-z]+)$/.exec(before);
  if (!word) return null;
  return {
    start: word.index + word[1].length,
    end: caret + rest.length,
    negated: word[2] === "-",
    op: "",
    value: word[3],
  };
}

/** An operator's value as the server reads it: quoted when it has a space in it. */
function quoted(value) {
  return /\s/.test(value) ? `"${value}"` : value;
}

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Names starting with `value` first, then those containing it; each alphabetically. */
function ranked(items, value, nameOf) {
  const q = value.toLowerCase();
  return items
    .map((item) => ({ item, name: nameOf(item).toLowerCase() }))
    .filter(({ name }) => name.includes(q))
    .sort((a, b) => (b.name.startsWith(q) ? 1 : 0) - (a.name.startsWith(q) ? 1 : 0) || a.name.localeCompare(b.name))
    .map(({ item }) => item);
}

/**
 * Suggestions for the caret's place: [{label, detail, insert, kind, start, end}]. `people`:
 * [{username}] (from: completes them); `rooms`: [{name, type, username}] (a direct room by the
 * other person's username). `insert` replaces text from `start` to `end`.
 */
export function suggest(text, caret, { people = [], rooms = [], today = new Date() } = {}) {
  const token = tokenAt(text, caret);
  if (!token) return [];
  const sign = token.negated ? "-" : "";
  const at = (insert, label, detail, kind) => ({ insert, label, detail, kind, start: token.start, end: token.end });
  if (!token.op) {
    const word = token.value.toLowerCase();
    return OPERATORS.filter((o) => o.name.startsWith(word)).map((o) =>
      at(`${sign}${o.name}:`, `${sign}${o.name}:`, o.detail, "operator"),
    );
  }
  const value = token.value;
  const out = [];
  if (token.op === "from") {
    const seen = new Set();
    for (const person of ranked(people, value.replace(/^@/, ""), (p) => p.username)) {
      const key = person.username.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(at(`${sign}from:${person.username} `, `from:${person.username}`, person.detail || "", "person"));
    }
  } else if (token.op === "in") {
    const direct = value.startsWith("@");
    const name = (room) => (room.type === "direct" ? room.username || "" : room.name || "");
    const candidates = rooms.filter((r) => name(r) && !name(r).includes('"') && (!direct || r.type === "direct"));
    for (const room of ranked(candidates, value.replace(/^@/, ""), name)) {
      const target = room.type === "direct" ? `@${room.username}` : quoted(room.name);
      const detail = room.type === "direct" ? "Direct message" : room.type === "private" ? "Private room" : "Room";
      out.push(at(`${sign}in:${target} `, `in:${target}`, detail, "room"));
    }
  } else if (VALUES[token.op]) {
    for (const [v, detail] of VALUES[token.op]) {
      if (v.startsWith(value.toLowerCase()))
        out.push(at(`${sign}${token.op}:${v} `, `${token.op}:${v}`, detail, "value"));
    }
  } else if (token.op === "before" || token.op === "after") {
    const week = new Date(today.getTime() - 7 * 86_400_000);
    for (const [day, detail] of [
      [isoDay(today), "Today"],
      [isoDay(week), "A week ago"],
    ]) {
      if (day.startsWith(value) && day !== value)
        out.push(at(`${sign}${token.op}:${day} `, `${token.op}:${day}`, detail, "value"));
    }
  }
  return out.slice(0, LIMIT);
}

/** `text` with `suggestion` put in, and where the caret goes: {text, caret}. */
export function applySuggestion(text, suggestion) {
  const after = text.slice(suggestion.end);
  const insert =
    suggestion.insert.endsWith(" ") && after.startsWith(" ") ? suggestion.insert.trimEnd() : suggestion.insert;
  const caret = suggestion.start + insert.length + (insert === suggestion.insert ? 0 : 1);
  return { text: text.slice(0, suggestion.start) + insert + after, caret };
}
