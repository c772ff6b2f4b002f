// Where `resume` starts in each room: the newest message up to which this client holds the room
// without a gap. The cursor advances only over a contiguous run: a message whose `prev_id` is the
// cursor (replayed, or live with its predecessor held), a REST page that starts at it, or, on
// `resumed`, the newest message held of a room replayed to its end. A live message past a gap is
// shown all the same, but the cursor stays behind it, so the next `resume` asks for what lies
// between instead of skipping it for good.

const MAX_WAITING = 500; // messages held past a gap per room; past that the next `resumed` settles it

export class ResumeCursors {
  constructor() {
    this.at = new Map(); // roomId -> message id
    this.waiting = new Map(); // roomId -> Map(prev_id -> id) of messages past a gap
  }

  get(roomId) {
    return this.at.get(roomId);
  }

  /** A socket's `new_message`: advances the cursor if it follows on from it. */
  message(roomId, id, prevId) {
    if (prevId === undefined) return; // a REST copy: no place in the run known
    const cursor = this.at.get(roomId);
    if (prevId === cursor || (cursor === undefined && prevId === null)) {
      this.advance(roomId, id);
      return;
    }
    if (!this.waiting.has(roomId)) this.waiting.set(roomId, new Map());
    const waiting = this.waiting.get(roomId);
    if (waiting.size < MAX_WAITING) waiting.set(prevId, id);
  }

  /** Ids in commit order with nothing missing between them (a REST page, with its `after` first). */
  run(roomId, ids) {
    if (!ids.length) return;
    const cursor = this.at.get(roomId);
    if (cursor === undefined || ids.includes(cursor)) this.advance(roomId, ids[ids.length - 1]);
  }

  /** `resumed` for a room replayed to its newest: everything up to `newestId` is held. */
  caughtUp(roomId, newestId) {
    this.waiting.delete(roomId);
    if (newestId) this.at.set(roomId, newestId);
  }

  /** A room we had no cursor for starts from its newest message as the room list gives it. */
  seed(roomId, id) {
    if (!this.at.has(roomId) && id) this.at.set(roomId, id);
  }

  forget(roomId) {
    this.at.delete(roomId);
    this.waiting.delete(roomId);
  }

  advance(roomId, id) {
    const waiting = this.waiting.get(roomId);
    let cursor = id;
    while (waiting?.has(cursor)) {
      const next = waiting.get(cursor);
      waiting.delete(cursor);
      cursor = next;
    }
    this.at.set(roomId, cursor);
  }
}
