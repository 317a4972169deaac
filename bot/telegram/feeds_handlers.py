"""The feed commands: /abo, /clubs, /abos, /kuendigen, /ruhezeit, /morgenrunde, and their buttons.

In a group only its admins may subscribe it or change its subscriptions; everyone sees them.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Final

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.errors import HoerclubError, UsageError
from bot.feeds.catalogue import Catalogue
from bot.feeds.roundup import decode_roundup
from bot.feeds.service import (
    Content,
    FeedService,
    read_request,
)
from bot.jobs.service import JobService
from bot.telegram.feeds_delivery import ROUNDUP_PREFIX, parse_story
from bot.telegram.feeds_texts import (
    SUBSCRIPTION_PREFIX,
    parse_subscription,
    subscribed_text,
    subscriptions_keyboard,
    subscriptions_text,
)
from bot.telegram.handler_base import locale_for
from bot.telegram.handlers import BotHandlers
from bot.telegram.keyboards import CALLBACK_DATA_BYTES
from bot.telegram.links import message_text, strip_command
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import error_text, plain, t

logger = logging.getLogger(__name__)

CLUB_PREFIX: Final = "fc"
_ADMINS: Final = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
_QUIET_OFF: Final = ("aus", "off", "keine", "none", "nein", "no")
_CLOCK: Final = r"(\d{1,2}(?:[:.]\d{2})?)"
_RANGE: Final = re.compile(rf"^\s*{_CLOCK}\s*(?:-|–|bis|to)\s*{_CLOCK}\s*$")


class FeedHandlers:
    """The feed commands and buttons, with the services they call injected once."""

    def __init__(
        self,
        feeds: FeedService,
        catalogue: Catalogue,
        jobs: JobService,
        handlers: BotHandlers,
    ) -> None:
        self.feeds = feeds
        self.catalogue = catalogue
        self.jobs = jobs
        self.handlers = handlers

    def register(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the commands and buttons to the Application (before its catch-all handlers)."""
        add = app.add_handler
        add(CommandHandler(["abo", "subscribe"], self.cmd_subscribe))
        add(CommandHandler(["abos", "subscriptions"], self.cmd_subscriptions))
        add(CommandHandler("clubs", self.cmd_clubs))
        add(CommandHandler(["kuendigen", "unsubscribe"], self.cmd_unsubscribe))
        add(CommandHandler(["ruhezeit", "quiet"], self.cmd_quiet))
        add(CommandHandler(["morgenrunde", "roundup"], self.cmd_roundup))
        add(CallbackQueryHandler(self.on_subscription_button, pattern=f"^{SUBSCRIPTION_PREFIX}:"))
        add(CallbackQueryHandler(self.on_club_button, pattern=f"^{CLUB_PREFIX}:"))
        add(CallbackQueryHandler(self.on_story_button, pattern=f"^{ROUNDUP_PREFIX}:"))

    # --- access ---------------------------------------------------------------------------
    @staticmethod
    async def may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Whether the sender may change the chat's subscriptions: anyone privately, admins in
        groups (an anonymous admin writes as the group itself)."""
        chat = update.effective_chat
        user = update.effective_user
        if chat is None or user is None:
            return False
        if chat.type == ChatType.PRIVATE:
            return True
        message = update.effective_message
        if (
            update.callback_query is None
            and message is not None
            and message.sender_chat is not None
            and message.sender_chat.id == chat.id
        ):
            return True
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            logger.info("membership of %s in %s unknown: %s", user.id, chat.id, exc)
            return False
        return member.status in _ADMINS

    async def _refuse(self, update: Update) -> None:
        locale = locale_for(update)
        if update.callback_query is not None:
            await update.callback_query.answer(plain("feeds.admins_only", locale), show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_html(t("feeds.admins_only", locale))

    # --- /abo -----------------------------------------------------------------------------
    async def cmd_subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/abo <feed, site, domain or topic> [filter]`: subscribe and say what was found."""
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or user is None:
            return
        locale = locale_for(update)
        text = strip_command(message_text(message)).strip()
        if not text:
            await message.reply_html(t("feeds.usage", locale), link_preview_options=NO_PREVIEW)
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        status = await message.reply_html(t("feeds.looking", locale))
        request = read_request(text)
        try:
            if request.source is not None:
                done = await self.feeds.subscribe(
                    chat.id, request.source, user_id=user.id, filter_text=request.filter
                )
                answer = subscribed_text(done, locale)
            else:
                answer = await self._subscribe_topic(chat.id, user.id, request.filter, locale)
        except HoerclubError as exc:
            await status.edit_text(error_text(exc, locale), parse_mode=ParseMode.HTML)
            return
        await status.edit_text(answer, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)

    async def _subscribe_topic(self, chat_id: int, user_id: int, topic: str, locale: str) -> str:
        plan = self.catalogue.plan_topic(topic)
        if plan.club is not None:
            joined = await self.feeds.join_club(chat_id, plan.club.id, user_id=user_id)
            return t("feeds.club_joined", locale, name=plan.club.name, count=len(joined))
        if not plan.feed_urls:
            raise UsageError("the catalogue has no general news feeds")
        for url in plan.feed_urls:
            await self.feeds.subscribe_url(chat_id, url, user_id=user_id, filter_text=plan.filter)
        return t("feeds.topic_subscribed", locale, topic=topic, count=len(plan.feed_urls))

    # --- /clubs ---------------------------------------------------------------------------
    async def cmd_clubs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The topic clubs, each with a "Beitreten" button."""
        message = update.effective_message
        if message is None:
            return
        locale = locale_for(update)
        lines = [t("feeds.clubs.header", locale)]
        buttons = []
        for club in self.catalogue.clubs.values():
            data = f"{CLUB_PREFIX}:{club.id}"
            if len(data.encode()) > CALLBACK_DATA_BYTES:
                logger.warning("club id %r too long for a button", club.id)
                continue
            lines.append(
                t("feeds.clubs.item", locale, name=club.name, description=club.description)
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        t("feeds.clubs.button", locale, name=club.name), callback_data=data
                    )
                ]
            )
        await message.reply_html("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))

    async def on_club_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "Beitreten": subscribe the chat to the club's feeds."""
        query = update.callback_query
        chat = update.effective_chat
        user = update.effective_user
        if query is None or chat is None or user is None:
            return
        locale = locale_for(update)
        club = self.catalogue.clubs.get((query.data or "").partition(":")[2])
        if club is None:
            await query.answer(plain("feeds.clubs.unknown", locale), show_alert=True)
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        try:
            joined = await self.feeds.join_club(chat.id, club.id, user_id=user.id)
        except HoerclubError as exc:  # the chat's subscription limit, reached part-way
            await query.answer(plain(exc.key, locale, **exc.params), show_alert=True)
            return
        await query.answer(plain("feeds.clubs.joined", locale, name=club.name))
        if isinstance(query.message, Message):
            await query.message.reply_html(
                t("feeds.club_joined", locale, name=club.name, count=len(joined))
            )

    # --- /abos and its buttons ------------------------------------------------------------
    async def _list(self, chat_id: int, locale: str) -> tuple[str, InlineKeyboardMarkup | None]:
        subs = await self.feeds.subscriptions(chat_id)
        text = subscriptions_text(subs, await self.feeds.chat_settings(chat_id), locale)
        return text, subscriptions_keyboard(subs, locale) if subs else None

    async def cmd_subscriptions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The chat's subscriptions with buttons to pause, change delivery or cancel."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        text, keyboard = await self._list(chat.id, locale_for(update))
        await message.reply_html(text, reply_markup=keyboard, link_preview_options=NO_PREVIEW)

    async def on_subscription_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """Pause, resume, change the delivery of or cancel one subscription; redraw the list."""
        query = update.callback_query
        chat = update.effective_chat
        if query is None or chat is None:
            return
        locale = locale_for(update)
        parsed = parse_subscription(query.data or "")
        if parsed is None:
            await query.answer(plain("feeds.button.gone", locale), show_alert=True)
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        action, sub_id = parsed
        if action == "x":
            ok = await self.feeds.unsubscribe(chat.id, sub_id)
        elif action in ("p", "r"):
            changed = await self.feeds.update(chat.id, sub_id, paused=action == "p")
            ok = changed is not None
        elif action == "d":
            ok = await self.feeds.update(chat.id, sub_id, mode="digest") is not None
        else:
            content: Content = "full" if action == "f" else "summary"
            changed = await self.feeds.update(chat.id, sub_id, mode="each", content=content)
            ok = changed is not None
        if not ok:
            await query.answer(plain("feeds.button.gone", locale), show_alert=True)
            return
        await query.answer(
            plain("feeds.button.cancelled" if action == "x" else "feeds.button.saved", locale)
        )
        await self._redraw(query, chat.id, locale)

    async def _redraw(self, query: CallbackQuery, chat_id: int, locale: str) -> None:
        text, keyboard = await self._list(chat_id, locale)
        try:
            await query.edit_message_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    # --- /kuendigen -----------------------------------------------------------------------
    async def cmd_unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/kuendigen <n>`: cancel the n-th subscription as /abos numbers them."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        locale = locale_for(update)
        raw = strip_command(message_text(message)).strip()
        if not raw.isdigit():
            await message.reply_html(t("feeds.unsubscribe.usage", locale))
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        number = int(raw)
        subs = await self.feeds.subscriptions(chat.id)
        if not 1 <= number <= len(subs):
            await message.reply_html(t("feeds.unsubscribe.unknown", locale, number=number))
            return
        info = subs[number - 1]
        await self.feeds.unsubscribe(chat.id, info.id)
        await message.reply_html(
            t(
                "feeds.unsubscribe.done",
                locale,
                number=number,
                title=info.feed_title or info.feed_url,
            )
        )

    # --- quiet hours and the round-up -----------------------------------------------------
    async def cmd_quiet(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/ruhezeit 22:00-07:00` sets the quiet hours, `/ruhezeit aus` ends them."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        locale = locale_for(update)
        raw = strip_command(message_text(message)).strip()
        found = _RANGE.match(raw)
        if raw.lower() not in _QUIET_OFF and found is None:
            current = await self.feeds.chat_settings(chat.id)
            quiet = "–".join(current.quiet) if current.quiet else t("feeds.quiet.none", locale)
            await message.reply_html(t("feeds.quiet.usage", locale, quiet=quiet))
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        try:
            if found is None:
                await self.feeds.set_chat(chat.id, quiet=False)
            else:
                await self.feeds.set_chat(chat.id, quiet=(found.group(1), found.group(2)))
        except (UsageError, ValueError):
            await message.reply_html(t("feeds.bad_time", locale, time=raw))
            return
        settings = await self.feeds.chat_settings(chat.id)
        if settings.quiet is None:
            await message.reply_html(t("feeds.quiet.off", locale))
        else:
            start, end = settings.quiet
            await message.reply_html(t("feeds.quiet.set", locale, start=start, end=end))

    async def cmd_roundup(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/morgenrunde 07:00 [n]`: the round-up's time (and its number of stories)."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        locale = locale_for(update)
        words = strip_command(message_text(message)).split()
        if not words or len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
            current = await self.feeds.chat_settings(chat.id)
            await message.reply_html(
                t("feeds.roundup.usage", locale, time=current.roundup_time, max=current.roundup_max)
            )
            return
        if not await self.may_change(update, context):
            await self._refuse(update)
            return
        most = int(words[1]) if len(words) == 2 else None
        try:
            await self.feeds.set_chat(chat.id, roundup_time=words[0], roundup_max=most)
        except (UsageError, ValueError):
            await message.reply_html(t("feeds.bad_time", locale, time=words[0]))
            return
        settings = await self.feeds.chat_settings(chat.id)
        await message.reply_html(
            t(
                "feeds.roundup.set",
                locale,
                time=settings.roundup_time,
                zone=settings.timezone,
                max=settings.roundup_max,
            )
        )

    async def on_story_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """ "▶️ n" under a round-up: the whole article of its n-th story."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = locale_for(update)
        wanted = parse_story(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        job = None
        if wanted is not None and pressed is not None:
            job = await self.jobs.behind_button(
                wanted.job_id, chat_id=chat.id, message_id=pressed.message_id
            )
        decoded = decode_roundup(job.request.source) if job is not None else None
        if (
            wanted is None
            or pressed is None
            or decoded is None
            or not 1 <= wanted.number <= len(decoded[1])
            or not decoded[1][wanted.number - 1].link
        ):
            await query.answer(t("button.expired", locale), show_alert=True)
            return
        story = decoded[1][wanted.number - 1]
        await query.answer(t("button.accepted.full", locale))
        prefs = dataclasses.replace(
            await self.jobs.prefs.get(user.id), variant="full", truncate_words=None
        )
        await self.handlers.submit(
            pressed,
            user_id=user.id,
            chat_id=chat.id,
            kind="url",
            source=story.link,
            prefs=prefs,
            locale=locale,
        )
