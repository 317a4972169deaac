"""Updates by webhook: the ASGI app of `hoerclub web` (Starlette) and its server (uvicorn).

Telegram POSTs each update to ``<public URL>/telegram`` with the secret given to setWebhook in
the header ``X-Telegram-Bot-Api-Secret-Token``. A request without it is refused (403) before
its body is read; a body that is not an update gets 400; a good update goes to the
Application's update queue and is answered at once, so Telegram never waits for a handler.
The same module serves ``/healthz`` and ``/metrics`` for the web role and for workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.errors import UsageError
from bot.telegram.factory import ALLOWED_UPDATES, BotApplication, register_commands

logger = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/telegram"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 — a header name
# An update is a few kB (a message with entities and a reply); 1 MB leaves ample room and keeps
# a flood of large bodies from filling memory.
MAX_UPDATE_BYTES: Final = 1024 * 1024

HealthProbe = Callable[[], Awaitable[tuple[bool, dict[str, str]]]]
MetricsProbe = Callable[[], Awaitable[tuple[bytes, str]]]


def webhook_url(public_url: str) -> str:
    """Where Telegram sends updates: the public address with the webhook path."""
    return public_url.rstrip("/") + WEBHOOK_PATH


def _status_routes(health: HealthProbe, metrics: MetricsProbe) -> list[Route]:
    async def healthz(_request: Request) -> Response:
        ok, parts = await health()
        return JSONResponse({"ok": ok, "parts": parts}, status_code=200 if ok else 503)

    async def metrics_page(_request: Request) -> Response:
        body, content_type = await metrics()
        return Response(body, media_type=content_type)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


async def _read_limited(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_UPDATE_BYTES."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPDATE_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_UPDATE_BYTES:
            return None
    return bytes(body)


def _update_of(app: BotApplication, body: bytes) -> Update | None:
    """The update in a request body, or None for anything else."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    try:
        return Update.de_json(data, app.bot)
    except Exception as exc:  # PTB raises assorted errors on malformed fields
        logger.info("webhook: refused a body that is no update (%s)", type(exc).__name__)
        return None


def webhook_app(
    app: BotApplication, secret: str, health: HealthProbe, metrics: MetricsProbe
) -> Starlette:
    """The ASGI app of `hoerclub web`: POST /telegram, GET /healthz, GET /metrics."""
    expected = secret.encode()

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return Response("forbidden", status_code=403)
        body = await _read_limited(request)
        if body is None:
            return Response("too large", status_code=413)
        update = _update_of(app, body)
        if update is None:
            return Response("not an update", status_code=400)
        await app.update_queue.put(update)
        return Response(status_code=200)

    routes = [Route(WEBHOOK_PATH, telegram, methods=["POST"]), *_status_routes(health, metrics)]
    return Starlette(routes=routes)


def status_app(health: HealthProbe, metrics: MetricsProbe) -> Starlette:
    """The ASGI app a worker serves: GET /healthz and GET /metrics."""
    return Starlette(routes=_status_routes(health, metrics))


async def start_webhook_intake(app: BotApplication, public_url: str, secret: str) -> None:
    """Initialise the Application, register commands, set the webhook, process updates."""
    await app.initialize()
    await register_commands(app)
    url = webhook_url(public_url)
    await app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
    await app.start()
    logger.info("webhook set to %s", url)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the role's stop event decides."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_asgi(
    asgi: Starlette, host: str, port: int, stop: asyncio.Event, *, started: asyncio.Event | None
) -> None:
    """Serve `asgi` on host:port until `stop` is set; raises UsageError if it cannot listen."""
    config = uvicorn.Config(
        asgi, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(), name="hoerclub-http")
    stopped = asyncio.create_task(stop.wait())
    try:
        while not server.started and not serving.done():  # noqa: ASYNC110 — uvicorn has no event
            await asyncio.sleep(0.05)
        if server.started:
            logger.info("serving http://%s:%d", host, port)
            if started is not None:
                started.set()
        await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopped.cancel()
        try:
            await serving
        except SystemExit:  # uvicorn exits when it cannot bind
            raise UsageError(f"cannot listen on {host}:{port}") from None
