"""The one place that wires the bot together: settings → database, jobs, pipeline, Telegram."""

from __future__ import annotations

from bot.config import Settings
from bot.telegram.runner import run_bot as _run_bot


def run_bot(settings: Settings) -> int:
    """Run the Telegram bot with long polling until interrupted."""
    return _run_bot(settings)
