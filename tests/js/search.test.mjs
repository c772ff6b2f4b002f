// The search box's pure parts: addresses, highlighted parts of a result, suggestions (node:test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { highlightParts } from "../../static/js/highlight.js";
import { messagePath, parseRoute, pathFor, roomPath, workspacePath } from "../../static/js/routes.js";
import { applySuggestion, suggest, tokenAt } from "../../static/js/search-suggest.js";

const R = "3f2a0c1e-0000-4000-8000-000000000001";
const M = "3f2a0c1e-0000-4000-8000-000000000002";

test("every room and message has an address, and the old #room= form is still read", () => {
  assert.deepEqual(parseRoute(`/rooms/${R}`), { roomId: R, messageId: null });
  assert.deepEqual(parseRoute(`/rooms/${R}/messages/${M}`), { roomId: R, messageId: M });
  assert.deepEqual(parseRoute("/", `#room=${R}&message=${M}`), { roomId: R, messageId: M });
  assert.deepEqual(parseRoute("/", ""), { roomId: null, messageId: null });
  assert.deepEqual(parseRoute("/rooms/a/b/c"), { roomId: null, messageId: null });
  assert.equal(roomPath(R), `/rooms/${R}`);
  assert.equal(messagePath(R, M), `/rooms/${R}/messages/${M}`);
  assert.equal(pathFor(null), "/");
  assert.equal(pathFor(R, M), messagePath(R, M));
});

test("after signing in, only a workspace address is returned to", () => {
  assert.equal(workspacePath(`/rooms/${R}/messages/${M}`), `/rooms/${R}/messages/${M}`);
  for (const bad of ["//evil.example/rooms/x", "https://evil.example/", "/admin/", "/rooms/x/../../admin", null])
    assert.equal(workspacePath(bad), "/", String(bad));
});

test("matches are cut out by code points, so an emoji before them does not shift them", () => {
  const text = "🚀 Deploy, then deploy";
  const { parts, before, after } = highlightParts(text, [
    [2, 8],
    [15, 21],
  ]);
  assert.deepEqual(parts, [
    { text: "🚀 ", match: false },
    { text: "Deploy", match: true },
    { text: ", then ", match: false },
    { text: "deploy", match: true },
  ]);
  assert.equal(before, false);
  assert.equal(after, false);
});

test("ranges out of bounds, overlapping or malformed are dropped rather than trusted", () => {
  const { parts } = highlightParts("abcdef", [[4, 99], [1, 3], [2, 4], ["x", 1], [3, 3], null]);
  assert.deepEqual(parts, [
    { text: "a", match: false },
    { text: "bc", match: true },
    { text: "def", match: false },
  ]);
});

test("a match deep in a long message is shown, from the start of a word a little before it", () => {
  const text = `${"word ".repeat(40)}needle and the rest`;
  const start = text.indexOf("needle");
  const { parts, before, after } = highlightParts(text, [[start, start + 6]], { lead: 12, max: 30 });
  assert.equal(before, true);
  assert.equal(after, false);
  assert.deepEqual(parts[0], { text: "word word ", match: false });
  assert.deepEqual(parts[1], { text: "needle", match: true });
});

test("the token at the caret: an operator and its value, or a word that may become one", () => {
  assert.deepEqual(tokenAt("deploy from:al", 14), { start: 7, end: 14, negated: false, op: "from", value: "al" });
  assert.deepEqual(tokenAt('-in:"Ops te', 11), { start: 0, end: 11, negated: true, op: "in", value: "Ops te" });
  assert.deepEqual(tokenAt("fr", 2), { start: 0, end: 2, negated: false, op: "", value: "fr" });
  assert.equal(tokenAt('"hello fr', 9), null, "inside a phrase, words are words");
  assert.equal(tokenAt("deploy ", 7), null);
});

test("operator names are offered while one is being typed", () => {
  assert.deepEqual(
    suggest("i", 1).map((s) => s.label),
    ["in:", "is:"],
  );
  assert.deepEqual(
    suggest("x -h", 4).map((s) => s.insert),
    ["-has:"],
  );
  assert.deepEqual(suggest("zebra", 5), []);
});

test("from: completes people, names starting with the text first", () => {
  const people = [{ username: "malice" }, { username: "alice" }, { username: "bob" }, { username: "Alice" }];
  const found = suggest("from:ali", 8, { people });
  assert.deepEqual(
    found.map((s) => s.label),
    ["from:alice", "from:malice"],
  );
  assert.deepEqual(applySuggestion("from:ali deploy", found[0]), { text: "from:alice deploy", caret: 11 });
});

test("in: completes rooms (quoted when they have a space) and in:@ direct messages", () => {
  const rooms = [
    { name: "Ops team", type: "public" },
    { name: "general", type: "private" },
    { name: "dm-1", type: "direct", username: "opsbot" },
  ];
  assert.deepEqual(
    suggest("in:op", 5, { rooms }).map((s) => s.insert),
    ['in:"Ops team" ', "in:@opsbot "],
  );
  assert.deepEqual(
    suggest("in:@", 4, { rooms }).map((s) => s.label),
    ["in:@opsbot"],
  );
});

test("has:, is: and dates offer their values", () => {
  assert.deepEqual(
    suggest("is:", 3).map((s) => s.label),
    ["is:mention", "is:unread"],
  );
  assert.deepEqual(
    suggest("has:i", 5).map((s) => s.label),
    ["has:image"],
  );
  const today = new Date(2024, 4, 31, 12);
  assert.deepEqual(
    suggest("before:", 7, { today }).map((s) => s.label),
    ["before:2024-05-31", "before:2024-05-24"],
  );
});
