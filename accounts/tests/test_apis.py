import io
import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import TokenBlacklist, User
from accounts.tokens import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload_image(client) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    response = client.post(
        "/api/v1/upload", {"file": SimpleUploadedFile("me.png", buffer.getvalue())}, format="multipart"
    )
    assert response.status_code == 201
    return response.json()["url"]


def register(client, username="budi", email="budi@example.com", password="secret123"):
    return client.post(
        "/api/v1/auth/register", {"username": username, "email": email, "password": password}, format="json"
    )


class TestRegister:
    def test_register_returns_token_and_own_user(self, api_client):
        response = register(api_client)
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"token", "user"}
        assert list(body["user"]) == [
            "id",
            "username",
            "email",
            "avatar",
            "status",
            "is_online",
            "last_seen",
            "created_at",
            "updated_at",
            "role",
        ]
        assert body["user"]["username"] == "budi"
        assert body["user"]["role"] == "owner"  # the first account on an empty server
        assert body["user"]["email"] == "budi@example.com"
        assert body["user"]["status"] == "Hey there! I am using ChatApp"
        claims = jwt.decode(body["token"], settings.JWT_SECRET, algorithms=["HS256"])
        assert claims["user_id"] == body["user"]["id"]
        assert claims["username"] == "budi"
        assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
        assert claims["jti"]

    def test_password_is_stored_hashed_with_argon2_in_production_settings(self, api_client, settings):
        settings.PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
        register(api_client)
        assert User.objects.get(username="budi").password.startswith("argon2")

    def test_duplicate_email_is_409_case_insensitively(self, api_client):
        register(api_client)
        response = register(api_client, username="other", email="BUDI@example.com")
        assert response.status_code == 409
        assert response.json() == {"error": "Email already registered"}

    def test_duplicate_username_is_409_case_insensitively(self, api_client):
        register(api_client)
        response = register(api_client, username="BUDI", email="x@example.com")
        assert response.status_code == 409
        assert response.json() == {"error": "Username already taken"}

    @pytest.mark.parametrize(
        "field,payload",
        [
            ("username", {"username": "ab", "email": "a@example.com", "password": "secret123"}),
            ("username", {"username": "bad name!", "email": "a@example.com", "password": "secret123"}),
            ("username", {"username": "x" * 31, "email": "a@example.com", "password": "secret123"}),
            ("email", {"username": "valid", "email": "not-an-email", "password": "secret123"}),
            ("password", {"username": "valid", "email": "a@example.com", "password": "12345"}),
            ("password", {"username": "valid", "email": "a@example.com"}),
        ],
    )
    def test_invalid_fields_are_400_with_field_errors(self, api_client, field, payload):
        response = api_client.post("/api/v1/auth/register", payload, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["error"].startswith(f"{field}:")
        assert field in body["fields"]
        assert not User.objects.exists()

    def test_malformed_json_is_400(self, api_client):
        response = api_client.post("/api/v1/auth/register", "{not json", content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"error": "Malformed request body"}

    def test_json_array_body_is_400(self, api_client):
        response = api_client.post("/api/v1/auth/register", [1, 2], format="json")
        assert response.status_code == 400
        assert "error" in response.json()


class TestLogin:
    def test_login_by_email(self, api_client, user):
        response = api_client.post(
            "/api/v1/auth/login", {"email": "ALICE@example.com", "password": "secret123"}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert body["user"]["id"] == str(user.id)
        assert body["user"]["email"] == "alice@example.com"
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200

    def test_login_by_username(self, api_client, user):
        response = api_client.post("/api/v1/auth/login", {"username": "Alice", "password": "secret123"}, format="json")
        assert response.status_code == 200
        assert response.json()["user"]["username"] == "alice"

    def test_wrong_password_and_unknown_user_get_the_same_401(self, api_client, user):
        wrong = api_client.post(
            "/api/v1/auth/login", {"email": "alice@example.com", "password": "nope123"}, format="json"
        )
        unknown = api_client.post(
            "/api/v1/auth/login", {"email": "ghost@example.com", "password": "nope123"}, format="json"
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"error": "Invalid credentials"}

    def test_deactivated_user_cannot_log_in(self, api_client, make_user):
        make_user("carol", is_active=False)
        response = api_client.post("/api/v1/auth/login", {"username": "carol", "password": "secret123"}, format="json")
        assert response.status_code == 401

    def test_login_without_identifier_is_400(self, api_client):
        response = api_client.post("/api/v1/auth/login", {"password": "secret123"}, format="json")
        assert response.status_code == 400
        assert "email" in response.json()["fields"]


class TestTokens:
    def test_me_without_token_is_401(self, api_client):
        response = api_client.get("/api/v1/auth/me")
        assert response.status_code == 401
        assert response.json() == {"error": "Authorization header is required"}

    def test_garbage_token_is_401(self, api_client):
        response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer not.a.jwt")
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid or expired token"}

    def test_non_bearer_scheme_is_401(self, api_client, user):
        response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Token {token_issue(user)}")
        assert response.status_code == 401

    def test_expired_token_is_401(self, api_client, user):
        now = int(timezone.now().timestamp())
        claims = {
            "token_type": "access",
            "user_id": str(user.id),
            "jti": uuid.uuid4().hex,
            "iat": now - 100,
            "exp": now - 10,
        }
        token = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")
        response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid or expired token"}

    @pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
    def test_other_algorithms_are_refused_even_with_the_right_key(self, api_client, user, algorithm):
        now = int(timezone.now().timestamp())
        claims = {"token_type": "access", "user_id": str(user.id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
        token = jwt.encode(claims, settings.JWT_SECRET, algorithm=algorithm)
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_alg_none_is_refused(self, api_client, user):
        now = int(timezone.now().timestamp())
        claims = {"token_type": "access", "user_id": str(user.id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
        token = jwt.encode(claims, None, algorithm="none")
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_token_signed_with_another_key_is_refused(self, api_client, user):
        now = int(timezone.now().timestamp())
        claims = {"token_type": "access", "user_id": str(user.id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
        token = jwt.encode(claims, "another-key-entirely-" * 3, algorithm="HS256")
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_token_with_kid_header_is_refused(self, api_client, user):
        now = int(timezone.now().timestamp())
        claims = {"token_type": "access", "user_id": str(user.id), "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
        token = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256", headers={"kid": "../../dev/null"})
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_token_in_query_string_is_not_accepted(self, api_client, user):
        response = api_client.get(f"/api/v1/auth/me?token={token_issue(user)}")
        assert response.status_code == 401

    def test_token_of_deactivated_user_is_refused(self, api_client_for, user):
        client = api_client_for(user)
        user.is_active = False
        user.save()
        assert client.get("/api/v1/auth/me").status_code == 401


class TestLogout:
    def test_logout_revokes_the_token(self, api_client_for, user):
        client = api_client_for(user)
        response = client.post("/api/v1/auth/logout")
        assert response.status_code == 200
        assert response.json() == {"message": "Logged out successfully"}
        again = client.get("/api/v1/auth/me")
        assert again.status_code == 401
        assert again.json() == {"error": "Token has been revoked. Please log in again."}
        row = TokenBlacklist.objects.get()
        assert row.expires_at > timezone.now() + timedelta(days=6)

    def test_logout_leaves_other_tokens_working(self, api_client_for, user):
        first, second = api_client_for(user), api_client_for(user)
        first.post("/api/v1/auth/logout")
        assert second.get("/api/v1/auth/me").status_code == 200

    def test_cleanup_tokens_deletes_only_expired_rows(self, user):
        from io import StringIO

        from django.core.management import call_command

        TokenBlacklist.objects.create(jti="old", expires_at=timezone.now() - timedelta(minutes=1))
        TokenBlacklist.objects.create(jti="live", expires_at=timezone.now() + timedelta(days=1))
        out = StringIO()
        call_command("cleanup_tokens", stdout=out)
        assert "Deleted 1 " in out.getvalue()
        assert list(TokenBlacklist.objects.values_list("jti", flat=True)) == ["live"]


class TestProfile:
    def test_me_returns_own_user_with_email(self, api_client_for, user):
        body = api_client_for(user).get("/api/v1/auth/me").json()
        assert body["id"] == str(user.id)
        assert body["email"] == "alice@example.com"

    def test_patch_me_updates_status_and_avatar_to_own_image_upload(self, api_client_for, user):
        client = api_client_for(user)
        avatar = upload_image(client)
        response = client.patch("/api/v1/auth/me", {"status": "Busy", "avatar": avatar}, format="json")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["avatar"]) == ("Busy", avatar)
        user.refresh_from_db()
        assert (user.status, user.avatar) == ("Busy", avatar)

    def test_avatar_given_as_absolute_url_on_our_host_is_stored_canonical(self, api_client_for, user):
        client = api_client_for(user)
        avatar = upload_image(client)
        response = client.patch("/api/v1/auth/me", {"avatar": f"http://localhost{avatar}"}, format="json")
        assert response.status_code == 200
        assert response.json()["avatar"] == avatar

    def test_empty_avatar_clears_it(self, api_client_for, user):
        client = api_client_for(user)
        client.patch("/api/v1/auth/me", {"avatar": upload_image(client)}, format="json")
        response = client.patch("/api/v1/auth/me", {"avatar": ""}, format="json")
        assert response.status_code == 200
        assert response.json()["avatar"] == ""

    def test_patch_me_rejects_overlong_status(self, api_client_for, user):
        response = api_client_for(user).patch("/api/v1/auth/me", {"status": "x" * 141}, format="json")
        assert response.status_code == 400
        assert "status" in response.json()["fields"]

    @pytest.mark.parametrize(
        "avatar",
        [
            "javascript:alert(1)",
            "/media/uploads/a.png",
            "https://evil.example/media/uploads/a.png",
            "/static/admin/img/icon-yes.svg",
        ],
    )
    def test_avatar_that_is_not_an_upload_is_400(self, api_client_for, user, avatar):
        response = api_client_for(user).patch("/api/v1/auth/me", {"avatar": avatar}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Avatar must be the URL of an image you uploaded"}
        user.refresh_from_db()
        assert user.avatar == ""

    def test_avatar_of_someone_elses_upload_is_400(self, api_client_for, user, other_user):
        theirs = upload_image(api_client_for(other_user))
        response = api_client_for(user).patch("/api/v1/auth/me", {"avatar": theirs}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Avatar must be the URL of an image you uploaded"}

    def test_avatar_of_own_non_image_upload_is_400(self, api_client_for, user):
        client = api_client_for(user)
        response = client.post(
            "/api/v1/upload", {"file": SimpleUploadedFile("notes.txt", b"hello\n")}, format="multipart"
        )
        response = client.patch("/api/v1/auth/me", {"avatar": response.json()["url"]}, format="json")
        assert response.status_code == 400
        assert response.json() == {"error": "Avatar must be the URL of an image you uploaded"}

    def test_change_username(self, api_client_for, user):
        response = api_client_for(user).patch("/api/v1/auth/username", {"username": "alice2"}, format="json")
        assert response.status_code == 200
        assert response.json()["username"] == "alice2"

    def test_change_username_to_taken_one_is_409(self, api_client_for, user, other_user):
        response = api_client_for(user).patch("/api/v1/auth/username", {"username": "BOB"}, format="json")
        assert response.status_code == 409
        assert response.json() == {"error": "Username already taken"}

    def test_change_email_needs_current_password(self, api_client_for, user):
        client = api_client_for(user)
        wrong = client.patch(
            "/api/v1/auth/email", {"email": "new@example.com", "current_password": "nope"}, format="json"
        )
        assert wrong.status_code == 401
        assert wrong.json() == {"error": "Current password is incorrect"}
        right = client.patch(
            "/api/v1/auth/email", {"email": "New@Example.com", "current_password": "secret123"}, format="json"
        )
        assert right.status_code == 200
        assert right.json()["email"] == "new@example.com"

    def test_change_email_to_taken_one_is_409(self, api_client_for, user, other_user):
        response = api_client_for(user).patch(
            "/api/v1/auth/email", {"email": "bob@example.com", "current_password": "secret123"}, format="json"
        )
        assert response.status_code == 409

    def test_password_change_invalidates_every_earlier_token(self, api_client, api_client_for, user):
        old_a, old_b = api_client_for(user), api_client_for(user)
        response = old_a.patch(
            "/api/v1/auth/password", {"current_password": "secret123", "new_password": "newpass456"}, format="json"
        )
        assert response.status_code == 200
        body = response.json()
        assert body["message"] == "Password updated successfully"
        assert old_a.get("/api/v1/auth/me").status_code == 401
        assert "revoked" in old_b.get("/api/v1/auth/me").json()["error"]
        assert api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
        login = api_client.post("/api/v1/auth/login", {"username": "alice", "password": "newpass456"}, format="json")
        assert login.status_code == 200

    def test_password_change_with_wrong_current_password_is_401_and_changes_nothing(self, api_client_for, user):
        client = api_client_for(user)
        response = client.patch(
            "/api/v1/auth/password", {"current_password": "wrong1", "new_password": "newpass456"}, format="json"
        )
        assert response.status_code == 401
        assert client.get("/api/v1/auth/me").status_code == 200

    def test_password_change_enforces_minimum_length(self, api_client_for, user):
        response = api_client_for(user).patch(
            "/api/v1/auth/password", {"current_password": "secret123", "new_password": "123"}, format="json"
        )
        assert response.status_code == 400
        assert "new_password" in response.json()["fields"]


class TestUsers:
    def test_search_matches_case_insensitively_and_hides_email_and_caller(self, api_client_for, user, make_user):
        make_user("Alicia")
        make_user("bob")
        response = api_client_for(user).get("/api/v1/users/search?q=ALI")
        assert response.status_code == 200
        names = [u["username"] for u in response.json()["data"]]
        assert names == ["Alicia"]
        assert "email" not in response.json()["data"][0]

    def test_search_returns_at_most_20(self, api_client_for, user, make_user):
        for i in range(25):
            make_user(f"member{i:02d}")
        assert len(api_client_for(user).get("/api/v1/users/search?q=member").json()["data"]) == 20

    def test_search_with_empty_query_is_400(self, api_client_for, user):
        response = api_client_for(user).get("/api/v1/users/search?q=")
        assert response.status_code == 400
        assert response.json() == {"error": "Query parameter 'q' is required"}

    def test_user_by_id_is_public_shape(self, api_client_for, user, other_user):
        response = api_client_for(user).get(f"/api/v1/users/{other_user.id}")
        assert response.status_code == 200
        assert response.json()["username"] == "bob"
        assert "email" not in response.json()

    def test_unknown_user_is_404(self, api_client_for, user):
        response = api_client_for(user).get(f"/api/v1/users/{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json() == {"error": "User not found"}

    def test_user_id_that_is_not_a_uuid_is_404(self, api_client_for, user):
        response = api_client_for(user).get("/api/v1/users/not-a-uuid")
        assert response.status_code == 404
        assert response.json() == {"error": "Not Found"}

    def test_users_endpoints_need_auth(self, api_client, other_user):
        assert api_client.get(f"/api/v1/users/{other_user.id}").status_code == 401
        assert api_client.get("/api/v1/users/search?q=b").status_code == 401
