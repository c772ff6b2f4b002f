# chatapp: daphne serving HTTP, WebSockets and /media on 0.0.0.0:$PORT.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libmagic1: python-magic reads upload types from their bytes with it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .

# var/ holds collected static files; /data/media is the uploads volume (see docker-compose.yml).
ENV VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    PORT=8080
RUN mkdir -p /app/var /data/media && chown -R app:app /app/var /data

USER app
# Settings refuse to load without a secret outside DEBUG; this one exists only for this build step.
RUN SECRET_KEY=collectstatic-only-not-a-secret REDIS_URL=redis://unused:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

EXPOSE 8080
ENTRYPOINT ["sh", "/app/scripts/docker-entrypoint.sh"]
