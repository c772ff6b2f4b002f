"""Baseline 1: a minimal `websockets` broadcast server speaking chatapp's frames.

Auth is accepted trivially (any `Authorization: Bearer` token); the socket's rooms come from the
bench-only `X-Bench-Rooms` header. Every `send_message` becomes one `new_message` (a payload
shaped like chatapp's message JSON), encoded once and written to every socket in the room with
`websockets.broadcast`. No persistence, no permissions: the Python ceiling on this machine.

    python bench/baselines/ws_broadcast.py --port 18510
"""

import argparse
import asyncio
import json
import signal
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import websockets
from websockets.asyncio.server import ServerConnection, serve

rooms: dict[str, set[ServerConnection]] = defaultdict(set)


def _connected(user_id: str) -> str:
    payload = {"user_id": user_id, "username": "bench", "message": "Connected to chat server"}
    return json.dumps({"type": "user_online", "payload": payload}, separators=(",", ":"))


def _new_message(room_id: str, user_id: str, payload: dict) -> str:
    now = datetime.now(tz=UTC).isoformat()
    message = {
        "id": str(uuid.uuid4()),
        "room_id": room_id,
        "sender_id": user_id,
        "sender": {"id": user_id, "username": "bench", "avatar": ""},
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
    return json.dumps({"type": "new_message", "payload": message}, separators=(",", ":"))


async def handler(ws: ServerConnection) -> None:
    headers = ws.request.headers
    if not headers.get("Authorization", "").startswith("Bearer "):
        await ws.close(4401)
        return
    user_id = str(uuid.uuid4())
    joined = [r for r in headers.get("X-Bench-Rooms", "").split(",") if r]
    for room_id in joined:
        rooms[room_id].add(ws)
    try:
        await ws.send(_connected(user_id))
        async for text in ws:
            frame = json.loads(text)
            payload = frame.get("payload") or {}
            if frame.get("type") == "send_message" and payload.get("room_id") in joined:
                websockets.broadcast(rooms[payload["room_id"]], _new_message(payload["room_id"], user_id, payload))
            elif frame.get("type") == "ping":
                await ws.send('{"type":"pong","payload":{}}')
    except websockets.ConnectionClosed:
        pass
    finally:
        for room_id in joined:
            rooms[room_id].discard(ws)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(handler, host, port, compression=None, max_queue=None, backlog=4096):
        print(f"listening on {host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
