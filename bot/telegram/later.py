""" "Später hören": the button under an audio, /spaeter as a reply, /liste to play them back."""

from __future__ import annotations

import logging
from typing import Final

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.jobs.api import Job
from bot.jobs.later import sendable
from bot.telegram.handler_base import HandlerBase, locale_for
from bot.telegram.keyboards import parse_action
from bot.telegram.resend import send_again
from bot.telegram.texts import t, t_count

logger = logging.getLogger(__name__)

LATER_PREFIX: Final = "ltr"
# A reply to one of the user's own audios without buttons (an earlier part) is looked up
# among this many of their last deliveries.
LATER_LOOKBACK: Final = 100
_MAX_ID_DIGITS: Final = 19


def _number(raw: str) -> int | None:
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_ID_DIGITS:
        return None
    return int(raw) or None


def heard_keyboard(item_id: int, locale: str) -> InlineKeyboardMarkup:
    """ "✓ Gehört" under an audio of the list: takes it off."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("later.heard", locale), callback_data=f"{LATER_PREFIX}:d:{item_id}"
                )
            ]
        ]
    )


def clear_keyboard(owner: int, locale: str) -> InlineKeyboardMarkup:
    """ "🗑 Liste leeren" under the list's heading."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("later.clear", locale), callback_data=f"{LATER_PREFIX}:c:{owner}"
                )
            ]
        ]
    )


def _audio_file_id(message: Message) -> str | None:
    if message.audio is not None:
        return message.audio.file_id
    if message.voice is not None:
        return message.voice.file_id
    return None


class LaterHandlers(HandlerBase):
    """The list of audios put aside: adding, playing back and taking off."""

    async def put_aside(self, query: CallbackQuery, user_id: int, job: Job, locale: str) -> None:
        """The "🕒 Später hören" button: the audio goes on the presser's list."""
        if not sendable(job):
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        added = await self.later.add(user_id, job)
        await query.answer(t("later.added" if added else "later.already", locale))

    async def _job_of_audio(self, replied: Message, user_id: int, chat_id: int) -> Job | None:
        """The job that delivered an audio: named by its buttons, else found by its file_id."""
        markup = replied.reply_markup
        for row in markup.inline_keyboard if markup else ():
            for button in row:
                named = parse_action(str(button.callback_data or ""))
                if named is not None:
                    return await self.jobs.behind_button(
                        named.job_id, chat_id=chat_id, message_id=replied.message_id
                    )
        file_id = _audio_file_id(replied)
        for job in await self.jobs.history(user_id, limit=LATER_LOOKBACK):
            if file_id in sendable(job) and job.request.chat_id == chat_id:
                return job
        return None

    async def cmd_later(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/spaeter` as a reply to an audio puts it on the list; otherwise it says how."""
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None:
            return
        locale = locale_for(update)
        replied = message.reply_to_message
        if replied is None or _audio_file_id(replied) is None or not replied.from_user:
            await message.reply_html(t("later.usage", locale))
            return
        job = None
        if replied.from_user.id == context.bot.id:
            job = await self._job_of_audio(replied, user.id, chat.id)
        if job is None or not sendable(job):
            await message.reply_html(t("later.unknown_audio", locale))
            return
        added = await self.later.add(user.id, job)
        await message.reply_html(t("later.added" if added else "later.already", locale))

    async def cmd_list(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/liste`: every audio on the list, one message each, oldest first."""
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None:
            return
        locale = locale_for(update)
        items = await self.later.items(user.id)
        if not items:
            await message.reply_html(t("later.empty", locale))
            return
        await message.reply_html(
            t_count("later.header", len(items), locale, count=len(items)),
            reply_markup=clear_keyboard(user.id, locale),
        )
        for item in items:
            await send_again(
                context.bot,
                chat.id,
                file_ids=item.file_ids,
                fmt=item.format,
                title=item.title,
                url=item.url,
                locale=locale,
                buttons=heard_keyboard(item.id, locale),
            )

    async def on_later_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "✓ Gehört" takes one audio off, "🗑 Liste leeren" all; only on the presser's list."""
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        locale = locale_for(update)
        parts = (query.data or "").split(":")
        pressed = query.message if isinstance(query.message, Message) else None
        number = _number(parts[2]) if len(parts) == 3 and parts[0] == LATER_PREFIX else None
        if number is not None and parts[1] == "d" and await self.later.remove(user.id, number):
            await query.answer(t("later.removed", locale))
            await _drop_buttons(pressed)
            return
        if number is not None and parts[1] == "c" and number == user.id:
            count = await self.later.clear(user.id)
            await query.answer(t_count("later.cleared", count, locale, count=count))
            if pressed is not None:
                try:
                    await pressed.edit_text(t("later.empty", locale), parse_mode=ParseMode.HTML)
                except BadRequest as exc:
                    logger.info("list heading not redrawn: %s", exc)
            return
        await query.answer(t("later.not_yours", locale), show_alert=True)


async def _drop_buttons(message: Message | None) -> None:
    if message is None:
        return
    try:
        await message.edit_reply_markup(None)
    except BadRequest as exc:
        logger.info("buttons not removed: %s", exc)
