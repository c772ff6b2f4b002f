#!/bin/sh
# Container start: apply migrations, then serve with daphne. With arguments, run those instead
# (e.g. `docker compose run --rm app python manage.py createsuperuser`).
set -e

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

python manage.py migrate --noinput
exec daphne -b 0.0.0.0 -p "${PORT:-8080}" chatapp.asgi:application
