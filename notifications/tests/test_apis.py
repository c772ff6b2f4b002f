import pytest

from accounts.tokens import token_issue
from notifications import vapid
from notifications.models import MAX_SUBSCRIPTIONS_PER_USER, PushSubscription

pytestmark = pytest.mark.django_db


def test_push_key_is_the_servers_vapid_public_key(api_client, vapid_configured):
    response = api_client.get("/api/v1/push/key")

    assert response.status_code == 200
    assert response.json() == {"public_key": vapid_configured.public_key}
    assert len(vapid.b64url_decode(vapid_configured.public_key)) == 65


def test_without_keys_and_without_debug_push_is_off(api_client, settings, user, api_client_for, push_service):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    settings.DEBUG = False
    vapid.vapid_keys.cache_clear()

    response = api_client.get("/api/v1/push/key")
    assert response.status_code == 404
    assert "not enabled" in response.json()["error"]
    subscribe = api_client_for(user).post(
        "/api/v1/push/subscriptions", push_service.browser().subscription_json(), format="json"
    )
    assert subscribe.status_code == 404


def test_with_debug_and_no_keys_a_pair_is_generated_once_into_var(api_client, settings, tmp_path):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    vapid.vapid_keys.cache_clear()

    first = api_client.get("/api/v1/push/key").json()["public_key"]
    vapid.vapid_keys.cache_clear()
    assert api_client.get("/api/v1/push/key").json()["public_key"] == first
    assert (tmp_path / "vapid_keys.json").exists()
    vapid.vapid_keys.cache_clear()


def test_subscribe_creates_then_updates_the_same_endpoint(api_client_for, user, push_service):
    client = api_client_for(user)
    browser = push_service.browser()

    created = client.post("/api/v1/push/subscriptions", browser.subscription_json(), format="json")
    again = client.post("/api/v1/push/subscriptions", browser.subscription_json(), format="json")

    assert created.status_code == 201
    assert again.status_code == 200
    assert again.json() == created.json()
    assert PushSubscription.objects.filter(user=user).count() == 1


def test_unsubscribe_removes_the_subscription(api_client_for, user, push_service):
    client = api_client_for(user)
    browser = push_service.browser()
    client.post("/api/v1/push/subscriptions", browser.subscription_json(), format="json")

    response = client.delete("/api/v1/push/subscriptions", {"endpoint": browser.endpoint}, format="json")

    assert response.status_code == 200
    assert response.json() == {"message": "Push subscription removed"}
    assert not PushSubscription.objects.exists()


def test_an_eleventh_subscription_drops_the_oldest(api_client_for, user, push_service):
    client = api_client_for(user)
    browsers = [push_service.browser() for _ in range(MAX_SUBSCRIPTIONS_PER_USER + 1)]
    for browser in browsers:
        assert client.post("/api/v1/push/subscriptions", browser.subscription_json(), format="json").status_code == 201

    kept = set(PushSubscription.objects.filter(user=user).values_list("endpoint", flat=True))
    assert kept == {browser.endpoint for browser in browsers[1:]}


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://127.0.0.1:{port}/push/x", "must use https"),  # loopback on a port not allow-listed
        ("https://127.0.0.1/push/x", "private or reserved"),
        ("https://169.254.169.254/latest/meta-data/", "private or reserved"),
        ("http://93.184.215.14/x", "must use https"),
        ("https://localhost/push/x", "private or reserved"),  # a name that resolves to loopback
        ("https://user:pw@93.184.215.14/x", "credentials"),
        ("not a url", "absolute http(s) URL"),
    ],
)
def test_subscribe_refuses_endpoints_the_server_must_not_post_to(api_client_for, user, push_service, endpoint, reason):
    other = push_service.browser()
    body = {**other.subscription_json(), "endpoint": endpoint.format(port=push_service.server.port + 1)}

    response = api_client_for(user).post("/api/v1/push/subscriptions", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("Push endpoint refused:")
    assert reason in response.json()["error"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh must be an uncompressed P-256"),
        ({"p256dh": None, "auth": "x"}, None),
        ("x", None),
    ],
)
def test_subscribe_refuses_keys_a_message_cannot_be_encrypted_to(api_client_for, user, push_service, keys, message):
    browser = push_service.browser()
    body = {"endpoint": browser.endpoint, "keys": keys}

    response = api_client_for(user).post("/api/v1/push/subscriptions", body, format="json")

    assert response.status_code == 400
    if message:
        assert response.json()["error"].startswith(message)


def test_a_short_auth_secret_is_refused(api_client_for, user, push_service):
    browser = push_service.browser()
    body = {"endpoint": browser.endpoint, "keys": {**browser.keys, "auth": vapid.b64url(b"short")}}
    response = api_client_for(user).post("/api/v1/push/subscriptions", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "keys.auth must be a 16-byte secret (base64url)"


def test_subscribing_needs_a_signed_in_user(api_client, push_service):
    response = api_client.post("/api/v1/push/subscriptions", push_service.browser().subscription_json(), format="json")
    assert response.status_code == 401


def test_the_subscription_remembers_the_token_it_was_made_with(api_client_for, user, push_service):
    token = token_issue(user)
    api_client_for(user, token).post(
        "/api/v1/push/subscriptions", push_service.browser().subscription_json(), format="json"
    )
    from accounts.tokens import token_verify

    assert PushSubscription.objects.get().token_jti == token_verify(token).jti
