"""What staff do in Django admin reaches the affected users' open sockets at once."""

import io

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import token_issue
from rooms.models import Room, RoomMember

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def create_user(username: str, **extra) -> User:
    return User.objects.create_user(username, f"{username}@example.com", "secret123", **extra)


@database_sync_to_async
def create_private_room(creator: User, *members: User) -> Room:
    room = Room.objects.create(name="Secret", type=Room.Type.PRIVATE, created_by=creator)
    RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.ADMIN)
    for member in members:
        RoomMember.objects.create(room=room, user=member, role=RoomMember.Role.MEMBER)
    return room


def staff_client() -> Client:
    client = Client()
    client.force_login(
        User.objects.create_user("staff", "staff@example.com", "secret123", is_staff=True, is_superuser=True)
    )
    return client


def _form_values(form) -> dict:
    values = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        values[form.add_prefix(name)] = "on" if value is True else value
    return values


def change_form_data(response) -> dict:
    """The POST data of an admin change page as it was rendered, inlines included."""
    data = _form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.forms:
            data.update(_form_values(form))
    return data


@database_sync_to_async
def staff_remove_member_in_room_inline(room: Room, member: User) -> int:
    client = staff_client()
    url = f"/admin/rooms/room/{room.id}/change/"
    page = client.get(url)
    data = change_form_data(page)
    prefix = next(
        form.prefix
        for inline in page.context["inline_admin_formsets"]
        for form in inline.formset.forms
        if form.instance.user_id == member.id
    )
    data[f"{prefix}-DELETE"] = "on"
    return client.post(url, data).status_code


@database_sync_to_async
def staff_add_member_in_room_inline(room: Room, member: User) -> int:
    client = staff_client()
    url = f"/admin/rooms/room/{room.id}/change/"
    data = change_form_data(client.get(url))
    row = int(data["memberships-TOTAL_FORMS"])
    data["memberships-TOTAL_FORMS"] = row + 1
    data.update({f"memberships-{row}-user": str(member.id), f"memberships-{row}-role": "member"})
    return client.post(url, data).status_code


@database_sync_to_async
def send_message(user: User, room: Room, content: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user)}")
    return client.post(f"/api/v1/rooms/{room.id}/messages", {"content": content}, format="json").status_code


class TestMemberRemovedInAdmin:
    async def test_removed_member_stops_receiving_and_cannot_type_or_join(self, ws_connect):
        alice, bob = await create_user("alice"), await create_user("bob")
        room = await create_private_room(alice, bob)
        watcher, removed = await ws_connect(alice), await ws_connect(bob)

        assert await staff_remove_member_in_room_inline(room, bob) == 302
        left = await watcher.receive_type("user_left")
        assert left["payload"] == {"room_id": str(room.id), "user_id": str(bob.id), "username": "bob"}
        assert not await database_sync_to_async(RoomMember.objects.filter(room=room, user=bob).exists)()

        assert await send_message(alice, room, "after bob left") == 201
        assert (await watcher.receive_type("new_message"))["payload"]["content"] == "after bob left"
        assert await removed.receive_none_of_type("new_message")
        await removed.send("typing", {"room_id": str(room.id)})
        assert (await removed.receive_type("error"))["payload"]["error"] == "You are not a member of this room"
        await removed.send("join_room", {"room_id": str(room.id)})
        assert (await removed.receive_type("error"))["payload"]["error"] == "You are not a member of this room"
        assert await watcher.receive_none_of_type("typing")

    async def test_member_added_in_admin_receives_the_room(self, ws_connect):
        alice, bob = await create_user("alice"), await create_user("bob")
        room = await create_private_room(alice)
        added = await ws_connect(bob)

        assert await staff_add_member_in_room_inline(room, bob) == 302
        assert (await added.receive_type("user_joined"))["payload"]["user_id"] == str(bob.id)
        assert await send_message(alice, room, "welcome bob") == 201
        assert (await added.receive_type("new_message"))["payload"]["content"] == "welcome bob"


@database_sync_to_async
def staff_post(path: str, data: dict) -> int:
    return staff_client().post(path, data).status_code


class TestUserDeletedInAdmin:
    async def test_delete_page_closes_the_users_sockets_with_4401(self, ws_connect):
        alice, bob = await create_user("alice"), await create_user("bob")
        room = await create_private_room(alice, bob)
        doomed, watcher = await ws_connect(bob), await ws_connect(alice)

        assert await staff_post(f"/admin/accounts/user/{bob.id}/delete/", {"post": "yes"}) == 302
        assert (await doomed.receive_type("error"))["payload"][
            "error"
        ] == "Token has been revoked. Please log in again."
        assert await doomed.receive_close() == 4401
        assert not await database_sync_to_async(User.objects.filter(pk=bob.id).exists)()
        assert await send_message(alice, room, "still here") == 201
        assert (await watcher.receive_type("new_message"))["payload"]["content"] == "still here"

    async def test_bulk_delete_action_closes_every_deleted_users_sockets(self, ws_connect):
        bob, carol = await create_user("bob"), await create_user("carol")
        first, second = await ws_connect(bob), await ws_connect(carol)
        action = {"action": "delete_selected", "_selected_action": [str(bob.id), str(carol.id)], "post": "yes"}

        assert await staff_post("/admin/accounts/user/", action) == 302
        assert await first.receive_close() == 4401
        assert await second.receive_close() == 4401
        assert not await database_sync_to_async(User.objects.filter(pk__in=[bob.id, carol.id]).exists)()


@database_sync_to_async
def me_status(token: str) -> tuple[int, dict]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/auth/me")
    return response.status_code, response.json()


def set_in_admin_password_form(user: User) -> None:
    data = {"usable_password": "true", "password1": "Staff-set-9", "password2": "Staff-set-9"}
    assert staff_client().post(f"/admin/accounts/user/{user.id}/password/", data).status_code == 302


def disable_in_admin_password_form(user: User) -> None:
    data = {"usable_password": "false", "unset-password": "1"}
    assert staff_client().post(f"/admin/accounts/user/{user.id}/password/", data).status_code == 302


def set_with_changepassword_command(user: User) -> None:
    from unittest import mock

    from django.core.management import call_command

    # The command reads the new password twice from the terminal.
    with mock.patch("getpass.getpass", return_value="Command-set-9"):
        call_command("changepassword", user.username, stdout=io.StringIO())


def set_password_and_save(user: User) -> None:
    stored = User.objects.get(pk=user.pk)
    stored.set_password("Shell-set-9")
    stored.save()


PASSWORD_PATHS = [
    set_in_admin_password_form,
    disable_in_admin_password_form,
    set_with_changepassword_command,
    set_password_and_save,
]


class TestPasswordSetOutsideTheApi:
    @pytest.mark.parametrize("change", PASSWORD_PATHS, ids=[path.__name__ for path in PASSWORD_PATHS])
    async def test_earlier_token_is_refused_and_socket_closed_with_4401(self, ws_connect, change):
        alice = await create_user("alice")
        token = await database_sync_to_async(token_issue)(alice)
        socket = await ws_connect(token=token)
        assert (await me_status(token))[0] == 200

        await database_sync_to_async(change)(alice)
        assert (await socket.receive_type("error"))["payload"][
            "error"
        ] == "Token has been revoked. Please log in again."
        assert await socket.receive_close() == 4401
        assert await me_status(token) == (401, {"error": "Token has been revoked. Please log in again."})
