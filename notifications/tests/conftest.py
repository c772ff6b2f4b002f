"""A real push service on 127.0.0.1, browsers' subscription keys, and the jobs worker."""

import json
import os
import queue
import uuid
from dataclasses import dataclass

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jobs.tests.worker import WorkerThread
from notifications import vapid
from outbound.tests.servers import Answer, Received, RecordingServer

# WebSocket fixtures (an in-process socket registers presence in the real Redis).
from realtime.tests.conftest import (  # noqa: F401
    _close_database_thread_connections,
    _fresh_channel_layer,
    servers,
    ws_connect,
)


@dataclass
class Browser:
    """What a browser holds for one push subscription: its endpoint and its private key."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def keys(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": vapid.b64url(public), "auth": vapid.b64url(self.auth_secret)}

    def subscription_json(self) -> dict:
        return {"endpoint": self.endpoint, "keys": self.keys, "expirationTime": None}


@dataclass
class Push:
    """A push the service accepted, checked and decrypted as the browser would."""

    received: Received
    payload: dict
    size: int  # bytes of the decrypted payload


class PushService:
    """An HTTP push service on 127.0.0.1: checks each POST's VAPID header (ES256 signature by the
    server's public key, audience its own origin, unexpired) and answers 201 (or what a test sets);
    `next_push(browser)` decrypts what reached that browser's endpoint."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}  # by path: answers used up in order, then 201
        self.vapid_errors: queue.Queue[str] = queue.Queue()
        self.server = RecordingServer(self._answer)
        self.origin = self.server.origin()
        self.by_path: dict[str, queue.Queue[Received]] = {}

    def browser(self) -> Browser:
        path = f"/push/{uuid.uuid4().hex}"
        self.by_path[path] = queue.Queue()
        return Browser(self.origin + path, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def answer_next(self, browser: Browser, *answers: Answer) -> None:
        self.answers.setdefault(browser.endpoint.removeprefix(self.origin), []).extend(answers)

    def _answer(self, received: Received) -> Answer:
        self.by_path.setdefault(received.path, queue.Queue()).put(received)
        problem = self._vapid_problem(received)
        if problem:
            self.vapid_errors.put(problem)
            return Answer(403, problem.encode())
        pending = self.answers.get(received.path)
        return pending.pop(0) if pending else Answer(201)

    def _vapid_problem(self, received: Received) -> str | None:
        scheme, _, params = received.headers.get("authorization", "").partition(" ")
        fields = dict(part.split("=", 1) for part in params.split(",") if "=" in part)
        if scheme != "vapid" or "t" not in fields or "k" not in fields:
            return "no VAPID authorization"
        keys = vapid.vapid_keys()
        if keys is None or fields["k"] != keys.public_key:
            return "VAPID key is not the server's"
        point = vapid.b64url_decode(fields["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        try:
            jwt.decode(fields["t"], public, algorithms=["ES256"], audience=self.origin, options={"require": ["exp"]})
        except jwt.PyJWTError as error:
            return f"VAPID token invalid: {error}"
        return None

    def next_push(self, browser: Browser, timeout: float = 10) -> Push:
        received = self.by_path[browser.endpoint.removeprefix(self.origin)].get(timeout=timeout)
        assert self.vapid_errors.empty(), self.vapid_errors.get()
        plain = http_ece.decrypt(
            received.body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
        )
        return Push(received, json.loads(plain), len(plain))

    def got_nothing(self, browser: Browser) -> bool:
        return self.by_path[browser.endpoint.removeprefix(self.origin)].empty()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def vapid_configured(settings):
    keys = vapid.generate()
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = keys.private_key, keys.public_key
    vapid.vapid_keys.cache_clear()
    yield keys
    vapid.vapid_keys.cache_clear()


@pytest.fixture
def push_service(settings, vapid_configured):
    service = PushService()
    settings.PUSH_ENDPOINT_ALLOWLIST = [service.origin]
    yield service
    service.stop()


@pytest.fixture
def jobs_worker():
    worker = WorkerThread().start()
    yield worker
    worker.stop()
