"""Unexpected errors: logged with the traceback and, if configured, told to an admin chat."""

from __future__ import annotations

import html
import logging
import traceback
from typing import Final

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram.texts import MESSAGE_LIMIT, Html, t

logger = logging.getLogger(__name__)

# Room for the context lines around the traceback inside one 4,096-character message.
_TRACEBACK_CHARS: Final = MESSAGE_LIMIT - 800


class AdminAlerts:
    """Sends unexpected errors with their context to the operator's chat (if one is set)."""

    def __init__(self, bot: Bot, admin_chat_id: int | None, secrets: tuple[str, ...] = ()) -> None:
        self.bot = bot
        self.admin_chat_id = admin_chat_id
        self.secrets = tuple(s for s in secrets if s)

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    async def report(self, context: str, exc: BaseException | None) -> None:
        """Tell the admin chat what failed, where, and the tail of the traceback."""
        if self.admin_chat_id is None:
            return
        if exc is not None:
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        else:
            trace = "(no exception)"
        trace = self._redact(trace)[-_TRACEBACK_CHARS:]
        context = self._redact(context)[:600]
        text = t(
            "admin.error",
            "de",
            context=context,
            traceback=Html(html.escape(trace, quote=False)),
        )
        try:
            await self.bot.send_message(self.admin_chat_id, text, parse_mode=ParseMode.HTML)
        except TelegramError as error:
            logger.warning("admin chat %s not told: %s", self.admin_chat_id, error)
