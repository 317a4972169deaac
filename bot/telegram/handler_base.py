"""What every handler shares: the injected services, the user's locale, whose settings apply."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.jobs.later import LaterList
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.telegram.alerts import AdminAlerts
from bot.telegram.texts import locale_of

logger = logging.getLogger(__name__)


class HandlerBase:
    """The services every handler calls, injected once."""

    def __init__(
        self, settings: Settings, jobs: JobService, alerts: AdminAlerts, pipeline: Pipeline
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.alerts = alerts
        self.pipeline = pipeline
        self.later = LaterList(jobs.db)


def locale_for(update: Update) -> str:
    """The locale of the update's user (German unless they use English)."""
    user = update.effective_user
    return locale_of(user.language_code if user else None)


def prefs_owner(update: Update) -> int:
    """Whose settings apply: a group's own (its chat id) in groups, else the user's."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


async def is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    """Whether the user administers the group (asked of Telegram each time: admins change)."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        logger.info("admin check in %s failed: %s", chat_id, exc)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
