"""The handlers: narrow the update, call one service, reply with a message key."""

from __future__ import annotations

import logging

from telegram import (
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Conflict, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.errors import StorageUnavailableError
from bot.telegram.audio_buttons import AudioButtons
from bot.telegram.commands import Commands
from bot.telegram.documents import DocumentIntake
from bot.telegram.handler_base import locale_for
from bot.telegram.history import HistoryHandlers
from bot.telegram.links import (
    message_text,
)
from bot.telegram.settings_handlers import SettingsHandlers
from bot.telegram.texts import (
    plain,
    shorten,
    t,
)
from bot.telegram.voices import VoiceHandlers

logger = logging.getLogger(__name__)


class BotHandlers(
    Commands, SettingsHandlers, VoiceHandlers, AudioButtons, HistoryHandlers, DocumentIntake
):
    """Every Telegram handler, with the services they call injected once."""

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
            denied = plain("access.denied", locale_for(update), user_id=user.id if user else "?")
            await update.callback_query.answer(shorten(denied, 190), show_alert=True)
        elif chat is not None and chat.type == ChatType.PRIVATE and update.effective_message:
            await update.effective_message.reply_html(
                t("access.denied", locale_for(update), user_id=user.id if user else "?")
            )
        raise ApplicationHandlerStop

    async def on_unknown_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button no handler knows (forged, or from an older version): a toast, no change."""
        query = update.callback_query
        if query is None:
            return
        logger.info(
            "unknown button data %r from user %s", (query.data or "")[:64], query.from_user.id
        )
        await query.answer(shorten(plain("button.expired", locale_for(update)), 190))

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
        if isinstance(error, StorageUnavailableError):
            # Not unexpected: the database (or disk) said what is wrong, once a minute.
            await self._say_unavailable(update)
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
                        t("error.unexpected", locale_for(update))
                    )
                except TelegramError as exc:
                    logger.warning("apology not sent: %s", exc)
        await self.alerts.report(where, error)

    @staticmethod
    async def _say_unavailable(update: object) -> None:
        """Tell a private chat that Hörclub is not available right now."""
        if not isinstance(update, Update) or update.effective_message is None:
            return
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        try:
            await update.effective_message.reply_html(t("error.unavailable", locale_for(update)))
        except TelegramError as exc:
            logger.warning("'unavailable' not sent: %s", exc)
