#!/bin/sh
# Container start: apply migrations, then serve (daphne, via manage.py serve). With arguments, run those instead
# (e.g. `docker compose run --rm app python manage.py createsuperuser`).
set -e

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

python manage.py migrate --noinput
# `serve` is daphne with our WebSocket limits and a graceful SIGTERM (sockets closed with 1001).
exec python manage.py serve --host 0.0.0.0 --port "${PORT:-8080}"
