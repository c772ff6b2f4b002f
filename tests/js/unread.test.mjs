// The "New messages" divider's place, the tab title and the mention total (node:test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { firstUnreadId, mentionTotal, titleText, unreadLoaded } from "../../static/js/unread.js";

const m = (id, sender_id = "bob", extra = {}) => ({ id, sender_id, is_deleted: false, ...extra });

test("the divider goes above the oldest of the last N messages others sent", () => {
  const items = [m("1"), m("2"), m("3", "me"), m("4"), m("5", "me")];
  assert.equal(firstUnreadId(items, 1, "me"), "4");
  assert.equal(firstUnreadId(items, 2, "me"), "2", "my own messages are not counted");
  assert.equal(firstUnreadId(items, 3, "me"), "1");
});

test("deleted messages, system lines and unsent ones are not counted, as the server counts", () => {
  const items = [
    m("1"),
    m("2", null, { type: "system" }),
    m("3", "bob", { is_deleted: true }),
    m("4"),
    m("5", "me", { pending: true }),
  ];
  assert.equal(firstUnreadId(items, 2, "me"), "1");
  assert.equal(unreadLoaded(items, "me"), 2);
});

test("nothing unread: no divider; more unread than loaded: the oldest loaded one that counts", () => {
  assert.equal(firstUnreadId([m("1")], 0, "me"), null);
  assert.equal(firstUnreadId([], 3, "me"), null);
  assert.equal(firstUnreadId([m("1", "me"), m("2"), m("3")], 10, "me"), "2");
});

test("the tab title carries the unread total", () => {
  assert.equal(titleText(0), "ChatApp");
  assert.equal(titleText(3), "(3) ChatApp");
  assert.equal(titleText(1200), "(999+) ChatApp");
});

test("unread mentions add up over rooms; rooms without the field count none", () => {
  assert.equal(mentionTotal([{ mention_count: 2 }, {}, { mention_count: 1 }]), 3);
  assert.equal(mentionTotal([]), 0);
});
