// Unit tests of reactions applied one event at a time (node:test; run by tests/js/test_node.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyReaction, hasReacted, reactorNames } from "../../static/js/reactions.js";

const add = (list, emoji, user_id) => applyReaction(list, { emoji, user_id, delta: 1 });
const remove = (list, emoji, user_id) => applyReaction(list, { emoji, user_id, delta: -1 });

test("a new emoji goes last and an existing one counts up", () => {
  let list = add([], "👍", "a");
  list = add(list, "🎉", "b");
  list = add(list, "👍", "b");
  assert.deepEqual(list, [
    { emoji: "👍", count: 2, user_ids: ["a", "b"] },
    { emoji: "🎉", count: 1, user_ids: ["b"] },
  ]);
});

test("my click and its echo count once", () => {
  const once = add([], "👍", "me");
  assert.deepEqual(add(once, "👍", "me"), once);
  assert.deepEqual(remove(remove(once, "👍", "me"), "👍", "me"), []);
});

test("an emoji at zero goes, the others keep their order", () => {
  const list = add(add(add([], "a", "u1"), "b", "u1"), "c", "u2");
  assert.deepEqual(
    remove(list, "b", "u1").map((r) => r.emoji),
    ["a", "c"],
  );
});

test("past the 50 listed users the count stays exact", () => {
  let list = [{ emoji: "👍", count: 50, user_ids: Array.from({ length: 50 }, (_, i) => `u${i}`) }];
  list = add(list, "👍", "late");
  assert.equal(list[0].count, 51);
  assert.equal(list[0].user_ids.length, 50);
  list = remove(list, "👍", "late"); // unlisted: still taken off
  assert.equal(list[0].count, 50);
});

test("the input is not changed", () => {
  const list = [{ emoji: "👍", count: 1, user_ids: ["a"] }];
  add(list, "👍", "b");
  assert.deepEqual(list, [{ emoji: "👍", count: 1, user_ids: ["a"] }]);
});

test("names on hover: me as you, unknown ones as someone, the unlisted counted", () => {
  const names = { a: "alice", b: "bob" };
  const reaction = { emoji: "👍", count: 5, user_ids: ["me", "a", "x"] };
  assert.equal(
    reactorNames(reaction, (id) => names[id], "me"),
    "you, alice, someone and 2 others",
  );
  assert.equal(
    reactorNames({ count: 1, user_ids: ["b"] }, (id) => names[id], "me"),
    "bob",
  );
  assert.ok(hasReacted([reaction], "👍", "a"));
  assert.ok(!hasReacted([reaction], "🎉", "a"));
});
