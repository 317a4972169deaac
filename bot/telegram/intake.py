"""Messages and links in: what a message asks for, its status message and its jobs."""

from __future__ import annotations

import dataclasses
import logging

from telegram import (
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.errors import HoerclubError
from bot.jobs.api import (
    DailyLimitError,
    JobKind,
    JobRequest,
    QueueLimitError,
    RenderPrefs,
    Variant,
)
from bot.limits import MIN_TEXT_WORDS, TEXT_ATTEMPT_WORDS
from bot.models import count_words
from bot.telegram.handler_base import HandlerBase, locale_for, prefs_owner
from bot.telegram.links import (
    FoundLinks,
    find_links,
    links_in_message,
    message_text,
    strip_command,
)
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import (
    error_text,
    link_line,
    t,
    t_count,
)

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Work:
    """What one message asks for: links to read, a text to read, or refusals."""

    kind: JobKind
    sources: tuple[str, ...]
    refused: tuple[str, ...] = ()  # message keys of refused links
    dropped: int = 0  # links beyond the per-message cap


class Intake(HandlerBase):
    """Private and group messages, and submitting their work as jobs."""

    # --- messages -------------------------------------------------------------------------
    async def on_private_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In a private chat every link (or long text) starts work at once."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        text = message_text(message)
        if text.startswith("/") and not text.startswith("//"):
            await self._on_unknown_command(update, message, text)
            return
        work = self._work_in(message)
        if work is None:
            # One rule, told before any status message: a text of fewer words is not read.
            meant = count_words(text) >= TEXT_ATTEMPT_WORDS
            key = "error.text_too_short" if meant else "message.no_link"
            await message.reply_html(t(key, locale_for(update), min_words=MIN_TEXT_WORDS))
            return
        await self._enqueue(update, message, work)

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In groups only mentions of the bot and replies to it count, never every link."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        bot = context.bot
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and (replied.from_user.id == bot.id)
        )
        if not (self._mentions(message, bot.username, bot.id) or to_bot):
            return
        work = self._work_in(message, command=False, mention=bot.username)
        if work is None and replied is not None and not to_bot:
            work = self._work_in(replied)
        if work is None:
            if not to_bot:
                await message.reply_html(t("read.usage", locale_for(update)))
            return
        await self._enqueue(update, message, work)

    async def _on_unknown_command(self, update: Update, message: Message, text: str) -> None:
        found = find_links(strip_command(text) if " " in text else text)
        if found.refused or (found.urls == () and text.count("/") > 1):
            await message.reply_html(t("error.forbidden_address", locale_for(update)))
            return
        await message.reply_html(t("message.unknown_command", locale_for(update)))

    @staticmethod
    def _mentions(message: Message, username: str | None, bot_id: int) -> bool:
        kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        if message.text is not None:
            parsed = message.parse_entities(kinds)
        else:
            parsed = message.parse_caption_entities(kinds)
        for entity, text in parsed.items():
            if entity.type == MessageEntity.TEXT_MENTION:
                if entity.user is not None and entity.user.id == bot_id:
                    return True
            elif username and text.lower() == "@" + username.lower():
                return True
        return False

    def _work_in(
        self, message: Message, *, command: bool = False, mention: str | None = None
    ) -> Work | None:
        """The links of a message, or its text when it is long enough to read aloud."""
        found: FoundLinks = links_in_message(message)
        cap = self.settings.max_links_per_message
        if found.urls:
            refused = tuple(_refusal_key(reason) for _, reason in found.refused)
            return Work("url", found.urls[:cap], refused, max(0, len(found.urls) - cap))
        if found.refused:
            return Work("url", (), tuple(_refusal_key(reason) for _, reason in found.refused))
        text = message_text(message)
        if command:
            text = strip_command(text)
        if mention:
            text = text.replace("@" + mention, " ")
        if count_words(text) >= MIN_TEXT_WORDS:
            return Work("text", (text.strip(),))
        return None

    # --- enqueueing -----------------------------------------------------------------------
    async def _enqueue(
        self, update: Update, message: Message, work: Work, variant: Variant | None = None
    ) -> None:
        """One status message and one job per link, in order; limits end the loop politely.

        Without an explicit `variant` the user's "Kurzfassung zuerst" setting decides.
        """
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None:
            return
        locale = locale_for(update)
        for key in dict.fromkeys(work.refused):
            await message.reply_html(t(key, locale))
        if work.dropped:
            await message.reply_html(
                t_count(
                    "links.capped",
                    work.dropped,
                    locale,
                    max_links=self.settings.max_links_per_message,
                    rest=work.dropped,
                )
            )
        if not work.sources:
            return
        prefs = await self.jobs.prefs.get(prefs_owner(update))
        if variant is None:
            variant = "summary" if prefs.summary_first else "full"
        prefs = dataclasses.replace(prefs, variant=variant)
        for source in work.sources:
            submitted = await self.submit(
                message,
                user_id=user.id,
                chat_id=chat.id,
                kind=work.kind,
                source=source,
                prefs=prefs,
                locale=locale,
            )
            if not submitted:
                break

    async def submit(
        self,
        message: Message,
        *,
        user_id: int,
        chat_id: int,
        kind: JobKind,
        source: str,
        prefs: RenderPrefs,
        locale: str,
        status: Message | None = None,
    ) -> bool:
        """Post (or reuse) a status message and submit the job; False when a limit was hit.

        The same audio already on its way to this chat is not made twice: "Läuft schon".
        """
        request = JobRequest(
            user_id=user_id,
            chat_id=chat_id,
            kind=kind,
            source=source,
            options=prefs,
            reply_to_message_id=message.message_id,
            language=locale,
        )
        twin = None if prefs.fresh else await self.jobs.twin_in_flight(request)
        if twin is not None and twin.request.chat_id == chat_id:
            text = t("status.already_running", locale)
            if kind == "url":
                text += "\n" + link_line(source)
            if status is None:
                await message.reply_html(
                    text,
                    reply_parameters=ReplyParameters(
                        message.message_id, allow_sending_without_reply=True
                    ),
                    link_preview_options=NO_PREVIEW,
                    disable_notification=message.chat.type != ChatType.PRIVATE,
                )
            else:
                await status.edit_text(
                    text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                )
            return True
        if status is None:
            status = await self._post_status(message, locale)
        else:
            await status.edit_text(t("status.waiting", locale), parse_mode=ParseMode.HTML)
        request = dataclasses.replace(
            request, status_message_id=status.message_id if status else None
        )
        try:
            result = await self.jobs.submit(request)
        except (QueueLimitError, DailyLimitError) as exc:
            await self._tell(message, status, error_text(exc, locale))
            return False
        except HoerclubError as exc:
            await self._tell(message, status, error_text(exc, locale))
            return True
        logger.debug(
            "job %s queued for user %s (%s, position %d%s)",
            result.job_id,
            user_id,
            kind,
            result.position_in_user_queue,
            ", deduplicated" if result.deduplicated else "",
        )
        if result.position_in_user_queue > 1 and status is not None:
            try:
                await status.edit_text(
                    t("status.queued", locale, position=result.position_in_user_queue),
                    parse_mode=ParseMode.HTML,
                )
            except BadRequest as exc:  # the worker may already have moved it on
                logger.debug("queue position not shown: %s", exc)
        return True

    @staticmethod
    async def _post_status(message: Message, locale: str) -> Message | None:
        """The job's status message; None when Telegram fails to take it (the job goes on).

        Explicit server errors were already tried again; a link is never dropped for want of
        a status message: the worker then sends its final word as a new message.
        """
        try:
            return await message.reply_html(
                t("status.waiting", locale),
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                ),
                # In groups progress is no news: only the audio itself notifies.
                disable_notification=message.chat.type != ChatType.PRIVATE,
            )
        except (BadRequest, Forbidden):
            raise  # refused (the user blocked the bot, say): not a passing failure
        except NetworkError as exc:
            logger.warning(
                "status message in chat %s not sent (%s); job goes on", message.chat_id, exc
            )
            return None

    @staticmethod
    async def _tell(message: Message, status: Message | None, text: str) -> None:
        """Say `text` in the status message, or as a reply when there is none."""
        if status is not None:
            await status.edit_text(text, parse_mode=ParseMode.HTML)
        else:
            await message.reply_html(text)


def _refusal_key(reason: str) -> str:
    return "error.forbidden_address" if reason == "forbidden" else "error.bad_scheme"
