"""The tutorial's consumer, speaking chatapp's frames.

As in the Channels tutorial: the sender's consumer builds the message and `group_send`s it; every
recipient's consumer gets it through its own channel and `send_json`s it (one JSON encode per
recipient). Auth is accepted trivially; rooms come from the bench-only `X-Bench-Rooms` header.
"""

import uuid
from datetime import UTC, datetime

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        headers = dict(self.scope["headers"])
        if not headers.get(b"authorization", b"").startswith(b"Bearer "):
            await self.close(code=4401)
            return
        self.user_id = str(uuid.uuid4())
        self.rooms = [r for r in headers.get(b"x-bench-rooms", b"").decode().split(",") if r]
        for room_id in self.rooms:
            await self.channel_layer.group_add(f"chat_{room_id}", self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "user_online",
                "payload": {"user_id": self.user_id, "username": "bench", "message": "Connected to chat server"},
            }
        )

    async def disconnect(self, code: int) -> None:
        for room_id in getattr(self, "rooms", []):
            await self.channel_layer.group_discard(f"chat_{room_id}", self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        payload = content.get("payload") or {}
        if content.get("type") == "send_message" and payload.get("room_id") in self.rooms:
            now = datetime.now(tz=UTC).isoformat()
            message = {
                "id": str(uuid.uuid4()),
                "room_id": payload["room_id"],
                "sender_id": self.user_id,
                "sender": {"id": self.user_id, "username": "bench", "avatar": ""},
                "content": payload.get("content", ""),
                "type": payload.get("type", "text"),
                "file_url": "",
                "file_name": "",
                "file_size": None,
                "is_edited": False,
                "is_deleted": False,
                "reply_to_id": None,
                "reply_to": None,
                "client_msg_id": payload.get("client_msg_id"),
                "created_at": now,
                "updated_at": now,
            }
            await self.channel_layer.group_send(
                f"chat_{payload['room_id']}", {"type": "chat.message", "message": message}
            )
        elif content.get("type") == "ping":
            await self.send_json({"type": "pong", "payload": {}})

    async def chat_message(self, event: dict) -> None:
        await self.send_json({"type": "new_message", "payload": event["message"]})
