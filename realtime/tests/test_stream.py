"""The order of one room's messages, decided without sockets, timers or a database."""

from realtime.stream import Admit, RoomStream, SocketLedger, Verdict


def announced(seq: int) -> dict:
    return {"seq": seq, "message_id": f"id-{seq}", "text": f"m{seq}"}


def texts(events: list[dict]) -> list[str]:
    return [event["text"] for event in events]


def test_messages_in_order_are_delivered_as_they_come():
    stream = RoomStream(next_seq=1)
    for seq in (1, 2, 3):
        decision = stream.accept(seq, announced(seq))
        assert (decision.verdict, texts(decision.events), decision.wait) == (Verdict.DELIVER, [f"m{seq}"], None)
    assert (stream.next_seq, stream.last_message_id) == (4, "id-3")


def test_a_message_ahead_of_a_gap_is_held_until_the_gap_fills():
    stream = RoomStream(next_seq=1)
    stream.accept(1, announced(1))
    held = stream.accept(3, announced(3))
    assert (held.verdict, held.events) == (Verdict.HOLD, [])
    assert held.wait is not None, "the first hold starts a wait for the gap"
    assert stream.accept(4, announced(4)).wait is None, "one wait covers every message held meanwhile"
    released = stream.accept(2, announced(2))
    assert (released.verdict, texts(released.events)) == (Verdict.DELIVER, ["m2", "m3", "m4"])
    assert stream.gap_to_fill(held.wait) is None, "the gap closed: nothing to read when the wait ends"


def test_a_late_or_repeated_announcement_is_not_delivered_again():
    stream = RoomStream(next_seq=1)
    for seq in (1, 2):
        stream.accept(seq, announced(seq))
    assert stream.accept(2, announced(2)).verdict is Verdict.LATE
    assert stream.accept(1, announced(1)).verdict is Verdict.LATE


def test_a_stream_started_from_a_position_waits_for_the_messages_after_it():
    stream = RoomStream(next_seq=6, last_message_id="id-5")
    assert stream.accept(7, announced(7)).verdict is Verdict.HOLD
    assert texts(stream.accept(6, announced(6)).events) == ["m6", "m7"]


def test_without_a_position_the_first_message_sets_the_order():
    stream = RoomStream()
    assert texts(stream.accept(5, announced(5)).events) == ["m5"]
    assert stream.accept(7, announced(7)).verdict is Verdict.HOLD
    # Committed before the first one this stream saw, announced after it: nothing to place it
    # by, so it is passed on (a socket that resumed drops the copy its replay carried).
    assert texts(stream.accept(4, announced(4)).events) == ["m4"]
    assert stream.accept(5, announced(5)).verdict is Verdict.LATE


def test_a_reset_stream_takes_its_order_anew_and_drops_the_gap_it_was_waiting_for():
    stream = RoomStream(next_seq=1)
    stream.accept(1, announced(1))
    wait = stream.accept(3, announced(3)).wait
    stream.reset()
    assert (stream.next_seq, stream.held) == (None, {})
    assert stream.gap_to_fill(wait) is None
    assert texts(stream.accept(9, announced(9)).events) == ["m9"]


def test_a_reset_during_a_gap_read_makes_its_rows_come_to_nothing():
    stream = RoomStream(next_seq=1)
    gap = stream.gap_to_fill(stream.accept(2, announced(2)).wait)
    assert gap is not None
    stream.reset()
    fill = stream.gap_filled(gap, [announced(1), announced(2)])
    assert (fill.filled, fill.events, fill.wait) == (True, [], None)


def test_rows_read_for_a_gap_are_delivered_in_order_with_the_held_announcements():
    stream = RoomStream(next_seq=1)
    stream.accept(1, announced(1))
    wait = stream.accept(3, announced(3)).wait
    stream.accept(5, {**announced(5), "text": "m5 as announced"})
    gap = stream.gap_to_fill(wait)
    assert gap is not None and (gap.due, gap.last, gap.after_id) == (2, 5, "id-1")
    assert stream.accept(6, announced(6)).verdict is Verdict.HOLD, "held while the gap is read"
    assert stream.missing_seqs(gap) == [2, 4]
    rows = [{**announced(seq), "text": f"m{seq} read back"} for seq in range(2, 6)]
    fill = stream.gap_filled(gap, rows)
    assert fill.filled and fill.wait is None
    assert texts(fill.events) == ["m2 read back", "m3", "m4 read back", "m5 as announced", "m6"]
    assert stream.accept(4, announced(4)).verdict is Verdict.LATE
    assert stream.next_seq == 7


def test_a_gap_that_opens_while_one_is_read_is_waited_for_next():
    stream = RoomStream(next_seq=1)
    gap = stream.gap_to_fill(stream.accept(2, announced(2)).wait)
    assert gap is not None
    stream.accept(4, announced(4))
    fill = stream.gap_filled(gap, [announced(1), announced(2)])
    assert texts(fill.events) == ["m1", "m2"] and fill.wait is not None
    assert stream.gap_to_fill(fill.wait) is not None


def test_rows_that_do_not_match_the_held_announcements_reset_the_stream():
    stream = RoomStream(next_seq=1)
    gap = stream.gap_to_fill(stream.accept(3, announced(3)).wait)
    assert gap is not None
    other = {**announced(3), "message_id": "another"}
    fill = stream.gap_filled(gap, [announced(1), announced(2), other])
    assert (fill.filled, fill.events) == (False, [])
    assert (stream.next_seq, stream.held) == (None, {}), "the room's sockets resume: the order starts anew"


def test_too_few_rows_or_none_at_all_do_not_fill_a_gap():
    for rows in ([announced(1)], None):
        stream = RoomStream(next_seq=1)
        gap = stream.gap_to_fill(stream.accept(3, announced(3)).wait)
        assert gap is not None
        assert not stream.gap_filled(gap, rows).filled


# --- one socket: each message at most once, never an older one after a newer one ----------------


def test_a_socket_sends_a_rooms_messages_after_its_start_once_each():
    ledger = SocketLedger()
    ledger.start("room", 3)  # the room's position as the socket subscribed
    assert ledger.admit("room", "id-2", 2) is Admit.SKIP, "committed before the socket subscribed"
    assert ledger.admit("room", "id-4", 4) is Admit.SEND
    assert ledger.admit("room", "id-4", 4) is Admit.SKIP, "a repeated announcement"
    assert ledger.admit("room", "id-5", 5) is Admit.SEND
    assert ledger.newest_sent() == {"room": "id-5"}


def test_an_announcement_from_before_an_outage_is_not_sent_after_newer_ones():
    ledger = SocketLedger()
    ledger.start("room", 0)
    for seq in (1, 2, 3):
        assert ledger.admit("room", f"id-{seq}", seq) is Admit.SEND
    assert ledger.admit("room", "id-2", 2) is Admit.SKIP


def test_a_message_missing_before_the_next_one_makes_the_socket_resume():
    ledger = SocketLedger()
    ledger.start("room", 0)
    assert ledger.admit("room", "id-1", 1) is Admit.SEND
    assert ledger.admit("room", "id-3", 3) is Admit.GAP
    # Before the socket sent anything the start is only a floor: the hub's stream may have
    # passed it (messages delivered to others just before this socket subscribed).
    fresh = SocketLedger()
    fresh.start("room", 0)
    assert fresh.admit("room", "id-3", 3) is Admit.SEND


def test_live_copies_of_replayed_messages_are_not_sent_again():
    ledger = SocketLedger()
    ledger.start("room", 1)
    ledger.replayed("room", ["id-2", "id-3"], None)
    ledger.replayed("room", [], 3)  # read to the room's newest, whose seq was 3
    assert ledger.admit("room", "id-2", 2) is Admit.SKIP
    assert ledger.admit("room", "id-3", 3) is Admit.SKIP
    assert ledger.admit("room", "id-4", 4) is Admit.SEND
    assert ledger.admit("room", "id-6", 6) is Admit.GAP


def test_a_replay_cut_short_lets_the_next_live_message_start_the_count_again():
    ledger = SocketLedger()
    ledger.start("room", 900)
    assert ledger.admit("room", "id-901", 901) is Admit.SEND
    ledger.replayed("room", ["id-902", "id-903"], None)  # the cap cut it: the room's newest is unknown
    assert ledger.admit("room", "id-903", 903) is Admit.SKIP, "replayed"
    assert ledger.admit("room", "id-950", 950) is Admit.SEND, "the client fetches 904-949 over REST"
    assert ledger.newest_sent() == {"room": "id-950"}


def test_a_room_left_and_joined_again_starts_afresh():
    ledger = SocketLedger()
    ledger.start("room", 0)
    assert ledger.admit("room", "id-1", 1) is Admit.SEND
    ledger.forget("room")
    assert ledger.admit("room", "id-7", 7) is Admit.SEND


def test_a_stream_without_an_order_starts_at_a_subscribers_position():
    stream = RoomStream()
    stream.start_at(5, "id-4")
    assert stream.accept(6, announced(6)).verdict is Verdict.HOLD, "5 is due: the room's position says so"
    released = stream.accept(5, announced(5))
    assert texts(released.events) == ["m5", "m6"]
    stream.start_at(1, None)  # a stream in order already keeps its place
    assert stream.next_seq == 7


def test_the_live_copy_of_a_message_echoed_to_a_resend_is_not_sent_after_the_echo():
    ledger = SocketLedger()
    ledger.start("room", 0)
    assert ledger.admit("room", "id-1", 1) is Admit.SEND
    ledger.echo("id-2")  # the client resent 2 before its announcement reached this socket
    assert ledger.admit("room", "id-2", 2) is Admit.SKIP
    assert ledger.admit("room", "id-3", 3) is Admit.SEND, "the count went on past the echoed one"
