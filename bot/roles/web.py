"""`hoerclub web`: the webhook front end. Handlers run here and write job rows; no rendering.

Stateless apart from the database: several can run behind one load balancer, each setting the
same webhook at start (setWebhook is idempotent).
"""

from __future__ import annotations

import asyncio
import logging

from bot.app import open_services
from bot.config import Settings
from bot.roles.common import status_probes, stop_on_signals
from bot.roles.credentials import web_credentials
from bot.telegram.webhook import serve_asgi, start_webhook_intake, webhook_app

logger = logging.getLogger(__name__)


def run_web(settings: Settings) -> int:
    """Run the webhook front end until SIGINT/SIGTERM; returns the exit code."""
    return asyncio.run(serve_web(settings))


async def serve_web(
    settings: Settings, stop: asyncio.Event | None = None, *, started: asyncio.Event | None = None
) -> int:
    """Set the webhook, serve /telegram, /healthz and /metrics until `stop` or a signal."""
    secret, public_url = web_credentials(settings)
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    services = await open_services(settings, lifecycle=False)
    try:
        await start_webhook_intake(services.app, public_url, secret)
        health, metrics = status_probes(services.db, settings.redis_url)
        asgi = webhook_app(services.app, secret, health, metrics)
        await serve_asgi(asgi, settings.web_host, settings.web_port, stop, started=started)
        logger.info("stopping")
    finally:
        await services.close()
    return 0
