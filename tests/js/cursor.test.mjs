// The resume cursor: it advances only over a contiguous run (node:test; run by tests/js/test_node.py).
import assert from "node:assert/strict";
import { test } from "node:test";

const { ResumeCursors } = await import("../../static/js/cursor.js");

test("live messages that follow on from the cursor advance it", () => {
  const cursors = new ResumeCursors();
  cursors.seed("r", "m1");
  cursors.message("r", "m2", "m1");
  cursors.message("r", "m3", "m2");
  assert.equal(cursors.get("r"), "m3");
});

test("a message past a gap is shown but the cursor stays until the gap is filled", () => {
  const cursors = new ResumeCursors();
  cursors.seed("r", "m1");
  cursors.message("r", "m4", "m3"); // m2 and m3 never came on this socket
  assert.equal(cursors.get("r"), "m1", "a resume now asks for m2 and m3");
  cursors.message("r", "m2", "m1");
  assert.equal(cursors.get("r"), "m2");
  cursors.message("r", "m3", "m2"); // the gap closes: the run reaches the message held past it
  assert.equal(cursors.get("r"), "m4");
});

test("a replay cut off by a closed socket leaves the cursor at the last message replayed", () => {
  const cursors = new ResumeCursors();
  cursors.seed("r", "m1");
  for (const [id, prev] of [
    ["m2", "m1"],
    ["m3", "m2"],
  ])
    cursors.message("r", id, prev);
  // 4503 before `resumed`: nothing more came. The next resume starts after m3, not after
  // whatever newer message the client may have seen on an earlier socket.
  assert.equal(cursors.get("r"), "m3");
});

test("resumed moves the cursor to the newest held message of a room replayed to its end", () => {
  const cursors = new ResumeCursors();
  cursors.seed("r", "m1");
  cursors.message("r", "m5", "m4");
  cursors.caughtUp("r", "m5");
  assert.equal(cursors.get("r"), "m5");
  cursors.message("r", "m6", "m5");
  assert.equal(cursors.get("r"), "m6");
});

test("a REST page advances the cursor only if it starts at it", () => {
  const cursors = new ResumeCursors();
  cursors.seed("r", "m1");
  cursors.run("r", ["m5", "m6"]); // not joined to m1: the messages between are still missing
  assert.equal(cursors.get("r"), "m1");
  cursors.run("r", ["m1", "m2", "m3"]);
  assert.equal(cursors.get("r"), "m3");
});

test("a room's first message starts a cursor that was never seeded; REST copies never move it", () => {
  const cursors = new ResumeCursors();
  cursors.message("dm", "m1", null);
  assert.equal(cursors.get("dm"), "m1");
  cursors.message("dm", "m9", undefined);
  assert.equal(cursors.get("dm"), "m1");
  cursors.seed("dm", "m9"); // seeding never overrides a cursor
  assert.equal(cursors.get("dm"), "m1");
});
