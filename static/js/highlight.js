// A search result's text cut into plain and matched parts, for text nodes and <mark>s (never HTML).
// The server's match_ranges count Unicode code points, as Python and PostgreSQL do; a JavaScript
// string counts UTF-16 units, in which an emoji is two, so the text is indexed as Array.from(text).

/** The ranges that fit `length` code points, in order, without overlaps (a bad one is dropped). */
function cleanRanges(ranges, length) {
  const valid = (Array.isArray(ranges) ? ranges : [])
    .filter((r) => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1]))
    .filter(([start, end]) => start >= 0 && start < end && end <= length)
    .sort((a, b) => a[0] - b[0]);
  const out = [];
  for (const [start, end] of valid) {
    if (out.length && start < out[out.length - 1][1]) continue;
    out.push([start, end]);
  }
  return out;
}

/**
 * `content` as [{text, match}], cut to about `max` code points that start a little before the
 * first match (`lead` of them, from a word's start where one is near) so that a match deep in a
 * long message still shows. `before` / `after`: whether text was left out at either end.
 */
export function highlightParts(content, ranges, { lead = 40, max = 280 } = {}) {
  const chars = Array.from(content || "");
  const kept = cleanRanges(ranges, chars.length);
  let from = 0;
  if (kept.length && kept[0][0] > lead) {
    from = kept[0][0] - lead;
    // Start at a word: the first space within the lead, if there is one.
    const space = chars.slice(from, kept[0][0]).findIndex((c) => /\s/.test(c));
    if (space !== -1) from += space + 1;
  }
  const to = Math.min(chars.length, from + max);
  const parts = [];
  let at = from;
  for (const [start, end] of kept) {
    if (end <= from || start >= to) continue;
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    if (s > at) parts.push({ text: chars.slice(at, s).join(""), match: false });
    parts.push({ text: chars.slice(s, e).join(""), match: true });
    at = e;
  }
  if (at < to) parts.push({ text: chars.slice(at, to).join(""), match: false });
  return { parts, before: from > 0, after: to < chars.length };
}
