"""PDFs sent as files: checked at once, read by a worker like a page behind a link."""

from __future__ import annotations

import dataclasses
import logging
from typing import Final

from telegram import Bot, Document, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.jobs.api import SentFile, pdf_source
from bot.telegram.handler_base import locale_for, prefs_owner
from bot.telegram.intake import Intake
from bot.telegram.texts import format_number, t

logger = logging.getLogger(__name__)

# Bot API getFile: "bots can download files of up to 20 MB in size".
TELEGRAM_DOWNLOAD_BYTES: Final = 20 * 1000 * 1000


def is_pdf_document(document: Document) -> bool:
    """A PDF by its type or, for clients that send bare bytes, by its name."""
    if (document.mime_type or "").lower() in ("application/pdf", "application/x-pdf"):
        return True
    return (document.file_name or "").lower().endswith(".pdf")


async def download_file(bot: Bot, file_id: str) -> bytes:
    """A sent file's bytes (its size was checked when it arrived)."""
    found = await bot.get_file(file_id)
    return bytes(await found.download_as_bytearray())


def _megabytes(size: int, locale: str) -> str:
    return format_number(max(1, round(size / 1_000_000)), locale)


class DocumentIntake(Intake):
    """A PDF in a private chat (or with a mention of the bot in a group) becomes a job."""

    @property
    def max_file_bytes(self) -> int:
        """The largest file read: a page's limit, and never more than Telegram hands out."""
        return min(self.pipeline.loader.max_bytes, TELEGRAM_DOWNLOAD_BYTES)

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Submit a sent PDF as a job; too large a file is refused before any status message."""
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None or message.document is None:
            return
        document = message.document
        if not is_pdf_document(document):
            return
        if chat.type != ChatType.PRIVATE and not self._mentions(
            message, context.bot.username, context.bot.id
        ):
            return  # in groups only what is addressed to the bot counts
        locale = locale_for(update)
        limit = self.max_file_bytes
        if document.file_size is not None and document.file_size > limit:
            await message.reply_html(
                t(
                    "error.pdf_too_large",
                    locale,
                    size=_megabytes(document.file_size, locale),
                    limit=_megabytes(limit, locale),
                )
            )
            return
        prefs = await self.jobs.prefs.get(prefs_owner(update))
        prefs = dataclasses.replace(prefs, variant="summary" if prefs.summary_first else "full")
        sent = SentFile(document.file_unique_id, document.file_id, document.file_name or "")
        await self.submit(
            message,
            user_id=user.id,
            chat_id=chat.id,
            kind="pdf",
            source=pdf_source(sent),
            prefs=prefs,
            locale=locale,
        )
