"""The fleet's roles beside `hoerclub bot`: `web` (webhook intake) and `worker` (rendering)."""

from __future__ import annotations

from bot.config import Settings
from bot.errors import UsageError


def run_role(role: str, settings: Settings) -> int:
    """Run `hoerclub web` or `hoerclub worker` until SIGINT/SIGTERM; returns the exit code.

    What is missing is said before the wiring is imported (its imports log).
    """
    if settings.telegram_bot_token is None:
        raise UsageError("TELEGRAM_BOT_TOKEN is not set")
    if role == "web":
        from bot.roles.credentials import web_credentials  # noqa: PLC0415

        web_credentials(settings)
        from bot.roles.web import run_web  # noqa: PLC0415

        return run_web(settings)
    from bot.roles.worker import run_worker  # noqa: PLC0415

    return run_worker(settings)
