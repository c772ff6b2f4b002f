"""Pushes end to end: a job from a message, the worker, the guard, a real push service that checks
VAPID and whose browser keys decrypt the payload."""

import logging
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tokens import token_issue
from dms.services import dm_get_or_create
from jobs.tests.worker import WorkerThread, wait_until
from messaging.services import message_send
from notifications.models import PushSubscription
from notifications.payloads import BODY_CHARACTERS
from notifications.webpush import MAX_PAYLOAD_BYTES
from outbound.tests.servers import Answer, RecordingServer
from rooms.models import RoomMember

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(client, browser) -> None:
    response = client.post("/api/v1/push/subscriptions", browser.subscription_json(), format="json")
    assert response.status_code == 201, response.json()


def hearing_all(room, *users):
    """`room` with `users` at notification level `all`: every message of it is pushed to them."""
    RoomMember.objects.filter(room=room, user__in=users).update(notify_level=RoomMember.NotifyLevel.ALL)
    return room


def send_and_push(room, sender, content="hello"):
    """A message send, which queues its push job for the members its notification rules pick."""
    message, _ = message_send(room_id=room.id, sender=sender, content=content)
    return message


def settled() -> bool:
    return not DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists()


@pytest.fixture
def bob_browser(push_service, api_client_for, other_user):
    browser = push_service.browser()
    subscribe(api_client_for(other_user), browser)
    return browser


def test_an_offline_recipient_gets_the_message_as_a_push(
    push_service, jobs_worker, bob_browser, make_room, user, other_user
):
    room = hearing_all(make_room(user, name="General", members=[other_user]), other_user)
    message = send_and_push(room, user, "Lunch at noon?")

    push = push_service.next_push(bob_browser)

    assert push.payload == {
        "type": "message",
        "room_id": str(room.id),
        "message_id": str(message.id),
        "title": "alice in General",
        "body": "Lunch at noon?",
        "url": f"/rooms/{room.id}/messages/{message.id}",
        "unread_total": 1,
    }
    headers = push.received.headers
    assert (headers["ttl"], headers["urgency"], headers["content-encoding"]) == ("86400", "normal", "aes128gcm")


def test_direct_messages_and_mentions_are_urgent_and_the_badge_counts_every_room(
    push_service, jobs_worker, bob_browser, make_room, make_message, user, other_user
):
    direct, _ = dm_get_or_create(user=user, recipient_id=other_user.id)
    general = make_room(user, name="General", members=[other_user])
    make_message(general, user, "earlier, unread")

    send_and_push(direct, user, "psst")  # a direct room notifies every message by default
    first = push_service.next_push(bob_browser)
    send_and_push(general, user, "@bob look")  # elsewhere, mentions
    second = push_service.next_push(bob_browser)

    assert (first.payload["title"], first.received.headers["urgency"], first.payload["unread_total"]) == (
        "alice",
        "high",
        2,
    )
    assert (second.received.headers["urgency"], second.payload["unread_total"]) == ("high", 3)


def test_each_members_notification_level_decides_what_reaches_their_browser(
    push_service, jobs_worker, bob_browser, make_room, make_user, api_client_for, user, other_user
):
    carol = make_user("carol")
    carol_browser = push_service.browser()
    subscribe(api_client_for(carol), carol_browser)
    room = make_room(user, members=[other_user, carol])  # both at the default level, `mentions`
    RoomMember.objects.filter(room=room, user=carol).update(notify_level=RoomMember.NotifyLevel.NOTHING)

    for content in ("no one named", "@carol, not bob", "@bob only", "@room all of you"):
        send_and_push(room, user, content)
    wait_until(settled, what="the push jobs finished")

    assert [push_service.next_push(bob_browser).payload["body"] for _ in range(2)] == [
        "@bob only",
        "@room all of you",
    ]
    assert push_service.got_nothing(bob_browser)
    assert push_service.got_nothing(carol_browser)


def test_a_file_message_says_its_file_name(
    push_service, jobs_worker, bob_browser, make_room, make_upload, user, other_user
):
    room = hearing_all(make_room(user, members=[other_user]), other_user)
    upload = make_upload(user, kind="file")
    message_send(room_id=room.id, sender=user, type="file", file_url=upload.url)

    assert push_service.next_push(bob_browser).payload["body"] == "📎 notes.pdf"


def test_a_long_message_is_cut_to_120_characters_and_the_payload_stays_within_3_kb(
    push_service, jobs_worker, bob_browser, make_room, user, other_user
):
    room = hearing_all(make_room(user, name="R" * 50, members=[other_user]), other_user)
    content = "😀" * 2000  # the longest message, in 4-byte characters

    send_and_push(room, user, content)
    push = push_service.next_push(bob_browser)

    assert push.payload["body"] == content[:BODY_CHARACTERS]
    assert push.size <= MAX_PAYLOAD_BYTES


def test_the_sender_is_never_pushed_their_own_message(push_service, jobs_worker, api_client_for, make_room, user):
    alice_browser = push_service.browser()
    subscribe(api_client_for(user), alice_browser)
    room = hearing_all(make_room(user), user)
    send_and_push(room, user, "note to @alice self")

    wait_until(settled, what="the push job finished")
    assert push_service.got_nothing(alice_browser)


def test_nothing_is_pushed_when_the_send_rolls_back(
    push_service, jobs_worker, bob_browser, make_room, user, other_user, make_user, api_client_for
):
    room = hearing_all(make_room(user, members=[other_user]), other_user)
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(room_id=room.id, sender=user, content="never sent")
        raise RuntimeError("the request failed after the send")

    # A later push to someone else goes through: by then the rolled-back one would have too.
    carol = make_user("carol")
    room.memberships.create(user=carol)
    RoomMember.objects.filter(room=room, user=other_user).update(notify_level=RoomMember.NotifyLevel.NOTHING)
    carol_browser = push_service.browser()
    subscribe(api_client_for(carol), carol_browser)
    send_and_push(room, user, "second, @carol")
    assert push_service.next_push(carol_browser).payload["body"] == "second, @carol"
    wait_until(settled, what="every job finished")
    assert push_service.got_nothing(bob_browser)


def test_a_push_queued_while_no_worker_runs_goes_out_when_one_starts(
    push_service, bob_browser, make_room, user, other_user
):
    room = hearing_all(make_room(user, members=[other_user]), other_user)
    send_and_push(room, user, "while the worker was down")
    assert push_service.got_nothing(bob_browser)

    worker = WorkerThread().start()
    try:
        assert push_service.next_push(bob_browser).payload["body"] == "while the worker was down"
    finally:
        worker.stop()


async def test_no_push_while_the_recipient_has_a_live_socket_and_one_after_it_closes(
    push_service, jobs_worker, bob_browser, ws_connect, make_room, make_user, api_client_for, user, other_user
):
    carol = await sync_to_async(make_user)("carol")
    carol_browser = push_service.browser()
    await sync_to_async(subscribe)(api_client_for(carol), carol_browser)
    room = await sync_to_async(make_room)(user, members=[other_user, carol])
    await sync_to_async(hearing_all)(room, other_user, carol)
    socket = await ws_connect(other_user)

    await sync_to_async(send_and_push)(room, user, "while bob is here")
    # carol (offline) is pushed; once the job is done, bob (connected) has had nothing.
    assert (await sync_to_async(push_service.next_push)(carol_browser)).payload["body"] == "while bob is here"
    await sync_to_async(wait_until)(settled, what="the push job finished")
    assert push_service.got_nothing(bob_browser)

    await socket.close()
    await sync_to_async(send_and_push)(room, user, "after bob left")
    assert (await sync_to_async(push_service.next_push)(bob_browser)).payload["body"] == "after bob left"


def test_a_410_from_the_push_service_deletes_the_subscription(
    push_service, jobs_worker, bob_browser, make_room, user, other_user
):
    push_service.answer_next(bob_browser, Answer(410, b"unsubscribed"))
    room = hearing_all(make_room(user, members=[other_user]), other_user)

    send_and_push(room, user, "anyone there?")
    push_service.next_push(bob_browser)

    wait_until(lambda: not PushSubscription.objects.exists(), what="the subscription deleted")


def test_a_push_the_service_turns_away_for_a_while_is_tried_again(
    push_service, jobs_worker, bob_browser, make_room, user, other_user
):
    push_service.answer_next(bob_browser, Answer(503, b"busy"))
    room = hearing_all(make_room(user, members=[other_user]), other_user)

    send_and_push(room, user, "try again")
    first, second = push_service.next_push(bob_browser), push_service.next_push(bob_browser)

    assert first.payload == second.payload
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:{forbidden}/push/x",  # loopback, not allow-listed
        "https://127.0.0.1:{forbidden}/push/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:{forbidden}/push/x",
    ],
)
def test_at_send_time_endpoints_that_are_not_allowed_get_no_request(
    push_service, jobs_worker, make_room, user, other_user, caplog, endpoint
):
    # As if stored before the rules (or the allow-list) changed: the send checks again.
    forbidden = RecordingServer()
    try:
        browser = push_service.browser()
        PushSubscription.objects.create(
            user=other_user,
            endpoint=endpoint.format(forbidden=forbidden.port),
            token_jti="0" * 32,
            **browser.keys,
        )
        room = hearing_all(make_room(user, members=[other_user]), other_user)
        with caplog.at_level(logging.WARNING, logger="chatapp.push"):
            send_and_push(room, user, "secret")
            wait_until(settled, what="the push job finished")

        assert forbidden.got_nothing()
        refusals = [r for r in caplog.records if r.getMessage() == "push not delivered"]
        assert len(refusals) == 1 and refusals[0].detail.startswith("endpoint refused:")
    finally:
        forbidden.stop()


def test_an_endpoint_dropped_from_the_allow_list_after_subscribing_gets_no_request(
    push_service, jobs_worker, bob_browser, make_room, user, other_user, settings
):
    settings.PUSH_ENDPOINT_ALLOWLIST = []
    room = hearing_all(make_room(user, members=[other_user]), other_user)

    send_and_push(room, user, "secret")
    wait_until(settled, what="the push job finished")

    assert push_service.got_nothing(bob_browser)


def test_a_slow_push_service_does_not_slow_sending(
    push_service, jobs_worker, bob_browser, make_room, user, other_user, make_user, api_client_for
):
    delay = 3.0
    room = hearing_all(make_room(user, members=[other_user]), other_user)
    push_service.answer_next(bob_browser, Answer(201, delay=delay), Answer(201, delay=delay))
    send_and_push(room, user, "first")
    push_service.next_push(bob_browser)  # the worker now waits on the slow service

    started = time.monotonic()
    send_and_push(room, user, "second")
    send_time = time.monotonic() - started

    assert push_service.next_push(bob_browser).payload["body"] == "second"
    assert send_time < delay / 5, f"the send took {send_time:.3f} s; the push service takes {delay} s"


def test_logout_removes_the_subscriptions_made_with_that_token_only(
    push_service, jobs_worker, api_client_for, other_user
):
    first_token, second_token = token_issue(other_user), token_issue(other_user)
    phone, laptop = push_service.browser(), push_service.browser()
    subscribe(api_client_for(other_user, first_token), phone)
    subscribe(api_client_for(other_user, second_token), laptop)

    assert api_client_for(other_user, first_token).post("/api/v1/auth/logout").status_code == 200

    wait_until(lambda: PushSubscription.objects.count() == 1, what="the phone's subscription gone")
    assert PushSubscription.objects.get().endpoint == laptop.endpoint


def test_a_password_change_removes_every_subscription(push_service, jobs_worker, api_client_for, other_user):
    client = api_client_for(other_user)
    subscribe(client, push_service.browser())
    subscribe(client, push_service.browser())

    response = client.patch(
        "/api/v1/auth/password", {"current_password": "secret123", "new_password": "another-secret"}, format="json"
    )
    assert response.status_code == 200, response.json()

    wait_until(lambda: not PushSubscription.objects.exists(), what="the subscriptions gone")


def test_a_subscription_the_push_cannot_be_built_for_does_not_stop_the_others(
    push_service, jobs_worker, bob_browser, make_room, make_user, user, other_user
):
    carol = make_user("carol")
    # Stored directly: an IPv6-literal endpoint, which py_vapid cannot name as a VAPID audience.
    PushSubscription.objects.create(
        user=carol, endpoint="https://[2606:4700::1111]/push", token_jti="0" * 32, **push_service.browser().keys
    )
    room = hearing_all(make_room(user, members=[other_user, carol]), other_user, carol)

    send_and_push(room, user, "to both")

    assert push_service.next_push(bob_browser).payload["body"] == "to both"
    wait_until(settled, what="the push job finished")
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
