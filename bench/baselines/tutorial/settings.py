"""Baseline 2: the Django Channels tutorial chat, as a tiny separate project.

Served by daphne, `channels_redis.core.RedisChannelLayer` with its defaults (capacity 100, the
default redis-py pool), one `group_send` per message and `send_json` per recipient, as in the
Channels tutorial. REDIS_URL selects the Redis database (the harness uses DB 6).
"""

import os

SECRET_KEY = "bench-tutorial-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["daphne", "channels"]
ROOT_URLCONF = "bench.baselines.tutorial.urls"
ASGI_APPLICATION = "bench.baselines.tutorial.asgi.application"
# The tutorial keeps Django's default SQLite database; Channels closes old connections around
# every consumer event whether or not a handler uses the database.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("TUTORIAL_DB", ":memory:")}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")],
            "prefix": os.environ.get("CHANNEL_PREFIX", "asgi"),
        },
    }
}
USE_TZ = True
