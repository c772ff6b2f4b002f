"""The order of one room's messages in this process, kept apart from any socket, timer or query.

Each message a room announces carries its sequence number (`seq`, given under the room's lock at
commit). Announcements travel through Redis one by one and can arrive late or in the wrong
order; a `RoomStream` says for each one whether it is due now, must wait for an earlier one, or
was delivered already. When a wait runs out the hub reads the missing messages from the
database (they are committed: a message is announced only after its commit, and a later one
committed after them) and hands the rows back here, which says what to deliver in what order.

Nothing here awaits: the hub does the I/O (the wait, the query, the writes) and applies these
decisions under its delivery lock.
"""

import enum
from dataclasses import dataclass, field


class Verdict(enum.Enum):
    DELIVER = "deliver"  # deliver `Decision.events` now, in that order
    HOLD = "hold"  # ahead of its turn: kept until the earlier messages come or are read back
    LATE = "late"  # delivered already, live or read back: this announcement is dropped


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    # The accepted message and the held ones it let through, in order (only for DELIVER).
    events: list[dict] = field(default_factory=list)
    # Set when this hold opened a gap: once its wait is over the hub calls `gap_to_fill(wait)`.
    wait: object | None = None


@dataclass(frozen=True)
class Gap:
    """Seqs `due`..`last` are to be read from the database: the rows after `after_id`."""

    due: int
    last: int
    after_id: str | None

    @property
    def count(self) -> int:
        return self.last - self.due + 1


@dataclass(frozen=True)
class Fill:
    # Whether the rows were the gap; if not the room's sockets must resume from the database.
    filled: bool
    events: list[dict] = field(default_factory=list)
    # A new gap that opened while this one was read: wait for it as for any other.
    wait: object | None = None


# A fill whose stream was reset while the rows were read: nothing to deliver, nothing to drop.
STALE_FILL = Fill(filled=True)


class RoomStream:
    """One room's delivery order: the next seq due and the messages held until it comes.

    Every seq from `first_seq` up to `next_seq` has been delivered and `last_message_id` is the
    id of the one just before `next_seq` (where a database read of a gap starts). A stream with
    no position yet takes its order from the first message it accepts.
    """

    def __init__(self, next_seq: int | None = None, last_message_id: str | None = None) -> None:
        self.next_seq = next_seq
        self.first_seq = next_seq
        self.last_message_id = last_message_id
        self.held: dict[int, dict] = {}
        self._wait: object | None = None  # the gap wait running, if any
        self._filling: Gap | None = None  # the gap being read from the database, if any

    def accept(self, seq: int, event: dict) -> Decision:
        """Where the announcement of message `seq` goes."""
        if self.next_seq is None or self.first_seq is None:
            # The first message of the room this stream sees sets where its order starts.
            self.first_seq = seq
            return Decision(Verdict.DELIVER, self._in_turn(seq, event))
        if seq < self.next_seq:
            if seq >= self.first_seq:
                return Decision(Verdict.LATE)
            # Committed before the first message this stream delivered, announced after it: no
            # earlier state to place it by. A socket that resumed since has it in its replay and
            # drops this copy (realtime.consumers).
            return Decision(Verdict.DELIVER, [event])
        if seq == self.next_seq and self._filling is None:
            return Decision(Verdict.DELIVER, self._in_turn(seq, event))
        # Ahead of its turn (an earlier announcement is still on its way), or the gap before it
        # is being read: a held announcement is what other processes delivered, so it is kept
        # in preference to the row read back.
        self.held[seq] = event
        return Decision(Verdict.HOLD, wait=self._start_wait())

    def gap_to_fill(self, wait: object) -> Gap | None:
        """The gap to read once `wait` ran out, or None if it closed (or the stream was reset)."""
        if wait is not self._wait:
            return None
        self._wait = None
        if not self.held or self.next_seq is None:
            return None
        self._filling = Gap(due=self.next_seq, last=max(self.held), after_id=self.last_message_id)
        return self._filling

    def gap_filled(self, gap: Gap, rows: list[dict] | None) -> Fill:
        """Takes the rows read for `gap` (None if they could not be read).

        The rows must be one per seq and agree with every held announcement; otherwise (a
        message deleted since, created_at out of seq order) the stream is reset and the hub
        makes the room's sockets resume, so a later message is never delivered before an earlier.
        """
        if gap is not self._filling:
            return STALE_FILL
        self._filling = None
        if rows is None or not _matches(rows, self.held, gap):
            self.reset()
            return Fill(filled=False)
        events: list[dict] = []
        for offset, row in enumerate(rows):
            event = self.held.pop(gap.due + offset, row)
            self._advance(gap.due + offset, event)
            events.append(event)
        events += self._release_held()
        return Fill(filled=True, events=events, wait=self._start_wait() if self.held else None)

    def missing_seqs(self, gap: Gap) -> list[int]:
        """The seqs of `gap` that no announcement has brought (for the log)."""
        return [seq for seq in range(gap.due, gap.last + 1) if seq not in self.held]

    def start_at(self, next_seq: int, last_message_id: str | None) -> None:
        """Places a stream that has no order yet (new, or reset after a loss) at a room position
        read before a socket subscribed: a message it missed since is then waited for (or read
        back) like any other gap, instead of the first announcement heard setting the order and
        an earlier one, announced late, reaching the socket after it."""
        if self.next_seq is None and not self.held:
            self.next_seq = self.first_seq = next_seq
            self.last_message_id = last_message_id

    def reset(self) -> None:
        """Forgets the order: the next message accepted sets it again, and a wait or read of a gap
        under way comes to nothing. For when the stream's past no longer describes what comes
        next (events were lost and the sockets resume from the database)."""
        self.next_seq = self.first_seq = self.last_message_id = None
        self.held = {}
        self._wait = self._filling = None

    def _in_turn(self, seq: int, event: dict) -> list[dict]:
        self._advance(seq, event)
        return [event, *self._release_held()]

    def _advance(self, seq: int, event: dict) -> None:
        self.next_seq = seq + 1
        self.last_message_id = event.get("message_id")

    def _release_held(self) -> list[dict]:
        released = []
        while self.next_seq in self.held:
            event = self.held.pop(self.next_seq)
            self._advance(self.next_seq, event)
            released.append(event)
        if not self.held:
            self._wait = None  # the gap closed: a wait still running finds nothing to read
        return released

    def _start_wait(self) -> object | None:
        if self._wait is not None or self._filling is not None:
            return None  # one wait or read at a time; it covers every seq held meanwhile
        self._wait = object()
        return self._wait


def _matches(rows: list[dict], held: dict[int, dict], gap: Gap) -> bool:
    """Whether the rows read back are the gap: one per seq, agreeing with every held announcement."""
    if len(rows) != gap.count:
        return False  # fewer rows than seqs: a message gone since, or created_at out of seq order
    return all(held[seq].get("message_id") == rows[seq - gap.due]["message_id"] for seq in held if seq <= gap.last)


class Admit(enum.Enum):
    SEND = "send"  # the socket has not sent it and it comes in turn
    SKIP = "skip"  # sent already on this socket (live or replayed), or older than what it sent
    GAP = "gap"  # an earlier message of the room never reached this socket: it must resume


@dataclass
class _Sent:
    # The newest seq sent on this socket, or (with `exact` False) a floor: the room's position
    # when the socket subscribed, or before a replay cut short by the cap.
    seq: int | None = None
    # Whether `seq` is the last message this socket sent: the next one must then be seq + 1.
    exact: bool = False
    # The newest message this socket sent of the room (live or replayed).
    message_id: str | None = None


class SocketLedger:
    """What one socket has sent of each room's messages, so that it sends each at most once and
    never an older one after a newer one, however live announcements and a `resume` replay
    interleave (a live copy of a replayed message, an announcement that arrives after a Redis
    outage, a replay asked for after live messages went out, the echo of a resent message).

    Rooms are keyed by group name. Live messages carry the room's `seq`; a replay knows the seq of
    a room's newest message only when it read the room to its end (`replayed`), so the ids of the
    messages most recently sent are kept as well (at most RECENT_IDS of them).
    """

    RECENT_IDS = 2000

    def __init__(self) -> None:
        self.rooms: dict[str, _Sent] = {}
        self.recent_ids: dict[str, None] = {}  # insertion-ordered: the oldest goes first

    def start(self, group: str, seq: int) -> None:
        """The room's position as the socket subscribes: older messages are not its to send."""
        if group not in self.rooms:
            self.rooms[group] = _Sent(seq=seq)

    def forget(self, group: str) -> None:
        """The socket left the room: if it joins again, it starts from wherever the room is then."""
        self.rooms.pop(group, None)

    def admit(self, group: str, message_id: str | None, seq: int | None) -> Admit:
        """Whether to send the live announcement of message `message_id` (`seq` in its room)."""
        sent = self.rooms.setdefault(group, _Sent())
        if message_id is not None and message_id in self.recent_ids:
            if seq is not None and sent.exact and sent.seq is not None and seq == sent.seq + 1:
                sent.seq = seq  # sent already (as an echo): the count goes on from it
            return Admit.SKIP
        if seq is not None and sent.seq is not None:
            if seq <= sent.seq:
                return Admit.SKIP
            if sent.exact and seq > sent.seq + 1:
                return Admit.GAP
        if seq is not None:
            sent.seq, sent.exact = seq, True
        if message_id is not None:
            sent.message_id = message_id
            self._remember(message_id)
        return Admit.SEND

    def echo(self, message_id: str) -> None:
        """The socket answered a resend (same `client_msg_id`) with the stored message: its live
        copy, still to come if the first send's announcement is late, is not sent after it."""
        self._remember(message_id)

    def newest_sent(self) -> dict[str, str]:
        """group -> the newest message this socket sent of it (live or replayed)."""
        return {group: sent.message_id for group, sent in self.rooms.items() if sent.message_id}

    def replayed(self, group: str, message_ids: list[str], seq: int | None) -> None:
        """A replay sent `message_ids` of the room, in order, up to the room's message `seq` when
        it read the room to its end (None: cut short by the cap, the room's newest is unknown)."""
        for message_id in message_ids:
            self._remember(message_id)
        sent = self.rooms.setdefault(group, _Sent())
        if message_ids:
            sent.message_id = message_ids[-1]
        if seq is not None:
            sent.seq, sent.exact = max(seq, sent.seq or seq), True
        elif message_ids:
            # Newer messages went out with no seq to place them by: the next live one starts the
            # count again (the ids above catch live copies of what was replayed).
            sent.exact = False

    def _remember(self, message_id: str) -> None:
        self.recent_ids[message_id] = None
        if len(self.recent_ids) > self.RECENT_IDS:
            del self.recent_ids[next(iter(self.recent_ids))]
