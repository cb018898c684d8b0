# travelbot: the Telegram bot with its knowledge baked in.
#
#   docker build -t travelbot .
#   docker run -d -e TELEGRAM_BOT_TOKEN=... -v travelbot-data:/data travelbot
#
# Every stage starts from BASE_IMAGE, and nothing else is pulled: CI builds this file with a
# local stand-in for python:3.12-slim (Debian bookworm's python3, i.e. 3.11), see
# .ci/docker-smoke. The base only needs `python` with the venv module.
ARG BASE_IMAGE=python:3.12-slim

# ---- build: a virtual environment holding the project and its runtime dependencies ----
FROM ${BASE_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# the venv lives at the same path in both stages: its scripts name their interpreter by path
RUN python -m venv /opt/travelbot

WORKDIR /src

# dependencies first, read from pyproject.toml, so that a code change reuses this layer
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/travelbot/bin/pip install -r requirements.txt

# then the project itself, as a regular (non-editable) install; importing the Telegram layer
# here fails the build, not the container, when a runtime dependency is missing
COPY bot ./bot
RUN /opt/travelbot/bin/pip install --no-deps . \
    && /opt/travelbot/bin/python -c "import bot.cli, bot.telegram_app"

# ---- runtime: the venv, the knowledge, a non-root user ----
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/travelbot/bin:$PATH \
    TRAVELBOT_KNOWLEDGE=/app/knowledge \
    TRAVELBOT_DATA_DIR=/data

RUN groupadd --gid 10001 travelbot \
    && useradd --uid 10001 --gid travelbot --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin travelbot \
    && mkdir -p /data \
    && chown travelbot:travelbot /data

COPY --from=build /opt/travelbot /opt/travelbot
# the shipped knowledge; mount a folder over /app/knowledge (or point TRAVELBOT_KNOWLEDGE
# elsewhere) to change it without rebuilding
COPY knowledge /app/knowledge

WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
# webhook mode's server (TRAVELBOT_PORT); polling mode opens no port
EXPOSE 8080

# webhook mode: GET /healthz over loopback; polling mode: the heartbeat in /data is recent
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["travelbot", "health"]

ENTRYPOINT ["travelbot"]
CMD ["run"]
