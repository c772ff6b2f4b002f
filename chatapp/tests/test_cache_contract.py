"""What chatapp.cache relies on in Django's Redis cache backend beyond its public API."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from chatapp.cache import ReusingRedisCacheClient


def test_django_redis_cache_chooses_its_client_class_by_the_class_attribute():
    backend = RedisCache("redis://127.0.0.1:6379/0", {})
    assert getattr(backend, "_class", None) is RedisCacheClient, (
        "django RedisCache._class is gone: chatapp.cache can no longer choose the client class"
    )


def test_the_configured_cache_reuses_one_redis_client_per_role():
    backend = caches["default"]
    backend.set("cache-contract", "kept", 5)
    assert backend.get("cache-contract") == "kept"
    client = backend._cache
    assert isinstance(client, ReusingRedisCacheClient), "RedisCache._class no longer picks the client class"
    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client() is client.get_client()
