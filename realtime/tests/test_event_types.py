"""Every WebSocket event's JSON, byte for byte: the Go server's shapes (docs/websocket.md), which the
clients written for it parse. Key order included: the text is what a socket receives."""

import importlib
import json
from datetime import UTC, datetime

import pytest

from broadcast.events import Event
from rooms.selectors import RoomPosition

# Every app that owns events; a new app's `event_types` joins this list and the shapes below.
EVENT_MODULES = [f"{app}.event_types" for app in ("accounts", "rooms", "messaging", "previews", "dms", "realtime")]

READ_AT = datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)


def _text(wire: dict) -> str:
    return json.dumps(wire, separators=(",", ":"))


def _message_json(message) -> dict:
    return {
        "id": str(message.id),
        "room_id": str(message.room_id),
        "sender_id": str(message.sender_id),
        "sender": {"id": str(message.sender.id), "username": message.sender.username, "avatar": ""},
        "content": message.content,
        "content_html": message.content_html,
        "type": "text",
        "file_url": "",
        "file_name": "",
        "file_size": None,
        "is_edited": False,
        "is_deleted": False,
        "reply_to_id": None,
        "reply_to": None,
        "mentions": [],
        "mentions_room": False,
        "reactions": [],
        "pinned": False,
        "client_msg_id": None,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": message.updated_at.isoformat().replace("+00:00", "Z"),
        "changed_at": None,
        "link_preview": None,
    }


def _public_user(user) -> dict:
    return {
        "id": str(user.id),
        "username": user.username,
        "avatar": "",
        "status": user.status,
        "is_online": False,
        "last_seen": None,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": user.updated_at.isoformat().replace("+00:00", "Z"),
    }


def _user_in_room(room, user) -> dict:
    return {"room_id": str(room.id), "user_id": str(user.id), "username": user.username}


def shapes(user, room, message) -> dict[str, tuple[Event, dict]]:
    """Each event type's name -> (the event built as its service builds it, its documented JSON)."""
    from accounts.event_types import ProfileUpdated, SessionRevoked
    from dms.event_types import DmCreated
    from messaging.event_types import (
        DeleteMessage,
        EditMessage,
        MessagePinned,
        MessageUnpinned,
        NewMessage,
        ReactionAdded,
        ReactionRemoved,
    )
    from messaging.models import Message
    from previews.event_types import LinkPreviewReady
    from previews.models import MessageLinkPreview
    from realtime.event_types import (
        AuthRequired,
        Connected,
        Error,
        Pong,
        Resumed,
        StopTyping,
        Typing,
        UserOffline,
        UserOnline,
    )
    from rooms.event_types import (
        MessagesRead,
        NotifyLevelChanged,
        RoomDeleted,
        RoomSubscribe,
        RoomUnsubscribe,
        UserJoined,
        UserLeft,
    )
    from rooms.selectors import room_get_for_user
    from rooms.serializers import RoomDetailSerializer

    user.last_seen = READ_AT
    offline = UserOffline.of(user)
    user.last_seen = None
    detail = room_get_for_user(room_id=room.id, user=user)
    room_id, user_id = str(room.id), str(user.id)
    message_id = str(message.id)
    pinned = Message(id=message.id, room=room, sender=user, pinned_at=READ_AT, pinned_by=user)
    reaction = {"room_id": room_id, "message_id": message_id, "emoji": "👍🏽", "user_id": user_id}
    preview = MessageLinkPreview(
        message_id=message.id,
        url="https://a.example/x",
        status="ready",
        title="A",
        description="B",
        site_name="a.example",
    )
    return {
        "ProfileUpdated": (ProfileUpdated.of(user), {"type": "profile_updated", "payload": _public_user(user)}),
        "SessionRevoked": (SessionRevoked(jti="abc"), {"type": "session_revoked", "payload": {"jti": "abc"}}),
        "DmCreated": (
            DmCreated.of(detail, user),
            {
                "type": "dm_created",
                "payload": {"room": RoomDetailSerializer(detail).data, "sender": _public_user(user)},
            },
        ),
        "NewMessage": (
            NewMessage.of(message, prev_id=None),
            {"type": "new_message", "payload": {**_message_json(message), "prev_id": None}},
        ),
        "EditMessage": (EditMessage.of(message), {"type": "edit_message", "payload": _message_json(message)}),
        "DeleteMessage": (
            DeleteMessage.of(message),
            {"type": "delete_message", "payload": {"id": str(message.id), "room_id": room_id}},
        ),
        "ReactionAdded": (
            ReactionAdded.of(message, emoji="👍🏽", user_id=user.id),
            {"type": "reaction_added", "payload": reaction},
        ),
        "ReactionRemoved": (
            ReactionRemoved.of(message, emoji="👍🏽", user_id=user.id),
            {"type": "reaction_removed", "payload": reaction},
        ),
        "MessagePinned": (
            MessagePinned.of(pinned),
            {
                "type": "message_pinned",
                "payload": {
                    "room_id": room_id,
                    "message_id": message_id,
                    "pinned_by": {"id": user_id, "username": user.username, "avatar": ""},
                    "pinned_at": "2025-03-01T12:30:05.123456Z",
                },
            },
        ),
        "MessageUnpinned": (
            MessageUnpinned.of(message),
            {"type": "message_unpinned", "payload": {"room_id": room_id, "message_id": message_id}},
        ),
        "LinkPreviewReady": (
            LinkPreviewReady.of(preview, room_id=room.id),
            {
                "type": "link_preview",
                "payload": {
                    "room_id": room_id,
                    "message_id": str(message.id),
                    "link_preview": {
                        "url": "https://a.example/x",
                        "title": "A",
                        "description": "B",
                        "site_name": "a.example",
                        "image_url": None,
                    },
                },
            },
        ),
        "UserJoined": (UserJoined.of(room.id, user), {"type": "user_joined", "payload": _user_in_room(room, user)}),
        "UserLeft": (UserLeft.of(room.id, user), {"type": "user_left", "payload": _user_in_room(room, user)}),
        "RoomDeleted": (RoomDeleted(room_id=room_id), {"type": "room_deleted", "payload": {"room_id": room_id}}),
        "MessagesRead": (
            MessagesRead.of(room.id, user.id, READ_AT),
            {
                "type": "messages_read",
                "payload": {"room_id": room_id, "user_id": user_id, "read_at": "2025-03-01T12:30:05.123456Z"},
            },
        ),
        "RoomSubscribe": (
            RoomSubscribe(room_id=room_id, position=RoomPosition(room.id, 7, message.id)),
            {
                "type": "room_subscribe",
                "payload": {"room_id": room_id, "message_seq": 7, "last_message_id": str(message.id)},
            },
        ),
        "RoomUnsubscribe": (
            RoomUnsubscribe(room_id=room_id),
            {"type": "room_unsubscribe", "payload": {"room_id": room_id}},
        ),
        "NotifyLevelChanged": (
            NotifyLevelChanged(room_id=room_id, level="nothing"),
            {"type": "notify_level", "payload": {"room_id": room_id, "level": "nothing"}},
        ),
        "AuthRequired": (AuthRequired(), {"type": "auth_required"}),
        "Error": (
            Error(error="Slow down", client_msg_id="c1"),
            {"type": "error", "payload": {"error": "Slow down", "client_msg_id": "c1"}},
        ),
        "Pong": (Pong.at(READ_AT), {"type": "pong", "payload": {"time": "2025-03-01T12:30:05.123456+00:00"}}),
        "UserOnline": (
            UserOnline.of(user),
            {"type": "user_online", "payload": {"user_id": user_id, "username": user.username}},
        ),
        "Connected": (
            Connected.of(user),
            {
                "type": "user_online",
                "payload": {"user_id": user_id, "username": user.username, "message": "Connected to chat server"},
            },
        ),
        "UserOffline": (
            offline,
            {
                "type": "user_offline",
                "payload": {"user_id": user_id, "username": user.username, "last_seen": READ_AT.isoformat()},
            },
        ),
        "Typing": (Typing.of(room_id, user), {"type": "typing", "payload": _user_in_room(room, user)}),
        "StopTyping": (StopTyping.of(room_id, user), {"type": "stop_typing", "payload": _user_in_room(room, user)}),
        "Resumed": (
            Resumed(rooms=[room_id], truncated=[]),
            {"type": "resumed", "payload": {"rooms": [room_id], "truncated": []}},
        ),
    }


def _all_event_classes() -> set[str]:
    for module in EVENT_MODULES:
        importlib.import_module(module)
    found, pending = set(), list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def test_every_event_type_has_its_documented_shape_below(user, room, make_message):
    assert _all_event_classes() == set(shapes(user, room, make_message(room, user)))


@pytest.mark.parametrize("name", sorted(_all_event_classes()))
def test_event_json_is_the_documented_shape(name, user, room, make_message):
    event, wire = shapes(user, room, make_message(room, user, content="hi <b>there</b>"))[name]
    assert event.encode() == _text(wire)


def test_optional_payload_keys_are_left_out_as_the_go_server_does(room):
    from realtime.event_types import Error
    from rooms.event_types import RoomSubscribe

    assert Error(error="Unknown event type").encode() == '{"type":"error","payload":{"error":"Unknown event type"}}'
    # A room that vanished has no position: its subscribers start the order at the next message.
    assert json.loads(RoomSubscribe(room_id=str(room.id), position=None).encode())["payload"] == {
        "room_id": str(room.id)
    }
    position = RoomPosition(room.id, 0, None)
    assert json.loads(RoomSubscribe(room_id=str(room.id), position=position).encode())["payload"] == {
        "room_id": str(room.id),
        "message_seq": 0,
        "last_message_id": None,
    }


def test_a_subscribe_payload_gives_back_the_position_it_carries(room):
    from rooms.event_types import RoomSubscribe

    position = RoomPosition(room.id, 3, None)
    payload = json.loads(RoomSubscribe(room_id=str(room.id), position=position).encode())["payload"]
    assert RoomSubscribe.position_of(payload) == position
    assert RoomSubscribe.position_of({"room_id": str(room.id)}) is None


def test_message_events_carry_the_rendered_text_reactions_and_pin(user, other_user, room):
    """The rich fields as the services write them, byte for byte: HTML escaped inside the sanitised
    markup, reactions without their internal `first_at`, `pinned`."""
    from messaging.event_types import EditMessage, NewMessage
    from messaging.models import Message
    from messaging.services import message_pin, message_send, reaction_add
    from rooms.models import RoomMember

    RoomMember.objects.create(room=room, user=other_user)
    sent, _ = message_send(room_id=room.id, sender=user, content="**hi** <b>there</b> @bob")
    text = NewMessage.of(sent, prev_id=None).encode()
    bob = str(other_user.id)
    assert (
        '"content_html":"<p><strong>hi</strong> &lt;b&gt;there&lt;/b&gt; '
        f'<span class=\\"mention\\" data-user-id=\\"{bob}\\">@bob</span></p>"'
    ) in text
    assert '"reactions":[],"pinned":false,' in text
    reaction_add(message_id=sent.id, user=other_user, emoji="👍🏽")
    message_pin(room_id=room.id, message_id=sent.id, actor=user)
    again = Message.objects.select_related("sender", "reply_to", "reply_to__sender").get(pk=sent.id)
    payload = json.loads(EditMessage.of(again).encode())["payload"]
    assert payload["reactions"] == [{"emoji": "👍🏽", "count": 1, "user_ids": [bob]}]
    assert payload["pinned"] is True
    assert list(payload)[list(payload).index("mentions_room") + 1 :][:2] == ["reactions", "pinned"]
