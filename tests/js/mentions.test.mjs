// @mentions in the client: highlight ranges (the server's text rules), the autocomplete's query
// and matching, and inserting the chosen name (node:test; run by tests/js/test_node.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { insertMention, matchMembers, mentionQuery, mentionRanges, mentionsMe } from "../../static/js/mentions.js";

const ALICE = { id: "a", username: "alice" };
const BOB = { id: "b", username: "bob" };
const message = (content, mentions = [ALICE, BOB], extra = {}) => ({
  content,
  mentions,
  mentions_room: false,
  sender_id: "s",
  ...extra,
});
const marked = (m, meId = "a") => mentionRanges(m, meId).map((r) => m.content.slice(r.start, r.end));

test("mentions the server lists are found where the text names them, in any case", () => {
  assert.deepEqual(marked(message("@alice hi")), ["@alice"]);
  assert.deepEqual(marked(message("hi @ALICE")), ["@ALICE"]);
  assert.deepEqual(marked(message("(@alice), @bob: yes")), ["@alice", "@bob"]);
  assert.deepEqual(marked(message("thanks @alice.")), ["@alice"]);
  assert.deepEqual(marked(message("@alice's idea")), ["@alice"]);
  assert.deepEqual(marked(message("@alice-s idea")), ["@alice"]);
  assert.deepEqual(marked(message("line one\n@alice")), ["@alice"]);
});

test("no mention in code, URLs, addresses or longer names", () => {
  for (const text of [
    "`@alice`",
    "see ``a ` @alice`` there",
    "```\nlog: @alice\n```",
    "https://example.com/@alice",
    "www.example.com/@alice",
    "mail bob@alice.com",
    "a/@alice",
    "@alicex",
    "@alice_",
    "@@alice",
  ])
    assert.deepEqual(marked(message(text)), [], text);
});

test("only users the server says are mentioned are highlighted", () => {
  assert.deepEqual(marked(message("@alice and @carol", [ALICE])), ["@alice"]);
  assert.deepEqual(marked(message("@alice", [])), []);
  assert.deepEqual(mentionRanges({ content: "@alice" }, "a"), [], "a message from a server without mentions");
});

test("the longest username the server lists wins", () => {
  const smith = { id: "s2", username: "alice.smith" };
  assert.deepEqual(marked(message("@alice.smith hi", [smith])), ["@alice.smith"]);
  assert.deepEqual(marked(message("@Alice.Smith.", [smith])), ["@Alice.Smith"]);
  assert.deepEqual(marked(message("@alice.jones hi", [ALICE])), ["@alice"]);
});

test("mentions of me are marked as mine; @room is everyone's, mine too", () => {
  const ranges = mentionRanges(message("@bob @alice @room", [ALICE, BOB], { mentions_room: true }), "a");
  assert.deepEqual(
    ranges.map((r) => [r.me, r.room]),
    [
      [false, false],
      [true, false],
      [true, true],
    ],
  );
  assert.deepEqual(marked(message("hey @room", [], { mentions_room: false })), [], "the server said no @room");
  assert.deepEqual(marked(message("hey @room.", [], { mentions_room: undefined })), ["@room"]);
});

test("a message mentions me by name or by @room, never my own or a deleted one", () => {
  assert.equal(mentionsMe(message("@alice"), "a"), true);
  assert.equal(mentionsMe(message("@bob", [BOB]), "a"), false);
  assert.equal(mentionsMe(message("@room", [], { mentions_room: true }), "a"), true);
  assert.equal(mentionsMe(message("@alice", [ALICE], { sender_id: "a" }), "a"), false);
  assert.equal(mentionsMe(message("", [], { is_deleted: true }), "a"), false);
  assert.equal(mentionsMe({ content: "@alice", sender_id: "s" }, "a"), false);
});

test("the @word at the caret is the autocomplete's query", () => {
  assert.deepEqual(mentionQuery("@", 1), { start: 0, query: "" });
  assert.deepEqual(mentionQuery("hi @al", 6), { start: 3, query: "al" });
  assert.deepEqual(mentionQuery("hi @al there", 6), { start: 3, query: "al" });
  assert.deepEqual(mentionQuery("(@bo", 4), { start: 1, query: "bo" });
  assert.equal(mentionQuery("mail bob@ex", 11), null, "an email address");
  assert.equal(mentionQuery("hi @al there", 12), null, "the caret left the word");
  assert.equal(mentionQuery("`@al", 4), null, "code");
  assert.equal(mentionQuery("no at", 5), null);
});

test("members matching the query: prefix first, then inside the name, alphabetically, not me", () => {
  const members = [
    { id: "1", username: "zed" },
    { id: "2", username: "Bobby" },
    { id: "3", username: "alice" },
    { id: "4", username: "bob" },
    { id: "me", username: "bobo" },
    { id: "5", username: "jimbo" },
  ];
  const names = (query, opts) => matchMembers(members, query, { meId: "me", ...opts }).map((m) => m.username);
  assert.deepEqual(names("bo"), ["bob", "Bobby", "jimbo"]);
  assert.deepEqual(names(""), ["alice", "bob", "Bobby", "jimbo", "zed"]);
  assert.deepEqual(names("ro", { withRoom: true }), ["room"]);
  assert.deepEqual(names("ro"), []);
  assert.deepEqual(names("", { limit: 2 }), ["alice", "bob"]);
});

test("choosing a member replaces the typed @word and leaves the caret after a space", () => {
  assert.deepEqual(insertMention("hi @al", { start: 3, caret: 6 }, "alice"), { text: "hi @alice ", caret: 10 });
  assert.deepEqual(insertMention("hi @al and", { start: 3, caret: 6 }, "alice"), {
    text: "hi @alice and",
    caret: 10,
  });
  assert.deepEqual(insertMention("@alx!", { start: 0, caret: 2 }, "alice"), { text: "@alice !", caret: 7 });
});
