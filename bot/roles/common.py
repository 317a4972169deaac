"""What the `web` and `worker` roles share: stopping on signals, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from sqlalchemy import text

from bot.storage.db import Database
from bot.telegram.webhook import HealthProbe, MetricsProbe


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop` (where the loop can install handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def status_probes(db: Database) -> tuple[HealthProbe, MetricsProbe]:
    """The /healthz check (the database answers) and the /metrics exposition."""

    async def health() -> tuple[bool, dict[str, str]]:
        try:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            return False, {"database": f"error: {type(exc).__name__}"}
        return True, {"database": "ok"}

    def metrics() -> tuple[bytes, str]:
        return b"", "text/plain; version=0.0.4; charset=utf-8"

    return health, metrics
