"""The buttons under an audio or a failure: first part, other versions, actions."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Final, Protocol, TypeVar

from telegram import (
    CallbackQuery,
    Chat,
    InputFile,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
    User,
)
from telegram.ext import ContextTypes

from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    DELIVERY_RESENT_KEY,
    Job,
    JobKind,
)
from bot.limits import MIN_TEXT_WORDS, tempo_step
from bot.models import count_words
from bot.telegram.articles import load_article
from bot.telegram.audio_files import job_dir
from bot.telegram.delivery import audio_filename
from bot.telegram.handler_base import locale_for, prefs_owner
from bot.telegram.intake import Intake
from bot.telegram.keyboards import (
    parse_action,
    parse_first_part,
    parse_variant,
)
from bot.telegram.later import LaterHandlers
from bot.telegram.links import (
    links_in_message,
    message_text,
)
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import (
    MESSAGE_LIMIT,
    AudioMeta,
    format_number,
    format_tempo,
    plain,
    split_message,
    t,
)

logger = logging.getLogger(__name__)


class _NamesJob(Protocol):
    """Parsed button data that names a job."""

    @property
    def job_id(self) -> int: ...


# An article's text comes as messages up to this many (about 16,000 characters), else as a file.
TEXT_MESSAGES_MAX: Final = 4


W = TypeVar("W", bound=_NamesJob)


class AudioButtons(Intake, LaterHandlers):
    """Buttons that name a job and start a follow-up of it (or put its audio aside)."""

    async def _pressed(
        self, update: Update, parse: Callable[[str], W | None]
    ) -> tuple[CallbackQuery, User, Chat, str, Message, Job, W] | None:
        """A button that names a job, checked: its message must belong to that job.

        A forged, stale or foreign job id gets a toast and None, so it changes nothing.
        """
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return None
        locale = locale_for(update)
        wanted = parse(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        job = None
        if wanted is not None and pressed is not None:
            job = await self.jobs.behind_button(
                wanted.job_id, chat_id=chat.id, message_id=pressed.message_id
            )
        if wanted is None or pressed is None or job is None:
            await query.answer(t("button.expired", locale), show_alert=True)
            return None
        return query, user, chat, locale, pressed, job, wanted

    async def on_first_part_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """ "Read the first N words" under a too-long message: submit the shortened job."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = locale_for(update)
        offer = parse_first_part(query.data or "")
        status = query.message if isinstance(query.message, Message) else None
        source: tuple[JobKind, str] | None = None
        job = None
        if offer is not None and status is not None:
            source = _offered_source(status)
            if offer.job_id is not None:
                job = await self.jobs.behind_button(
                    offer.job_id, chat_id=chat.id, message_id=status.message_id
                )
                source = (job.request.kind, job.request.source) if job else None
        if offer is None or status is None or source is None:
            await query.answer(t("too_long.expired", locale), show_alert=True)
            return
        words = offer.words
        await query.answer(t("too_long.accepted", locale, words=format_number(words, locale)))
        prefs = await self.jobs.prefs.get(prefs_owner(update))
        if job is not None:
            # The article of the "too long" job is kept: this starts at synthesis.
            prefs = dataclasses.replace(job.request.options, from_job=job.id)
        prefs = dataclasses.replace(prefs, truncate_words=words, variant="full", fresh=False)
        origin = status.reply_to_message or status
        await self.submit(
            origin,
            user_id=user.id,
            chat_id=chat.id,
            kind=source[0],
            source=source[1],
            prefs=prefs,
            locale=locale,
            status=status,
        )

    async def on_variant_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "Kurzfassung", "Ganzer Artikel" or "Raumgespräch" under an audio or a failure.

        The button names a job; it counts only if its message belongs to that job, so a forged,
        stale or foreign id changes nothing and gets a toast.
        """
        found = await self._pressed(update, parse_variant)
        if found is None:
            return
        query, user, chat, locale, pressed, job, wanted = found
        if wanted.variant == "talk" and not self.settings.llm_configured:
            await query.answer(plain("error.llm_missing", locale), show_alert=True)
            return
        await query.answer(t(f"button.accepted.{wanted.variant}", locale))
        prefs = await self.jobs.prefs.get(prefs_owner(update))
        prefs = dataclasses.replace(
            prefs, variant=wanted.variant, truncate_words=None, from_job=job.id
        )
        # Under a failure the status message itself becomes the new job's status; under an
        # audio a new status answers the audio.
        on_status = pressed.message_id == job.request.status_message_id
        await self.submit(
            (pressed.reply_to_message or pressed) if on_status else pressed,
            user_id=user.id,
            chat_id=chat.id,
            kind=job.request.kind,
            source=job.request.source,
            prefs=prefs,
            locale=locale,
            status=pressed if on_status else None,
        )

    async def on_action_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under an audio: make it again, faster or slower, as the other kind, …

        Like the variant buttons it names a job and counts only on that job's messages.
        """
        found = await self._pressed(update, parse_action)
        if found is None:
            return
        query, user, chat, locale, pressed, job, wanted = found
        prefs = dataclasses.replace(job.request.options, from_job=job.id, fresh=False)
        action = wanted.action
        if action == "resend":
            await self._resend(query, pressed, job, locale)
            return
        if action == "text":
            await self._send_text(query, pressed, job.id, locale)
            return
        if action == "later":
            await self.put_aside(query, user.id, job, locale)
            return
        if action == "again":
            prefs = dataclasses.replace(prefs, fresh=True)
        elif action in ("faster", "slower"):
            tempo = tempo_step(prefs.tempo, 1 if action == "faster" else -1)
            if tempo is None:
                await query.answer(t("action.no_tempo", locale), show_alert=True)
                return
            prefs = dataclasses.replace(prefs, tempo=tempo)
        elif action in ("voice", "audio"):
            prefs = dataclasses.replace(prefs, format=action)
        else:
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        await query.answer(
            t(f"action.accepted.{action}", locale, tempo=format_tempo(prefs.tempo, locale))
        )
        await self.submit(
            pressed,
            user_id=user.id,
            chat_id=chat.id,
            kind=job.request.kind,
            source=job.request.source,
            prefs=prefs,
            locale=locale,
        )

    async def _resend(self, query: CallbackQuery, pressed: Message, job: Job, locale: str) -> None:
        """ "🔁 Nochmal senden" under a delivery that was cut off: a new job, once.

        Only on that job's status message, and only the first tap: a replayed or forged one
        (or one on an audio's buttons) changes nothing and gets a toast.
        """
        offered = (
            job.error_key in (DELIVERY_INTERRUPTED_KEY, DELIVERY_RESENT_KEY)
            and job.request.kind in ("url", "text")
            and pressed.message_id == job.request.status_message_id
        )
        if not offered:
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        if not await self.jobs.take_resend(job.id):
            await query.answer(t("action.resend_used", locale), show_alert=True)
            return
        await query.answer(t("action.accepted.resend", locale))
        logger.info("job %s: the user asked for the interrupted delivery again", job.id)
        await self.submit(
            pressed.reply_to_message or pressed,
            user_id=job.request.user_id,
            chat_id=job.request.chat_id,
            kind=job.request.kind,
            source=job.request.source,
            prefs=dataclasses.replace(job.request.options, from_job=job.id, fresh=False),
            locale=locale,
            status=pressed,  # the status message becomes the new job's
        )

    async def _send_text(
        self, query: CallbackQuery, pressed: Message, job_id: int, locale: str
    ) -> None:
        """The clean text of a job's article: messages split at Telegram's limit, or a .txt."""
        article = await load_article(job_dir(self.settings, job_id))
        if article is None:
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        await query.answer()
        pieces = split_message(article.text, MESSAGE_LIMIT)
        reply = ReplyParameters(pressed.message_id, allow_sending_without_reply=True)
        if len(pieces) > TEXT_MESSAGES_MAX:
            name = audio_filename(AudioMeta.from_article(article), "txt")
            await pressed.reply_document(
                InputFile(article.text.encode("utf-8"), filename=name),
                caption=t("action.text_file", locale),
                reply_parameters=reply,
            )
            return
        for piece in pieces:
            await pressed.reply_text(piece, reply_parameters=reply, link_preview_options=NO_PREVIEW)


def _offered_source(status: Message) -> tuple[JobKind, str] | None:
    """The job a "too long" message offered: its link, or the long text it answered."""
    for entity in status.entities:
        if entity.type == MessageEntity.TEXT_LINK and entity.url:
            return "url", entity.url
    replied = status.reply_to_message
    if replied is not None:
        found = links_in_message(replied)
        if found.urls:
            return "url", found.urls[0]
        text = message_text(replied)
        if count_words(text) >= MIN_TEXT_WORDS:
            return "text", text.strip()
    return None
