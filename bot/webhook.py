"""The webhook server's routes, as an ASGI app (Starlette), after python-telegram-bot's
``examples/customwebhookbot/starlettebot.py``: uvicorn serves it in the bot's event loop and
each update goes onto the ``Application``'s ``update_queue`` (``bot.telegram_app`` wires it).

- ``POST {webhook path}``: Telegram's updates. The ``X-Telegram-Bot-Api-Secret-Token`` header
  must equal ``TRAVELBOT_WEBHOOK_SECRET`` (compared in constant time), else 403 and the body is
  not even read; a body that is not a JSON object (or nests too deeply to read) is 400;
  otherwise ``feed`` handles the update and the answer is 200 once it is handled (or was
  deliberately skipped), 503 if the bot stopped first (Telegram then sends it again).
- ``GET /healthz``: 200 with ``{"status": "ok", ...}`` once the bot is serving (initialised,
  started, knowledge loaded, webhook set), 503 with ``{"status": "unavailable"}`` otherwise.
- ``GET /metrics``: ``bot.metrics`` in Prometheus' text format.

Core module: nothing here imports ``telegram``; the update is parsed by ``feed``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.metrics import CONTENT_TYPE, Metrics

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH: Final = "/healthz"
METRICS_PATH: Final = "/metrics"
RESERVED_PATHS: Final = (HEALTH_PATH, METRICS_PATH)
MAX_UPDATE_BYTES: Final = 1024 * 1024
"""An update is a few kilobytes; a larger body is refused (413) before it fills memory."""

Feed = Callable[[dict[str, Any]], Awaitable[bool]]
"""Handle one update: True once handled (or skipped on purpose), False when it could not be
handled now (the bot is stopping); raise ``ValueError`` for a JSON object that is no update."""
BODY_TIMEOUT: Final = 10.0
"""Seconds a client gets to send the body (after the head)."""
HealthCheck = Callable[[], tuple[bool, Mapping[str, Any]]]
"""``(serving, details)``: the details go into /healthz's body when serving."""

log = logging.getLogger("bot.webhook")


def _secret_matches(given: str | None, secret: str) -> bool:
    # bytes: compare_digest refuses non-ASCII str, and a header may hold anything
    offered = (given or "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(offered, secret.encode("utf-8"))


def update_type(update: Mapping[str, Any]) -> str:
    """``"message"`` for ``{"update_id": 1, "message": {...}}``."""
    return next((key for key in update if key != "update_id"), "other")


async def _read_json(request: Request) -> Any:
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPDATE_BYTES:
            raise OverflowError
        chunks.append(chunk)
    return json.loads(b"".join(chunks))


def create_app(
    *,
    path: str,
    secret: str,
    feed: Feed,
    health: HealthCheck,
    metrics: Metrics,
) -> Starlette:
    """The ASGI app: the webhook at ``path`` (the URL's path), ``/healthz`` and ``/metrics``."""
    if path in RESERVED_PATHS:
        raise ValueError(f"the webhook path {path!r} is taken by the server's own route")
    if not secret:
        raise ValueError("webhook mode needs a secret token")

    async def telegram(request: Request) -> Response:
        if not _secret_matches(request.headers.get(SECRET_HEADER), secret):
            log.warning("webhook call without the right secret token refused (403)")
            return Response(status_code=403)
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                data = await _read_json(request)
        except OverflowError:
            return Response(status_code=413)
        except TimeoutError:
            log.warning("webhook call whose body did not arrive in time refused (408)")
            return Response(status_code=408)
        except (ValueError, UnicodeDecodeError, RecursionError):
            log.warning("webhook call with a body that is not JSON (or too deep) refused (400)")
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("webhook call with JSON that is not an update refused (400)")
            return Response(status_code=400)
        metrics.update_received(update_type(data))
        try:
            handled = await feed(data)
        except ValueError as exc:
            log.warning("update %s is malformed, refused (400): %s", data["update_id"], exc)
            return Response(status_code=400)
        return Response() if handled else Response(status_code=503)

    async def healthz(_: Request) -> Response:
        serving, details = health()
        if serving:
            return JSONResponse({"status": "ok", **details})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    async def metrics_route(_: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return Starlette(
        routes=[
            Route(path, telegram, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
            Route(METRICS_PATH, metrics_route, methods=["GET"]),
        ]
    )
