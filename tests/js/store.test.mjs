// Unit tests of the web client's state logic (node:test; run by tests/js/test_node.py).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

globalThis.document = { visibilityState: "visible" };
const { Store } = await import("../../static/js/store.js");

let store;
let clock = 0;
const at = () => new Date(Date.UTC(2026, 0, 1, 12, 0, clock++)).toISOString();
const msg = (id, fields = {}) => ({
  id,
  room_id: "r1",
  sender_id: "bob",
  sender: { id: "bob", username: "bob", avatar: "" },
  content: id,
  created_at: at(),
  updated_at: null,
  is_deleted: false,
  ...fields,
});
const deleted = (m) => ({ ...m, is_deleted: true, content: "", updated_at: at() });

beforeEach(() => {
  store = new Store();
  store.me = { id: "me", username: "me" };
  store.setRooms([
    { id: "r1", type: "public", name: "r1", unread_count: 0 },
    { id: "r2", type: "public", name: "r2", unread_count: 0 },
  ]);
  store.activeRoomId = "r2";
});

test("a deleted message comes off the unread count it was counted in", () => {
  const first = msg("m1");
  const second = msg("m2");
  store.applyMessage(first, { live: true });
  store.applyMessage(second, { live: true });
  assert.equal(store.rooms.get("r1").unread_count, 2);
  store.applyMessage(deleted(second));
  assert.equal(store.rooms.get("r1").unread_count, 1);
  store.applyMessage(deleted(second)); // the same deletion again (REST answer, then the event)
  assert.equal(store.rooms.get("r1").unread_count, 1);
});

test("only others' messages that are not deleted count, as the server counts", () => {
  store.applyMessage(msg("mine", { sender_id: "me" }), { live: true });
  store.applyMessage(msg("system", { sender_id: null, type: "system" }), { live: true });
  store.applyMessage(msg("gone", { is_deleted: true }), { live: true }); // a resume replay of a deleted one
  assert.equal(store.rooms.get("r1").unread_count, 0);
});

test("reading the room forgets what was counted", () => {
  const first = msg("m1");
  store.applyMessage(first, { live: true });
  store.markRead("r1", "me", at());
  store.applyMessage(msg("m2"), { live: true });
  store.applyMessage(deleted(first)); // read already: not on the count
  assert.equal(store.rooms.get("r1").unread_count, 1);
});

test("a fresh room list keeps what was counted live, so a later deletion still counts", () => {
  const first = msg("m1");
  store.applyMessage(first, { live: true });
  store.setRooms([{ id: "r1", type: "public", name: "r1", unread_count: 3 }]);
  store.applyMessage(deleted(first));
  assert.equal(store.rooms.get("r1").unread_count, 2);
});

test("only the server can recount a deletion of a message never loaded here", () => {
  store.rooms.get("r1").unread_count = 2;
  assert.equal(store.deletionNeedsRecount("r1", "unknown"), true);
  store.applyMessage(msg("known"), { live: true });
  assert.equal(store.deletionNeedsRecount("r1", "known"), false);
  store.rooms.get("r2").unread_count = 0;
  assert.equal(store.deletionNeedsRecount("r2", "unknown"), false);
});

test("a profile update reaches loaded messages, quotes, DM partners and member lists", () => {
  const original = msg("m1");
  store.applyMessage(original);
  store.applyMessage(
    msg("m2", {
      sender_id: "me",
      sender: { id: "me", username: "me" },
      reply_to: { id: "m1", content: "m1", sender: { id: "bob", username: "bob", avatar: "" } },
    }),
  );
  store.upsertRoom({ id: "dm", type: "direct", other_user: { id: "bob", username: "bob", avatar: "" } });
  store.setMembers("r1", [{ user_id: "bob", user: { id: "bob", username: "bob", avatar: "" } }]);
  const seen = [];
  store.addEventListener("profile", (e) => seen.push(e.detail.userId));
  store.applyProfile({ id: "bob", username: "bobby", avatar: "/media/new.png" });
  const conv = store.conversation("r1");
  assert.equal(conv.byId.get("m1").sender.avatar, "/media/new.png");
  assert.equal(conv.byId.get("m2").reply_to.sender.username, "bobby");
  assert.equal(conv.byId.get("m2").sender.username, "me");
  assert.equal(store.rooms.get("dm").other_user.avatar, "/media/new.png");
  assert.equal(store.members.get("r1").get("bob").user.username, "bobby");
  assert.deepEqual(seen, ["bob"]);
});

test("a page of older history is applied quietly: the loader renders it once", () => {
  let events = 0;
  store.addEventListener("message", () => events++);
  for (let i = 0; i < 5; i++) store.applyMessage(msg(`old${i}`), { quiet: true });
  assert.equal(events, 0);
  assert.equal(store.conversation("r1").items.length, 5);
});

test("resume points are the rooms' cursors, not the newest message shown", () => {
  store.setRooms([{ id: "r1", type: "public", name: "r1", unread_count: 0, last_message: { id: "m1" } }]);
  store.applyMessage(msg("m5"), { live: true });
  store.cursors.message("r1", "m5", "m4"); // live, past a gap: m2..m4 never came
  assert.deepEqual(store.resumePoints(), { r1: "m1" });
  store.cursors.message("r1", "m2", "m1");
  assert.deepEqual(store.resumePoints(), { r1: "m2" });
});

test("while older history is held (a link to a message), a live message waits on the server", () => {
  const [a, b, c] = [msg("a"), msg("b"), msg("c")];
  const conv = store.conversation("r1");
  store.applyMessage(a, { quiet: true });
  store.applyMessage(b, { quiet: true });
  conv.hasNewer = true;
  assert.equal(store.applyMessage(c, { live: true }), null, "not shown after the gap");
  assert.deepEqual(
    conv.items.map((m) => m.id),
    ["a", "b"],
  );
  assert.equal(store.rooms.get("r1").last_message.id, "c", "the sidebar still shows it");
  assert.equal(store.applyMessage({ ...a, content: "edited", updated_at: at() }), "updated", "held ones still change");
  conv.hasNewer = false;
  assert.equal(store.applyMessage(c, { live: true }), "added");
});

test("clearing a conversation keeps what is still being sent", () => {
  const conv = store.conversation("r1");
  store.applyMessage(msg("a"), { quiet: true });
  store.applyMessage(msg("tmp-1", { pending: true, client_msg_id: "c1" }));
  conv.loaded = true;
  conv.hasNewer = true;
  conv.clear();
  assert.deepEqual(
    conv.items.map((m) => m.id),
    ["tmp-1"],
  );
  assert.equal(conv.byId.has("a"), false);
  assert.equal(conv.loaded, false);
  assert.equal(conv.hasNewer, false);
});

test("a copy with a later changed_at (a reaction or pin missed while away) replaces the held one; an older copy does not", () => {
  const sent = msg("m1", { updated_at: at(), reactions: [], pinned: false, changed_at: null });
  store.applyMessage(sent);
  const reacted = { ...sent, reactions: [{ emoji: "👍", count: 1, user_ids: ["bob"] }], changed_at: at() };
  assert.equal(store.applyMessage(reacted), "updated");
  assert.deepEqual(store.conversation("r1").byId.get("m1").reactions, reacted.reactions);
  const pinned = { ...reacted, pinned: true, changed_at: at() };
  store.applyMessage(pinned);
  // The reacted copy again (a history page fetched before the pin): the pin stays.
  assert.equal(store.applyMessage(reacted), null);
  assert.equal(store.conversation("r1").byId.get("m1").pinned, true);
  assert.equal(store.applyMessage({ ...pinned }), null); // the same copy twice: nothing to redraw
});
