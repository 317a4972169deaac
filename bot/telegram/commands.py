"""The commands: greeting, help, reading commands, status and cancelling."""

from __future__ import annotations

import logging
from typing import Final

from telegram import (
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.jobs.api import (
    Variant,
)
from bot.limits import MIN_TEXT_WORDS, TEMPO_CHOICES
from bot.telegram.handler_base import locale_for
from bot.telegram.intake import Intake
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import (
    format_number,
    format_tempo,
    link_label,
    shorten,
    t,
    t_count,
)

logger = logging.getLogger(__name__)

# /status shows at most this many jobs (the per-user queue limit is usually lower).
STATUS_LINES: Final = 20
_LABEL_CHARS: Final = 70


class Commands(Intake):
    """The slash commands (the settings command lives with its buttons)."""

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
                t("start.group", locale_for(update), username=context.bot.username or "hoerclub"),
                link_preview_options=NO_PREVIEW,
            )
            return
        name = user.first_name if user else ""
        await message.reply_html(
            t("start.greeting", locale_for(update), name=name), link_preview_options=NO_PREVIEW
        )

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain everything, limits included."""
        if update.effective_message is None:
            return
        locale = locale_for(update)
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
            await message.reply_html(t("error.llm_missing", locale_for(update)))
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
            await message.reply_html(t(usage, locale_for(update)))
            return
        await self._enqueue(update, message, work, variant)

    async def cmd_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """List the user's running and waiting jobs."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        locale = locale_for(update)
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
        locale = locale_for(update)
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
