"""Owner and roles, the moderation API and its audit log, who may sign up, invites, deletion."""

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import AuditEntry, Invite, Role, User
from accounts.registration import INVITE_INVALID, INVITE_REQUIRED, REGISTRATION_CLOSED, registration_refusal
from conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def register(client, username="budi", email="budi@example.com", **extra):
    body = {"username": username, "email": email, "password": "secret123", **extra}
    return client.post("/api/v1/auth/register", body, format="json")


@pytest.fixture
def owner(make_user) -> User:
    return make_user("olga", role=Role.OWNER, is_staff=True)


@pytest.fixture
def admin(make_user) -> User:
    return make_user("adam", role=Role.ADMIN, is_staff=True)


class TestOwnerAndRoles:
    def test_first_account_is_owner_and_staff_then_members(self, api_client):
        first = register(api_client).json()["user"]
        second = register(api_client, "sari", "sari@example.com").json()["user"]
        assert (first["role"], second["role"]) == ("owner", "member")
        assert User.objects.get(username="budi").is_staff is True
        assert User.objects.get(username="sari").is_staff is False

    def test_only_owners_change_roles_and_staff_follows(self, api_client_for, owner, admin, user):
        refused = api_client_for(admin).patch(f"/api/v1/admin/users/{user.id}", {"role": "admin"}, format="json")
        assert refused.status_code == 403
        assert refused.json() == {"error": "Only owners can change roles"}
        done = api_client_for(owner).patch(f"/api/v1/admin/users/{user.id}", {"role": "admin"}, format="json")
        assert done.status_code == 200
        assert done.json()["role"] == "admin"
        user.refresh_from_db()
        assert user.is_staff is True

    def test_is_staff_set_separately_is_kept(self, api_client_for, owner, make_user):
        # An admin whose Django admin access was taken away by hand keeps it off when made owner.
        admin_without_staff = make_user("sam", role=Role.ADMIN, is_staff=False)
        api_client_for(owner).patch(f"/api/v1/admin/users/{admin_without_staff.id}", {"role": "owner"}, format="json")
        admin_without_staff.refresh_from_db()
        assert (admin_without_staff.role, admin_without_staff.is_staff) == ("owner", False)

    def test_staff_follows_a_role_it_matched(self, api_client_for, owner, user):
        api_client_for(owner).patch(f"/api/v1/admin/users/{user.id}", {"role": "admin"}, format="json")
        api_client_for(owner).patch(f"/api/v1/admin/users/{user.id}", {"role": "member"}, format="json")
        user.refresh_from_db()
        assert user.is_staff is False

    def test_last_owner_cannot_be_demoted_or_deactivated(self, api_client_for, owner, make_user):
        client = api_client_for(owner)
        demote = client.patch(f"/api/v1/admin/users/{owner.id}", {"role": "member"}, format="json")
        assert demote.status_code == 409
        second = make_user("otto", role=Role.OWNER)
        deactivate_self = client.patch(f"/api/v1/admin/users/{owner.id}", {"is_active": False}, format="json")
        assert deactivate_self.status_code == 403
        assert (
            api_client_for(second)
            .patch(f"/api/v1/admin/users/{owner.id}", {"role": "member"}, format="json")
            .status_code
            == 200
        )
        owner.refresh_from_db()
        last = api_client_for(owner).patch(f"/api/v1/admin/users/{second.id}", {"is_active": False}, format="json")
        assert last.status_code == 403  # owner is now a member: not a moderator at all

    def test_members_get_403_on_the_admin_api(self, api_client_for, user):
        client = api_client_for(user)
        assert client.get("/api/v1/admin/users").status_code == 403
        assert client.get("/api/v1/admin/audit").status_code == 403
        assert client.post("/api/v1/invites", {}, format="json").status_code == 403


class TestModeration:
    def test_user_list_searches_username_and_email(self, api_client_for, admin, make_user):
        make_user("zed", email="zed@corp.test")
        body = api_client_for(admin).get("/api/v1/admin/users", {"q": "corp.test"}).json()
        assert [row["username"] for row in body["data"]] == ["zed"]
        assert body["total"] == 1 and set(body["data"][0]) >= {"role", "is_active", "email"}

    def test_deactivation_revokes_tokens_closes_sockets_drops_push(
        self, api_client_for, admin, user, published_events, django_capture_on_commit_callbacks
    ):
        from django_tasks_db.models import DBTaskResult

        from broadcast.groups import user_group

        victim = api_client_for(user)
        listener = published_events(user_group(user.id))
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(admin).patch(
                f"/api/v1/admin/users/{user.id}", {"is_active": False}, format="json"
            )
        assert response.status_code == 200 and response.json()["is_active"] is False
        assert victim.get("/api/v1/auth/me").status_code == 401
        assert [event["type"] for event in listener.events()] == ["session_revoked"]
        queued = [row.args_kwargs["kwargs"] for row in DBTaskResult.objects.all()]
        assert {"name": "push_subscriptions_revoked", "kwargs": {"user_id": str(user.id)}, "attempt": 1} in queued

    def test_admins_cannot_deactivate_owners(self, api_client_for, admin, owner):
        response = api_client_for(admin).patch(f"/api/v1/admin/users/{owner.id}", {"is_active": False}, format="json")
        assert response.status_code == 403

    def test_every_action_is_in_the_audit_log(self, api_client_for, owner, user):
        client = api_client_for(owner)
        client.patch(f"/api/v1/admin/users/{user.id}", {"role": "admin"}, format="json")
        client.patch(f"/api/v1/admin/users/{user.id}", {"is_active": False}, format="json")
        invite = client.post("/api/v1/invites", {}, format="json").json()
        client.delete(f"/api/v1/invites/{invite['id']}")
        body = client.get("/api/v1/admin/audit").json()
        assert [entry["action"] for entry in body["data"]] == [
            "invite_revoked",
            "invite_created",
            "user_deactivated",
            "role_changed",
        ]
        role_change = body["data"][3]
        assert role_change["actor"]["username"] == "olga"
        assert role_change["target"]["username"] == "alice"
        assert role_change["detail"] == {"old": "member", "new": "admin"}


class TestWhoMaySignUp:
    def test_open_by_default_without_invite_code(self, api_client):
        assert register(api_client).status_code == 201

    def test_closed_refuses_with_403_saying_why(self, api_client, settings):
        settings.REGISTRATION = "closed"
        response = register(api_client)
        assert response.status_code == 403
        assert response.json() == {"error": REGISTRATION_CLOSED}

    def test_invite_mode_needs_a_code(self, api_client, settings):
        settings.REGISTRATION = "invite"
        response = register(api_client)
        assert (response.status_code, response.json()) == (403, {"error": INVITE_REQUIRED})

    def test_email_domains(self, api_client, settings):
        settings.REGISTRATION_EMAIL_DOMAINS = ["corp.test"]
        refused = register(api_client)
        assert refused.status_code == 403
        assert "corp.test" in refused.json()["error"]
        assert register(api_client, "okay", "okay@corp.test").status_code == 201

    def test_registration_refusal_is_the_one_rule(self, settings):
        settings.REGISTRATION = "invite"
        assert registration_refusal(email="a@example.com") == INVITE_REQUIRED
        assert registration_refusal(email="a@example.com", invite_code="nope") == INVITE_INVALID
        settings.REGISTRATION = "open"
        assert registration_refusal(email="a@example.com") is None


class TestInvites:
    def test_create_returns_code_once_and_stores_only_its_digest(self, api_client_for, admin, settings):
        settings.PUBLIC_URL = "https://chat.example.com"
        response = api_client_for(admin).post("/api/v1/invites", {"max_uses": 2}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"id", "code", "url", "email", "expires_at", "max_uses", "uses", "created_at"}
        assert len(body["code"]) >= 32  # 24 random bytes, base64url: 192 bits
        assert body["url"] == f"https://chat.example.com/join/{body['code']}"
        assert (body["max_uses"], body["uses"]) == (2, 0)
        invite = Invite.objects.get()
        assert body["code"] not in {invite.code_hash, invite.email}
        listed = api_client_for(admin).get("/api/v1/invites").json()["data"]
        assert [row["id"] for row in listed] == [body["id"]] and "code" not in listed[0]

    def test_invite_admits_then_is_used_up(self, api_client, api_client_for, admin, settings):
        settings.REGISTRATION = "invite"
        code = api_client_for(admin).post("/api/v1/invites", {}, format="json").json()["code"]
        assert register(api_client, invite_code=code).status_code == 201
        again = register(api_client, "sari", "sari@example.com", invite_code=code)
        assert (again.status_code, again.json()) == (403, {"error": INVITE_INVALID})
        assert Invite.objects.get().uses == 1

    def test_invite_bound_to_email_admits_only_it(self, api_client, api_client_for, admin, settings):
        settings.REGISTRATION = "invite"
        code = (
            api_client_for(admin).post("/api/v1/invites", {"email": "Sari@Example.com"}, format="json").json()["code"]
        )
        assert register(api_client, invite_code=code).status_code == 403
        assert register(api_client, "sari", "sari@example.com", invite_code=code).status_code == 201

    def test_expired_and_revoked_invites_refuse(self, api_client, api_client_for, admin, settings):
        settings.REGISTRATION = "invite"
        created = services.invite_create(
            actor=admin, expires_in_hours=1, now=timezone.now() - timezone.timedelta(hours=2)
        )
        assert register(api_client, invite_code=created.code).status_code == 403
        fresh = api_client_for(admin).post("/api/v1/invites", {}, format="json").json()
        assert api_client_for(admin).delete(f"/api/v1/invites/{fresh['id']}").status_code == 200
        assert register(api_client, invite_code=fresh["code"]).status_code == 403
        listed = api_client_for(admin).get("/api/v1/invites").json()["data"]
        assert [row["id"] for row in listed] == [str(created.invite.id)]  # expired listed, revoked not

    def test_a_refused_registration_does_not_spend_the_invite(self, api_client, api_client_for, admin, user, settings):
        settings.REGISTRATION = "invite"
        code = api_client_for(admin).post("/api/v1/invites", {}, format="json").json()["code"]
        taken = register(api_client, "alice", "new@example.com", invite_code=code)
        assert taken.status_code == 409
        assert Invite.objects.get().uses == 0


class TestAccountDeletion:
    def test_delete_anonymises_and_revokes(self, api_client_for, owner, user):
        client = api_client_for(user)
        wrong = client.delete("/api/v1/auth/me", {"current_password": "nope-nope"}, format="json")
        assert wrong.status_code == 401
        response = client.delete("/api/v1/auth/me", {"current_password": DEFAULT_PASSWORD}, format="json")
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.username == f"deleted-{user.id.hex[:12]}"
        assert user.email.endswith("@deleted.invalid")
        assert (user.avatar, user.status, user.is_active, user.has_usable_password()) == ("", "", False, False)
        assert client.get("/api/v1/auth/me").status_code == 401
        assert AuditEntry.objects.filter(action="account_deleted", target_user=user).exists()

    def test_messages_stay_unless_erased(self, api_client_for, owner, user, make_user, make_room, make_message):
        room = make_room(user)
        kept = make_message(room, user, "kept")
        api_client_for(user).delete("/api/v1/auth/me", {"current_password": DEFAULT_PASSWORD}, format="json")
        kept.refresh_from_db()
        assert (kept.is_deleted, kept.content) == (False, "kept")

        leaver = make_user("lea")
        erased = make_message(room, leaver, "erase me")
        response = api_client_for(leaver).delete(
            "/api/v1/auth/me", {"current_password": DEFAULT_PASSWORD, "erase_messages": True}, format="json"
        )
        assert response.status_code == 200
        erased.refresh_from_db()
        assert (erased.is_deleted, erased.content) == (True, "")

    def test_last_owner_cannot_delete_themselves(self, api_client_for, owner):
        response = api_client_for(owner).delete(
            "/api/v1/auth/me", {"current_password": DEFAULT_PASSWORD}, format="json"
        )
        assert response.status_code == 409
        owner.refresh_from_db()
        assert owner.is_active


class TestRolesInDjangoAdmin:
    """Site staff set roles on the user's change page, under the API's rules (but for who may)."""

    @pytest.fixture
    def staff(self, make_user, client) -> User:
        member = make_user("stan", is_staff=True, is_superuser=True)
        client.force_login(member)
        return member

    def change(self, client, user: User, **fields):
        from realtime.tests.test_staff_actions import change_form_data

        url = f"/admin/accounts/user/{user.pk}/change/"
        data = change_form_data(client.get(url))
        for name, value in fields.items():
            if value is False:
                data.pop(name, None)
            else:
                data[name] = value
        return client.post(url, data)

    def test_the_list_shows_and_filters_by_role(self, client, staff, owner, user):
        page = client.get("/admin/accounts/user/?role__exact=owner")
        assert page.status_code == 200
        assert [row.username for row in page.context["cl"].result_list] == [owner.username]

    def test_the_last_owner_can_be_neither_demoted_nor_deactivated(self, client, staff, owner):
        for fields in ({"role": "member"}, {"is_active": False}):
            page = self.change(client, owner, **fields)
            assert page.status_code == 200  # the form again, with the error
            assert services.LAST_OWNER in page.content.decode()
            owner.refresh_from_db()
            assert (owner.role, owner.is_active) == ("owner", True)

    def test_demoting_one_of_two_owners_is_audited_and_admin_access_follows(self, client, staff, owner, make_user):
        make_user("otto", role=Role.OWNER, is_staff=True)
        assert self.change(client, owner, role="member").status_code == 302
        owner.refresh_from_db()
        assert (owner.role, owner.is_staff) == ("member", False)
        entry = AuditEntry.objects.get(action="role_changed", target_user=owner)
        assert (entry.actor, entry.detail) == (staff, {"old": "owner", "new": "member", "via": "django_admin"})
