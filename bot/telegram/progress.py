"""One status message per job, edited in place at most every ~2 s, then summarised or removed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

logger = logging.getLogger(__name__)

# A status that changes every ~2 s reads as alive without flickering; also well inside
# Telegram's ~1 message/s per chat.
MIN_EDIT_INTERVAL: Final = 2.0
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
# Groups allow only ~20 messages a minute (edits count too): progress is shown more sparingly.
GROUP_EDIT_INTERVAL: Final = 6.0
# Telegram shows a chat action ("recording a voice message …") for 5 s or until the next
# message; renewed a little sooner, it stays on while the bot works.
CHAT_ACTION_SECONDS: Final = 4.5


def edit_interval(chat_id: int) -> float:
    """How often a status message in this chat may be edited (groups have negative ids)."""
    return GROUP_EDIT_INTERVAL if chat_id < 0 else MIN_EDIT_INTERVAL


class StatusMessage:
    """A message the bot keeps editing to show where a job stands."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int | None,
        *,
        min_interval: float = MIN_EDIT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.message_id = message_id
        self.min_interval = min_interval
        self.clock = clock
        self._shown: str | None = None
        self._pending: str | None = None
        self._last_edit = -float("inf")
        self._flush_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._last_action = -float("inf")
        self._action = ""

    async def action(self, action: str) -> None:
        """Show a chat action ("record_voice", "upload_voice", …); one kind at most every 4.5 s."""
        now = self.clock()
        if action == self._action and now - self._last_action < CHAT_ACTION_SECONDS:
            return
        self._last_action = now
        self._action = action
        try:
            await self.bot.send_chat_action(self.chat_id, action)
        except TelegramError as exc:  # cosmetic: the job goes on
            logger.info("chat action in %s not shown: %s", self.chat_id, exc)

    @property
    def alive(self) -> bool:
        """Whether there is a message to edit (it may have been deleted by the user)."""
        return self.message_id is not None

    async def update(self, text: str) -> None:
        """Show `text` now, or as soon as the interval allows (only the newest text is kept)."""
        if not self.alive or text == self._shown:
            self._pending = None if text == self._shown else self._pending
            return
        wait = self._last_edit + self.min_interval - self.clock()
        if wait <= 0 and self._flush_task is None:
            await self._edit(text)
            return
        self._pending = text
        if self._flush_task is None:
            self._flush_task = asyncio.create_task(self._flush_later(max(wait, 0.0)))

    async def _flush_later(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            text, self._pending = self._pending, None
            self._flush_task = None
            if text is not None:
                await self._edit(text)
        finally:
            self._flush_task = None

    async def finish(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the status with a final line (sent at once, whatever the interval)."""
        await self._cancel_flush()
        if not self.alive:
            await self._send(text, reply_markup)
            return
        await self._edit(text, reply_markup, final=True)

    async def remove(self) -> None:
        """Delete the status message; nothing stale is left behind."""
        await self._cancel_flush()
        if self.message_id is None:
            return
        message_id, self.message_id = self.message_id, None
        try:
            await self.bot.delete_message(self.chat_id, message_id)
        except TelegramError as exc:  # gone already, or Telegram failing: cosmetic either way
            logger.info("status message %s not deleted: %s", message_id, exc.message)

    async def drop_pending(self) -> None:
        """Forget a throttled edit that has not been sent yet."""
        await self._cancel_flush()

    async def _cancel_flush(self) -> None:
        task, self._flush_task = self._flush_task, None
        self._pending = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _edit(
        self, text: str, reply_markup: InlineKeyboardMarkup | None = None, *, final: bool = False
    ) -> None:
        async with self._lock:
            if self.message_id is None or (text == self._shown and reply_markup is None):
                return
            self._last_edit = self.clock()
            try:
                await self.bot.edit_message_text(
                    text,
                    chat_id=self.chat_id,
                    message_id=self.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup,
                    link_preview_options=NO_PREVIEW,
                )
                self._shown = text
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    self._shown = text
                    return
                logger.info("status message %s not edited: %s", self.message_id, exc.message)
                self.message_id = None  # deleted by the user, or too old to edit
                if final:
                    await self._send_unlocked(text, reply_markup)
            except Forbidden:
                self.message_id = None  # the user blocked the bot
            except TelegramError as exc:
                # A lost edit is cosmetic; the job goes on (the next edit or `finish` retries).
                logger.info("status message %s: edit failed: %s", self.message_id, exc)

    async def _send(self, text: str, reply_markup: InlineKeyboardMarkup | None) -> None:
        async with self._lock:
            await self._send_unlocked(text, reply_markup)

    async def _send_unlocked(self, text: str, reply_markup: InlineKeyboardMarkup | None) -> None:
        try:
            message = await self.bot.send_message(
                self.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                link_preview_options=NO_PREVIEW,
            )
        except TelegramError as exc:
            logger.warning("final status for chat %s not sent: %s", self.chat_id, exc)
            return
        self.message_id = message.message_id
        self._shown = text
