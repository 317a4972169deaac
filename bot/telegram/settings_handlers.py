"""The settings: the command that shows them and the buttons that change them."""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.jobs.api import (
    RenderPrefs,
)
from bot.telegram.handler_base import HandlerBase, is_admin, locale_for, prefs_owner
from bot.telegram.keyboards import (
    parse_setting,
    settings_keyboard,
    settings_text,
)
from bot.telegram.texts import (
    plain,
    t,
)

logger = logging.getLogger(__name__)


class SettingsHandlers(HandlerBase):
    """`/einstellungen` and its buttons."""

    async def cmd_settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the settings with buttons: the user's own, or in a group the group's."""
        message = update.effective_message
        user = update.effective_user
        chat = update.effective_chat
        if message is None or user is None or chat is None:
            return
        locale = locale_for(update)
        group = chat.type != ChatType.PRIVATE
        prefs = await self.jobs.prefs.get(prefs_owner(update))
        engine = self.settings.tts_engine
        llm = self.settings.llm_configured
        await message.reply_html(
            settings_text(prefs, engine, locale, llm=llm, group=group),
            reply_markup=settings_keyboard(prefs, engine, locale, llm=llm),
        )

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
        locale = locale_for(update)
        change = parse_setting(query.data or "")
        if change is None:
            await query.answer(t("settings.unknown", locale))
            return
        group = chat.type != ChatType.PRIVATE
        if group and not await is_admin(context, chat.id, user.id):
            await query.answer(plain("settings.admins_only", locale), show_alert=True)
            return
        prefs = await self.jobs.prefs.set(prefs_owner(update), **{change.name: change.value})
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
