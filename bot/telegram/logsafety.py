"""Keeping the bot token out of the logs (httpx and PTB's Bot both log URLs containing it)."""

from __future__ import annotations

import logging
from typing import Final

from bot.redact import redact_secrets

# httpx logs every request URL at INFO, and the Bot API URL is ".../bot<TOKEN>/method";
# httpcore logs connection details at DEBUG.
QUIET_LOGGERS: Final = ("httpx", "httpcore")
# PTB's Bot logs "Set Bot API URL: .../bot<TOKEN>" at DEBUG when it is built.
TELEGRAM_LOGGERS: Final = (
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter",
    "telegram.request",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)
REDACTED: Final = "[TOKEN]"


class RedactToken(logging.Filter):
    """Replaces the token in a record's message and arguments before any handler sees it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if not self.token:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if self.token in message:
            record.msg = message.replace(self.token, REDACTED)
            record.args = None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self.token in text:
                record.exc_text = text.replace(self.token, REDACTED)
        return True


def protect_token(token: str) -> None:
    """Silence httpx/httpcore below WARNING and redact the token from PTB's own loggers."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if not token:
        return
    redact_secrets(token)  # every other logger's records, tracebacks included
    for name in TELEGRAM_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) and f.token == token for f in target.filters):
            target.addFilter(RedactToken(token))
