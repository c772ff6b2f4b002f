"""Creates benchmark users, rooms and memberships in bulk through the ORM, and prints their tokens.

Runs inside the application's Django (cwd = the app, DJANGO_SETTINGS_MODULE=chatapp.settings), so
it depends only on the models and `accounts.tokens.token_issue`, not on any service. Input on
stdin: {"tag": "ab12", "populations": {"fanout": {"rooms": 1, "room_size": 1000}, ...},
"history": {"population": "fanout", "messages": 200}}. Output on stdout: one JSON object,
{population: {"rooms": [...], "sockets": [{"token", "user_id", "room_id"}, ...]}}.
"""

import json
import os
import sys
import uuid
from datetime import timedelta


def main() -> None:
    spec = json.load(sys.stdin)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.tokens import token_issue
    from messaging.models import Message
    from rooms.models import Room, RoomMember

    tag = spec["tag"]
    unusable = make_password(None)  # no hashing cost: bench users never log in with a password
    out: dict = {}
    with transaction.atomic():
        for name, shape in spec["populations"].items():
            rooms_n, size = shape["rooms"], shape["room_size"]
            users = [
                User(
                    id=uuid.uuid4(),
                    username=f"b{tag}{name[:3]}{i}",
                    email=f"b{tag}{name[:3]}{i}@bench.invalid",
                    password=unusable,
                )
                for i in range(rooms_n * size)
            ]
            User.objects.bulk_create(users, batch_size=2000)
            rooms = [
                Room(id=uuid.uuid4(), name=f"bench {name} {r}", type=Room.Type.PUBLIC, created_by=users[r * size])
                for r in range(rooms_n)
            ]
            Room.objects.bulk_create(rooms)
            members = [
                RoomMember(
                    room=rooms[i // size],
                    user=user,
                    role=RoomMember.Role.ADMIN if i % size == 0 else RoomMember.Role.MEMBER,
                )
                for i, user in enumerate(users)
            ]
            RoomMember.objects.bulk_create(members, batch_size=5000)
            out[name] = {
                "rooms": [str(room.id) for room in rooms],
                "sockets": [
                    {"token": token_issue(user), "user_id": str(user.id), "room_id": str(rooms[i // size].id)}
                    for i, user in enumerate(users)
                ],
            }
        history = spec.get("history")
        if history:
            population = out[history["population"]]
            room_id = population["rooms"][0]
            senders = [s["user_id"] for s in population["sockets"][:10]]
            start = timezone.now() - timedelta(hours=1)
            Message.objects.bulk_create(
                [
                    Message(
                        room_id=room_id,
                        sender_id=senders[i % len(senders)],
                        content=f"history message {i} " * 4,
                        created_at=start + timedelta(seconds=i),
                    )
                    for i in range(history["messages"])
                ],
                batch_size=2000,
            )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
