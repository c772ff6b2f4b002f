"""The WebSocket endpoint: authenticate, parse each frame, call the same services as REST, relay.

Group events arrive already encoded (broadcast.publish), so relaying one is a single `send` with no
JSON work and no database access.
"""

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from accounts.tokens import INVALID_TOKEN, REVOKED_TOKEN, token_verify
from broadcast.events import Event
from broadcast.groups import room_group, room_id_of_group, user_group
from broadcast.publish import publish_ephemeral
from chatapp.errors import DomainError, Unauthorized
from chatapp.exceptions import first_error_message
from messaging.event_types import NewMessage
from messaging.selectors import message_prev_id, room_positions_for_user
from messaging.serializers import MessageSendInput
from messaging.services import message_send
from realtime.admission import client_address, handshake_count, origin_refusal
from realtime.event_types import AuthRequired, Connected, Error, Pong, Resumed, StopTyping, Typing
from realtime.hub import get_hub, is_shutting_down
from realtime.presence import get_presence
from realtime.selectors import resume_next_page, resume_start
from realtime.services import presence_mark_offline, presence_mark_online
from realtime.stream import Admit, SocketLedger
from realtime.transport import NO_CHANNEL_LAYER, is_open, socket_of, write_frame
from rooms.event_types import RoomSubscribe, UserJoined, UserLeft
from rooms.selectors import RoomPosition, room_is_member

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009
# Events for this socket were lost: reconnect, then `resume` (1012 is not available: autobahn only
# lets applications close with 1000 or 3000-4999).
CLOSE_EVENTS_LOST = 4503
# The user already has WS_MAX_SOCKETS_PER_USER sockets open (on any server process).
CLOSE_TOO_MANY_SOCKETS = 4429
MAX_FRAME_BYTES = 64 * 1024
# Token bucket per socket: 20 frames/s sustained, bursts of up to 40.
FRAME_RATE_PER_SECOND = 20.0
FRAME_BURST = 40.0
# A socket opened with `?resume=1` holds its live room events until its first frame (its
# `resume`, normally) is processed; a client that never sends one gets them after this long.
FIRST_FRAME_WAIT_SECONDS = 10.0
# Events sent to user/room groups that steer the consumer instead of reaching the client.
_INTERNAL_EVENTS = {"session_revoked", "room_subscribe", "room_unsubscribe"}
_ENCODED_AUTH_REQUIRED = AuthRequired().encode()


class FrameError(Exception):
    """A client frame that cannot be acted on; answered with an `error` event."""


def _uuid(payload: dict, field: str = "room_id") -> uuid.UUID:
    value = payload.get(field)
    if not isinstance(value, str):
        raise FrameError(f"{field} is required")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FrameError(f"{field} must be a UUID") from None


class ChatConsumer(AsyncWebsocketConsumer):
    # No channel per socket: the process's hub receives every group event once and calls `deliver`
    # on the sockets concerned (realtime.hub).
    channel_layer_alias = NO_CHANNEL_LAYER
    # Closes the socket when its token expires (set once authenticated).
    token_expiry: asyncio.Task | None = None

    async def connect(self) -> None:
        self.user = None
        self.user_key = ""
        self.connection_id = uuid.uuid4().hex
        self.protocol = socket_of(self.scope)
        self.hub = get_hub()
        self.jti: str | None = None
        self.member_room_ids: set[str] = set()
        self.subscribed_room_ids: set[str] = set()
        self.auth_deadline: asyncio.Task | None = None
        self.closing = False
        self.bucket = FRAME_BURST
        self.bucket_at = time.monotonic()
        self.slow_down_sent_at = 0.0
        # Rooms this socket sent `join_room` for (and has not left since): a repeat announces nothing.
        self.joined_room_ids: set[str] = set()
        # What this socket sent of each room's messages: each at most once, never an older one
        # after a newer one (realtime.stream.SocketLedger).
        self.ledger = SocketLedger()
        # Group events held back (sent once the reason is over, in order): while a `resume`
        # replays, and on a `?resume=1` socket until its first frame says whether it resumes.
        self.held: deque[tuple[dict, bytes | None]] | None = None
        self.awaiting_first_frame = False
        self.first_frame_wait: asyncio.Task | None = None

        headers = dict(self.scope.get("headers", []))
        if not await self._admit_handshake(headers):
            await self.close()  # before accept: the handshake is refused with 403
            return
        if is_shutting_down():
            await self.close()  # this process is draining; the client retries another one
            return
        await self.accept()
        authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
        if authorization:
            scheme, _, raw = authorization.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                await self.reject("Authorization header must be 'Bearer <token>'")
                return
            await self.authenticate(raw.strip())
        else:
            await self.send(text_data=_ENCODED_AUTH_REQUIRED)
            self.auth_deadline = asyncio.ensure_future(self._expire_unauthenticated())

    async def _admit_handshake(self, headers: dict[bytes, bytes]) -> bool:
        origin = headers.get(b"origin", b"").decode("latin-1") or None
        refusal = origin_refusal(self.scope)
        quiet = False
        if refusal is None:
            count, limit = await handshake_count(self.scope), settings.WS_HANDSHAKES_PER_IP_PER_MINUTE
            if count > limit:
                refusal = "too many handshakes from this address (WS_HANDSHAKES_PER_IP_PER_MINUTE)"
                quiet = count > limit + 1  # logged once per address and minute, not per attempt
        if refusal is None:
            return True
        if not quiet:
            logger.warning(
                "websocket handshake refused",
                extra={"origin": origin, "reason": refusal, "client": client_address(self.scope)},
            )
        return False

    async def _expire_unauthenticated(self) -> None:
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT_SECONDS)
        if self.user is None:
            await self.reject("Authentication timed out")

    async def reject(self, message: str) -> None:
        if self.closing:
            return
        await self.send_event(Error(error=message))
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def authenticate(self, raw_token: str) -> None:
        try:
            verified = await _in_thread(token_verify)(raw_token)
            positions = await _in_thread(room_positions_for_user)(user_id=verified.user.id)
        except Unauthorized as error:
            await self.reject(error.message)
            return
        except DatabaseError as error:
            # PostgreSQL is away: an outage, not a bug in this socket. Like Redis below, the client
            # retries (and resumes) once it answers again.
            logger.warning("websocket refused while the database is unavailable", extra={"error": str(error)})
            await self.close(code=CLOSE_EVENTS_LOST)
            return
        if self.auth_deadline is not None:
            self.auth_deadline.cancel()
        self.user, self.jti, self.user_key = verified.user, verified.jti, str(verified.user.id)
        self.token_expiry = asyncio.ensure_future(self._close_at_expiry(verified.expires_at))
        self.member_room_ids = {str(position.room_id) for position in positions}
        if _wants_resume(self.scope):
            # The client resumes first thing: a live message let through before its replay would
            # be newer than messages the replay sends after it.
            self.held, self.awaiting_first_frame = deque(), True
            self.first_frame_wait = asyncio.ensure_future(self._stop_waiting_for_first_frame())
        try:
            # The user's connections are counted with this one added, in one Redis transaction:
            # of sockets opening together exactly the allowance gets in, before any subscribes.
            transition = await get_presence().connect(self.user_key, self.connection_id)
            admitted = transition.connections <= settings.WS_MAX_SOCKETS_PER_USER
            if admitted:
                await self.hub.register(self)
                await self.hub.subscribe(user_group(self.user_key), self)
                for position in positions:
                    await self._subscribe(str(position.room_id), position)
                await self.send_event(Connected.of(self.user))
        except RedisError as error:
            # Redis is away: this socket could not hear its rooms. The client retries and resumes.
            logger.warning("websocket refused while redis is unavailable", extra={"error": str(error)})
            await self.close(code=CLOSE_EVENTS_LOST)
            return
        if not admitted:
            # `disconnect` takes this connection's presence entry back.
            await self.send_event(Error(error="Too many connections for this user"))
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        if transition.changed:
            await _in_thread(presence_mark_online)(user_id=self.user.id)

    async def _stop_waiting_for_first_frame(self) -> None:
        await asyncio.sleep(FIRST_FRAME_WAIT_SECONDS)
        if self.awaiting_first_frame:
            await self._release_held()

    async def _close_at_expiry(self, expires_at: datetime) -> None:
        # REST refuses the token from this moment on: so does the socket that it opened.
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(tz=UTC)).total_seconds()))
        await self.reject(INVALID_TOKEN)

    async def disconnect(self, code: int) -> None:
        if self.auth_deadline is not None:
            self.auth_deadline.cancel()
        if self.token_expiry is not None:
            self.token_expiry.cancel()
        if self.first_frame_wait is not None:
            self.first_frame_wait.cancel()
        if self.user is None:
            return
        self.subscribed_room_ids.clear()
        try:
            await self.hub.unregister(self)
            transition = await get_presence().disconnect(self.user_key, self.connection_id)
        except RedisError as error:
            # Redis is away (the usual reason many sockets close at once). This connection's
            # presence entry expires by itself, and the hub's sweep then announces the user offline.
            logger.warning("presence not updated on disconnect", extra={"error": str(error)})
            return
        if transition.changed:
            await _in_thread(presence_mark_offline)(user_id=self.user.id)

    # --- client frames ----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        if text_data is None:
            await self.send_event(Error(error="Binary frames are not supported"))
            return
        if len(text_data) > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not self._take_frame_token():
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than the interpreter's limit ("[[[[..."), which
            # fits well within 64 KiB; it used to escape here and close the socket with 1011.
            frame = None
        if self.awaiting_first_frame and not (isinstance(frame, dict) and frame.get("type") == "resume"):
            await self._release_held()  # the first frame is not a `resume`: live events flow now
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._answer_unauthenticated_or_error("Invalid message format")
            return
        payload = frame.get("payload") if frame.get("payload") is not None else {}
        if not isinstance(payload, dict):
            await self._answer_unauthenticated_or_error("Invalid message format")
            return

        if self.user is None:
            token = payload.get("token")
            if frame["type"] == "auth" and isinstance(token, str) and token:
                await self.authenticate(token)
            else:
                await self.reject("Authentication required")
            return

        handler = self._handlers.get(frame["type"])
        if handler is None:
            await self.send_event(Error(error="Unknown event type"))
            return
        try:
            await handler(self, payload)
        except FrameError as error:
            await self.send_event(Error(error=str(error), client_msg_id=_echo_ref(payload)))
        except DomainError as error:
            await self.send_event(Error(error=error.message, client_msg_id=_echo_ref(payload)))

    async def _answer_unauthenticated_or_error(self, message: str) -> None:
        if self.user is None:
            await self.reject("Authentication required")
        else:
            await self.send_event(Error(error=message))

    def _take_frame_token(self) -> bool:
        now = time.monotonic()
        self.bucket = min(FRAME_BURST, self.bucket + (now - self.bucket_at) * FRAME_RATE_PER_SECOND)
        self.bucket_at = now
        if self.bucket >= 1:
            self.bucket -= 1
            return True
        if now - self.slow_down_sent_at >= 1.0:
            self.slow_down_sent_at = now
            asyncio.ensure_future(self.send_event(Error(error="Slow down")))
        return False

    async def on_auth(self, payload: dict) -> None:
        """A second `auth` on an authenticated socket is what browsers often send: ignore it."""

    async def on_ping(self, payload: dict) -> None:
        await self.send_event(Pong.at())

    async def on_join_room(self, payload: dict) -> None:
        room_id = str(_uuid(payload))
        await self._ensure_member(room_id)
        await self._subscribe(room_id)
        if room_id in self.joined_room_ids:
            return  # joined already by this socket: nothing changed, nothing to announce
        self.joined_room_ids.add(room_id)
        await self._announce("user_joined", room_id, UserJoined.of(room_id, self.user))

    async def on_leave_room(self, payload: dict) -> None:
        room_id = str(_uuid(payload))
        await self._ensure_member(room_id)
        # Unsubscribe first (the hub drops this socket at once, before any await) and confirm
        # directly: this socket hears it exactly once, everyone else through the hub.
        await self._unsubscribe(room_id)
        self.joined_room_ids.discard(room_id)
        left = UserLeft.of(room_id, self.user)
        await self.send_event(left)
        await self._announce("user_left", room_id, left)

    async def on_typing(self, payload: dict) -> None:
        room_id = str(_uuid(payload))
        await self._ensure_member(room_id)
        await self._announce("typing", room_id, Typing.of(room_id, self.user), skip_user=self.user_key)

    async def on_stop_typing(self, payload: dict) -> None:
        room_id = str(_uuid(payload))
        await self._ensure_member(room_id)
        await self._announce("stop_typing", room_id, StopTyping.of(room_id, self.user), skip_user=self.user_key)

    async def _announce(self, kind: str, room_id: str, event: Event, *, skip_user: str | None = None) -> None:
        """Sends an ephemeral event to the room, within the user's allowance for that room.

        The allowance is per user and room, not per socket: a user's other sockets in this
        process share it (realtime.admission.EphemeralThrottle).
        """
        if self.hub.ephemeral.allow(kind, self.user_key, room_id):
            await publish_ephemeral(event, to=[room_group(room_id)], skip_user=skip_user)

    async def on_send_message(self, payload: dict) -> None:
        repeat = await _in_thread(_send_message)(self.user, payload)
        if repeat is not None:
            # A resend of a message already stored: only the sender hears about it again, and
            # its live copy, if still to come, is not sent after this answer.
            self.ledger.echo(repeat.message_id())
            await self.send_event(repeat)

    async def on_resume(self, payload: dict) -> None:
        # The hub calls `deliver` whenever an event arrives, also while this handler awaits: hold
        # live events until the replay is out, so the socket sees the room in order. A message
        # committed before a page of the replay is read is in it and may also come live: that
        # copy is dropped (the ledger), whether it was held here or comes later.
        if self.held is None:
            self.held = deque()
        self.awaiting_first_frame = False
        try:
            rooms = payload.get("rooms")
            if not isinstance(rooms, dict):
                raise FrameError("rooms must be an object of room_id: last_message_id")
            sent = {
                room_id: message_id
                for group, message_id in self.ledger.newest_sent().items()
                if (room_id := room_id_of_group(group))
            }
            replay = await _in_thread(resume_start)(user=self.user, last_seen=rooms, sent=sent)
            # Page by page, each sent before the next is read: a socket that closes (or whose
            # client left) stops the replay at the next page instead of at its end.
            events_sent = 0
            while not replay.done:
                page = await _in_thread(resume_next_page)(replay)
                if not self._is_open():
                    logger.info("resume stopped: the socket closed", extra={"events_sent": events_sent})
                    return
                for room_id, message_id in page.new_messages:
                    self.ledger.replayed(room_group(room_id), [message_id], None)
                for text in page.texts:
                    await self.send(text_data=text)
                events_sent += len(page.texts)
            for room_id in replay.room_ids:
                self.ledger.replayed(room_group(room_id), [], replay.ends.get(room_id))
            await self.send_event(Resumed(rooms=replay.room_ids, truncated=replay.truncated_room_ids))
        finally:
            await self._release_held()

    async def _release_held(self) -> None:
        """Sends the group events held back, in order, and lets the next ones through."""
        self.awaiting_first_frame = False
        held = self.held
        while held and self._is_open():
            # Events arriving during these sends join the end of `held`, so order holds.
            await self._relay(*held.popleft())
        self.held = None

    def _is_open(self) -> bool:
        """False once this socket is closing, or (under `serve`) its connection is gone: the
        consumer hears of a client that left only after the current frame's handler returns."""
        if self.closing:
            return False
        return self.protocol is None or is_open(self.protocol)

    _handlers = {
        "auth": on_auth,
        "ping": on_ping,
        "join_room": on_join_room,
        "leave_room": on_leave_room,
        "typing": on_typing,
        "stop_typing": on_stop_typing,
        "send_message": on_send_message,
        "resume": on_resume,
    }

    # --- membership ---------------------------------------------------------------------------

    async def _ensure_member(self, room_id: str) -> None:
        if room_id in self.member_room_ids:
            return
        # The cache may lag a REST join by one event; the database is the source of truth.
        if await _in_thread(room_is_member)(room_id=room_id, user_id=self.user.id):
            self.member_room_ids.add(room_id)
            return
        raise FrameError("You are not a member of this room")

    async def _subscribe(self, room_id: str, position: RoomPosition | None = None) -> None:
        if room_id not in self.subscribed_room_ids:
            self.subscribed_room_ids.add(room_id)
            if position is not None:
                self.ledger.start(room_group(room_id), position.message_seq)
            await self.hub.subscribe(room_group(room_id), self, position)

    async def _unsubscribe(self, room_id: str) -> None:
        if room_id in self.subscribed_room_ids:
            self.subscribed_room_ids.discard(room_id)
            self.ledger.forget(room_group(room_id))
            await self.hub.unsubscribe(room_group(room_id), self)

    # --- group events (called by the hub) ----------------------------------------------------------

    async def deliver(self, message: dict, frame: bytes | None = None) -> None:
        """Relays one group event; `frame` is its text frame, built once for all local sockets."""
        if self.user is None or self.closing:
            return
        event_type = message.get("event")
        if event_type in _INTERNAL_EVENTS:
            await self._steer(event_type, json.loads(message["text"]).get("payload", {}))
            return
        if message.get("skip_user") == self.user_key:
            return
        if self.held is not None:
            self.held.append((message, frame))
            return
        await self._relay(message, frame)

    async def _relay(self, message: dict, frame: bytes | None) -> None:
        if self.closing:
            return
        event_type = message.get("event")
        if event_type == "new_message":
            group = message.get("group", "")
            admit = self.ledger.admit(group, message.get("message_id"), message.get("seq"))
            if admit is Admit.SKIP:
                return
            if admit is Admit.GAP:
                # The hub delivers a room's messages in seq order or closes its sockets; a socket
                # that still finds one missing resumes rather than send the next one past it.
                logger.warning("a socket missed a room's message: it resumes", extra={"group": group})
                await self.events_dropped()
                return
        if frame is not None and self.protocol is not None:
            write_frame(self.protocol, frame)
        else:
            await self.send(text_data=message["text"])
        if event_type == "room_deleted":
            room_id = json.loads(message["text"])["payload"]["room_id"]
            self.member_room_ids.discard(room_id)
            await self._unsubscribe(room_id)

    async def _steer(self, event_type: str, payload: dict[str, Any]) -> None:
        if event_type == "session_revoked":
            if payload.get("jti") in (None, self.jti):
                await self.reject(REVOKED_TOKEN)
        elif event_type == "room_subscribe":
            self.member_room_ids.add(payload["room_id"])
            await self._subscribe(payload["room_id"], RoomSubscribe.position_of(payload))
        elif event_type == "room_unsubscribe":
            self.member_room_ids.discard(payload["room_id"])
            await self._unsubscribe(payload["room_id"])

    async def events_dropped(self) -> None:
        """Events for this socket were lost (inbox overflow, Redis outage).

        Closing with 4503 makes every client, the seed's included, reconnect and then `resume` on a
        fresh socket: a clean cut, instead of patching the stream of a socket that missed events.
        """
        await self.close(code=CLOSE_EVENTS_LOST)

    async def send_event(self, event: Event) -> None:
        if not self.closing:
            await self.send(text_data=event.encode())


def _wants_resume(scope: dict) -> bool:
    """`?resume=1` on the socket's URL: the client's first frame will be a `resume`."""
    return "1" in parse_qs(scope.get("query_string", b"").decode("latin-1")).get("resume", [])


def _echo_ref(payload: dict) -> str | None:
    """Lets a client match an error to the pending message it sent."""
    client_msg_id = payload.get("client_msg_id")
    return client_msg_id if isinstance(client_msg_id, str) and len(client_msg_id) <= 64 else None


def _in_thread(function):
    """Runs ORM work in a worker thread. Not Channels' single shared database thread: sends and
    logins of different sockets must not queue behind each other."""
    return database_sync_to_async(function, thread_sensitive=False)


# Runs in a worker thread.


def _send_message(user, payload: dict) -> NewMessage | None:
    """Sends through the service, which announces a new message to the room itself; returns the
    `new_message` a repeated `client_msg_id` gets back (nothing was announced for it), else None."""
    room_id = _uuid(payload)
    fields = MessageSendInput(data={key: value for key, value in payload.items() if key != "room_id"})
    if not fields.is_valid():
        raise FrameError(first_error_message(fields.errors))
    message, created = message_send(room_id=room_id, sender=user, **fields.validated_data)
    return None if created else NewMessage.of(message, prev_id=message_prev_id(message))
