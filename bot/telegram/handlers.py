"""The handlers: narrow the update, call one service, reply with a message key."""

from __future__ import annotations

import dataclasses
import logging
from typing import Final

from telegram import (
    CallbackQuery,
    InputFile,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.config import Settings
from bot.errors import HoerclubError
from bot.jobs.api import (
    DailyLimitError,
    JobKind,
    JobRequest,
    QueueLimitError,
    RenderPrefs,
    Variant,
)
from bot.jobs.service import JobService
from bot.limits import MIN_TEXT_WORDS, TEMPO_CHOICES, TEXT_ATTEMPT_WORDS, tempo_step
from bot.models import count_words
from bot.telegram.alerts import AdminAlerts
from bot.telegram.articles import load_article
from bot.telegram.audio_files import job_dir
from bot.telegram.delivery import audio_filename
from bot.telegram.keyboards import (
    parse_action,
    parse_first_part,
    parse_setting,
    parse_variant,
    settings_keyboard,
    settings_text,
)
from bot.telegram.links import (
    FoundLinks,
    find_links,
    links_in_message,
    message_text,
    strip_command,
)
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import (
    MESSAGE_LIMIT,
    AudioMeta,
    error_text,
    format_number,
    format_tempo,
    link_label,
    link_line,
    locale_of,
    plain,
    shorten,
    split_message,
    t,
    t_count,
)

logger = logging.getLogger(__name__)

# /status shows at most this many jobs (the per-user queue limit is usually lower).
STATUS_LINES: Final = 20
# An article's text comes as messages up to this many (about 16,000 characters), else as a file.
TEXT_MESSAGES_MAX: Final = 4
_LABEL_CHARS: Final = 70


@dataclasses.dataclass(frozen=True)
class Work:
    """What one message asks for: links to read, a text to read, or refusals."""

    kind: JobKind
    sources: tuple[str, ...]
    refused: tuple[str, ...] = ()  # message keys of refused links
    dropped: int = 0  # links beyond the per-message cap


def _locale(update: Update) -> str:
    user = update.effective_user
    return locale_of(user.language_code if user else None)


class BotHandlers:
    """Every Telegram handler, with the services they call injected once."""

    def __init__(self, settings: Settings, jobs: JobService, alerts: AdminAlerts) -> None:
        self.settings = settings
        self.jobs = jobs
        self.alerts = alerts

    # --- access ---------------------------------------------------------------------------
    async def gate(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop updates from users outside HOERCLUB_ALLOWED_USERS (when an allowlist is set)."""
        if not self.settings.allowed_users or not isinstance(update, Update):
            return
        user = update.effective_user
        if user is not None and user.id in self.settings.allowed_users:
            return
        logger.info("update from user %s refused by the allowlist", user.id if user else None)
        chat = update.effective_chat
        if update.callback_query is not None:
            denied = plain("access.denied", _locale(update), user_id=user.id if user else "?")
            await update.callback_query.answer(shorten(denied, 190), show_alert=True)
        elif chat is not None and chat.type == ChatType.PRIVATE and update.effective_message:
            await update.effective_message.reply_html(
                t("access.denied", _locale(update), user_id=user.id if user else "?")
            )
        raise ApplicationHandlerStop

    # --- commands -------------------------------------------------------------------------
    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet, explain in one breath, show an example and the commands."""
        message = update.effective_message
        user = update.effective_user
        if message is None:
            return
        if message.chat.type != ChatType.PRIVATE:
            # In a group the greeting would mislead: there it answers only when asked.
            await message.reply_html(
                t("start.group", _locale(update), username=context.bot.username or "hoerclub"),
                link_preview_options=NO_PREVIEW,
            )
            return
        name = user.first_name if user else ""
        await message.reply_html(
            t("start.greeting", _locale(update), name=name), link_preview_options=NO_PREVIEW
        )

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain everything, limits included."""
        if update.effective_message is None:
            return
        locale = _locale(update)
        s = self.settings
        await update.effective_message.reply_html(
            t(
                "help.text",
                locale,
                min_words=MIN_TEXT_WORDS,
                tempos=", ".join(format_tempo(tempo, locale) for tempo in TEMPO_CHOICES),
                max_links=s.max_links_per_message,
                max_waiting=s.max_waiting_jobs,
                max_daily=s.max_jobs_per_day,
                max_words=format_number(s.max_article_words, locale),
                upload_mb=format_number(s.upload_limit_bytes // 1_000_000, locale),
            ),
            link_preview_options=NO_PREVIEW,
        )

    async def cmd_read(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/lies <link>` (or `/lies` as a reply to a message with a link or a long text)."""
        await self._command(update, None, "read.usage")

    async def cmd_summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/kurz <link>`: the short version (or `/kurz` as a reply, like /lies)."""
        await self._command(update, "summary", "summary.usage")

    async def cmd_talk(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/gespraech <link>`: the Raumgespräch; without a language model, what it needs."""
        message = update.effective_message
        if message is not None and not self.settings.llm_configured:
            await message.reply_html(t("error.llm_missing", _locale(update)))
            return
        await self._command(update, "talk", "talk.usage")

    async def _command(self, update: Update, variant: Variant | None, usage: str) -> None:
        """A reading command: its link or text, else those of the message it answers."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        work = self._work_in(message, command=True)
        if work is None and message.reply_to_message is not None:
            work = self._work_in(message.reply_to_message)
        if work is None:
            await message.reply_html(t(usage, _locale(update)))
            return
        await self._enqueue(update, message, work, variant)

    async def cmd_settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the settings with buttons: the user's own, or in a group the group's."""
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None:
            return
        locale = _locale(update)
        group = chat.type != ChatType.PRIVATE
        prefs = await self.jobs.prefs.get(_prefs_owner(update))
        engine = self.settings.tts_engine
        llm = self.settings.llm_configured
        await message.reply_html(
            settings_text(prefs, engine, locale, llm=llm, group=group),
            reply_markup=settings_keyboard(prefs, engine, locale, llm=llm),
        )

    async def cmd_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the user's running and waiting jobs."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        locale = _locale(update)
        views = await self.jobs.list_user(user.id)
        if not views:
            await message.reply_html(t("queue.empty", locale))
            return
        lines = [t("queue.header", locale)]
        for view in views[:STATUS_LINES]:
            if view.title:
                label = view.title
            elif view.source.lower().startswith(("http://", "https://")):
                label = view.source
            else:
                label = t("caption.text_title", locale)
            label = shorten(label, _LABEL_CHARS)
            if view.state == "running" and not view.title and view.source.startswith("http"):
                key = "queue.item.loading"  # the page is still loading: no title, no percent
                label = link_label(view.source)
            elif view.state == "running":
                key = "queue.item.running"
            elif view.state in ("rendered", "delivering"):
                key = "queue.item.sending"
            else:
                key = "queue.item.waiting"
            lines.append(
                t(key, locale, position=view.position, label=label, percent=view.progress or 0)
            )
        await message.reply_html("\n".join(lines), link_preview_options=NO_PREVIEW)

    async def cmd_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Cancel every running and waiting job of the user and tidy their status messages."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        locale = _locale(update)
        views = await self.jobs.list_user(user.id)
        count = await self.jobs.cancel_user(user.id)
        for view in views:
            if view.status_message_id is None or view.state == "delivering":
                continue  # an upload in progress is not cancelled
            try:
                await context.bot.edit_message_text(
                    t("status.cancelled", locale),
                    chat_id=view.chat_id,
                    message_id=view.status_message_id,
                    parse_mode=ParseMode.HTML,
                )
            except BadRequest as exc:
                logger.info("status %s not edited on cancel: %s", view.status_message_id, exc)
        if count:
            await message.reply_html(t_count("cancel.done", count, locale, count=count))
        else:
            await message.reply_html(t("cancel.none", locale))

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
            await message.reply_html(t(key, _locale(update), min_words=MIN_TEXT_WORDS))
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
                await message.reply_html(t("read.usage", _locale(update)))
            return
        await self._enqueue(update, message, work)

    async def _on_unknown_command(self, update: Update, message: Message, text: str) -> None:
        found = find_links(strip_command(text) if " " in text else text)
        if found.refused or (found.urls == () and text.count("/") > 1):
            await message.reply_html(t("error.forbidden_address", _locale(update)))
            return
        await message.reply_html(t("message.unknown_command", _locale(update)))

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
        locale = _locale(update)
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
        prefs = await self.jobs.prefs.get(_prefs_owner(update))
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
            status = await message.reply_html(
                t("status.waiting", locale),
                reply_parameters=ReplyParameters(
                    message.message_id, allow_sending_without_reply=True
                ),
                # In groups progress is no news: only the audio itself notifies.
                disable_notification=message.chat.type != ChatType.PRIVATE,
            )
        else:
            await status.edit_text(t("status.waiting", locale), parse_mode=ParseMode.HTML)
        request = dataclasses.replace(request, status_message_id=status.message_id)
        try:
            result = await self.jobs.submit(request)
        except (QueueLimitError, DailyLimitError) as exc:
            await status.edit_text(error_text(exc, locale), parse_mode=ParseMode.HTML)
            return False
        except HoerclubError as exc:
            await status.edit_text(error_text(exc, locale), parse_mode=ParseMode.HTML)
            return True
        logger.debug(
            "job %s queued for user %s (%s, position %d%s)",
            result.job_id,
            user_id,
            kind,
            result.position_in_user_queue,
            ", deduplicated" if result.deduplicated else "",
        )
        if result.position_in_user_queue > 1:
            try:
                await status.edit_text(
                    t("status.queued", locale, position=result.position_in_user_queue),
                    parse_mode=ParseMode.HTML,
                )
            except BadRequest as exc:  # the worker may already have moved it on
                logger.debug("queue position not shown: %s", exc)
        return True

    # --- buttons --------------------------------------------------------------------------
    async def on_settings_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Save one changed setting and redraw the settings message.

        In a group the settings are the group's: only its admins may change them; anyone else
        gets a toast and nothing changes.
        """
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = _locale(update)
        change = parse_setting(query.data or "")
        if change is None:
            await query.answer(t("settings.unknown", locale))
            return
        group = chat.type != ChatType.PRIVATE
        if group and not await _is_admin(context, chat.id, user.id):
            await query.answer(plain("settings.admins_only", locale), show_alert=True)
            return
        prefs = await self.jobs.prefs.set(_prefs_owner(update), **{change.name: change.value})
        await query.answer(t("settings.saved", locale))
        await self._redraw_settings(query, prefs, locale, group=group)

    async def _redraw_settings(
        self, query: CallbackQuery, prefs: RenderPrefs, locale: str, *, group: bool
    ) -> None:
        engine = self.settings.tts_engine
        llm = self.settings.llm_configured
        try:
            await query.edit_message_text(
                settings_text(prefs, engine, locale, llm=llm, group=group),
                parse_mode=ParseMode.HTML,
                reply_markup=settings_keyboard(prefs, engine, locale, llm=llm),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def on_first_part_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """ "Read the first N words" under a too-long message: submit the shortened job."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = _locale(update)
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
        prefs = await self.jobs.prefs.get(_prefs_owner(update))
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
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = _locale(update)
        wanted = parse_variant(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        job = None
        if wanted is not None and pressed is not None:
            job = await self.jobs.behind_button(
                wanted.job_id, chat_id=chat.id, message_id=pressed.message_id
            )
        if wanted is None or pressed is None or job is None:
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        if wanted.variant == "talk" and not self.settings.llm_configured:
            await query.answer(plain("error.llm_missing", locale), show_alert=True)
            return
        await query.answer(t(f"button.accepted.{wanted.variant}", locale))
        prefs = await self.jobs.prefs.get(_prefs_owner(update))
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
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = _locale(update)
        wanted = parse_action(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        job = None
        if wanted is not None and pressed is not None:
            job = await self.jobs.behind_button(
                wanted.job_id, chat_id=chat.id, message_id=pressed.message_id
            )
        if wanted is None or pressed is None or job is None:
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        prefs = dataclasses.replace(job.request.options, from_job=job.id, fresh=False)
        action = wanted.action
        if action == "text":
            await self._send_text(query, pressed, job.id, locale)
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

    # --- errors ---------------------------------------------------------------------------
    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log with traceback, tell the admin chat, apologise."""
        error = context.error
        if isinstance(error, Conflict):
            logger.error("another instance is polling with this token: %s", error)
            return
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            logger.warning("network error talking to Telegram: %s", error)
            return
        logger.error("unexpected error handling an update", exc_info=error)
        where = "update"
        if isinstance(update, Update):
            user = update.effective_user
            chat = update.effective_chat
            text = message_text(update.effective_message) if update.effective_message else ""
            where = (
                f"update {update.update_id} from user {user.id if user else '-'} "
                f"in chat {chat.id if chat else '-'}: {text[:200]!r}"
            )
            if update.effective_message is not None and chat and chat.type == ChatType.PRIVATE:
                try:
                    await update.effective_message.reply_html(
                        t("error.unexpected", _locale(update))
                    )
                except TelegramError as exc:
                    logger.warning("apology not sent: %s", exc)
        await self.alerts.report(where, error)


def _prefs_owner(update: Update) -> int:
    """Whose settings apply: a group's own (its chat id) in groups, else the user's."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


async def _is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    """Whether the user administers the group (asked of Telegram each time: admins change)."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        logger.info("admin check in %s failed: %s", chat_id, exc)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _refusal_key(reason: str) -> str:
    return "error.forbidden_address" if reason == "forbidden" else "error.bad_scheme"


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
