"""/verlauf: the last audios a user got, each sent again by file_id in one tap, paged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.jobs.api import Job
from bot.jobs.later import sendable
from bot.telegram.handler_base import HandlerBase, locale_for
from bot.telegram.resend import send_again
from bot.telegram.texts import format_date, shorten, t

logger = logging.getLogger(__name__)

HISTORY_PREFIX: Final = "hist"
# How far back /verlauf reaches, and how many audios one page shows (five buttons with a
# title each fit a phone screen above the keyboard).
HISTORY_SIZE: Final = 20
HISTORY_PAGE: Final = 5
_BUTTON_TITLE_CHARS: Final = 48
# Job ids and user ids are positive 64-bit integers; more digits is a forgery.
_MAX_ID_DIGITS: Final = 19


@dataclass(frozen=True)
class HistoryTap:
    """One tap in the history: send a job's audio again, or turn to a page of an owner's list."""

    kind: str  # "send" | "page"
    number: int  # the job id, or the page (from 0)
    owner: int | None = None  # with "page": whose history the message shows


def _number(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_ID_DIGITS:
        return None
    return int(raw)


def parse_history(data: str) -> HistoryTap | None:
    """What a history button stands for, or None for malformed data."""
    parts = data.split(":")
    if len(parts) == 3 and parts[0] == HISTORY_PREFIX and parts[1] == "s":
        job_id = _number(parts[2])
        return HistoryTap("send", job_id) if job_id else None
    if len(parts) == 4 and parts[0] == HISTORY_PREFIX and parts[1] == "p":
        page, owner = _number(parts[2]), _number(parts[3])
        if page is None or not owner:
            return None
        return HistoryTap("page", page, owner)
    return None


def history_page(
    jobs: list[Job], page: int, owner: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of one page: an audio per button, ◀/▶ to the other pages."""
    pages = max(1, -(-len(jobs) // HISTORY_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = jobs[page * HISTORY_PAGE : (page + 1) * HISTORY_PAGE]
    rows: list[list[InlineKeyboardButton]] = []
    for number, job in enumerate(shown, start=page * HISTORY_PAGE + 1):
        title = shorten(job.title or t("audio.untitled", locale), _BUTTON_TITLE_CHARS)
        day = format_date(job.created_at.date(), locale) if job.created_at else None
        label = f"{number}. {title}" + (f" · {day}" if day else "")
        rows.append([InlineKeyboardButton(label, callback_data=f"{HISTORY_PREFIX}:s:{job.id}")])
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton("◀", callback_data=f"{HISTORY_PREFIX}:p:{page - 1}:{owner}")
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton("▶", callback_data=f"{HISTORY_PREFIX}:p:{page + 1}:{owner}")
        )
    if nav:
        rows.append(nav)
    text = t("history.header", locale, page=page + 1, pages=pages, count=len(jobs))
    return text, InlineKeyboardMarkup(rows)


class HistoryHandlers(HandlerBase):
    """/verlauf and its buttons."""

    async def _history(self, user_id: int) -> list[Job]:
        """The user's last audios that can still be sent again, newest first."""
        jobs = await self.jobs.history(user_id, limit=HISTORY_SIZE)
        return [job for job in jobs if sendable(job)]

    async def cmd_history(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The first page of the user's history, or a kind word when there is none yet."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        locale = locale_for(update)
        jobs = await self._history(user.id)
        if not jobs:
            await message.reply_html(t("history.empty", locale))
            return
        text, markup = history_page(jobs, 0, user.id, locale)
        await message.reply_html(text, reply_markup=markup)

    async def on_history_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send an audio again, or turn the page; only ever the presser's own history."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = locale_for(update)
        tap = parse_history(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        if tap is not None and tap.kind == "page" and tap.owner == user.id and pressed:
            jobs = await self._history(user.id)
            if jobs and tap.number * HISTORY_PAGE < len(jobs):
                await query.answer()
                text, markup = history_page(jobs, tap.number, user.id, locale)
                try:
                    await pressed.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
                except BadRequest as exc:
                    logger.info("history page not redrawn: %s", exc)
                return
        if tap is not None and tap.kind == "send":
            job = await self.jobs.get_job(tap.number)
            if job is not None and job.request.user_id == user.id and sendable(job):
                await query.answer(t("history.sending", locale))
                await send_again(
                    context.bot,
                    chat.id,
                    file_ids=sendable(job),
                    fmt=job.request.options.format,
                    title=job.title,
                    url=job.request.source if job.request.kind == "url" else None,
                    locale=locale,
                )
                return
        await query.answer(t("history.not_yours", locale), show_alert=True)
