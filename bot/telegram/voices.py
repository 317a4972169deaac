"""`/stimme`: engine and voices (reader and host) with a Stimmprobe for each voice."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.jobs.api import AudioKey, CachedAudio, RenderPrefs
from bot.models import Article, Block, BlockKind
from bot.pipeline.run import RenderOptions
from bot.telegram.handler_base import HandlerBase, is_admin, locale_for, prefs_owner
from bot.telegram.texts import plain, t
from bot.tts.registry import ENGINE_NAMES, VoiceInfo, voice_catalogue

logger = logging.getLogger(__name__)

VOICE_PREFIX: Final = "vo"
# Languages offered by engines with one voice per language (their other languages read alike).
ONE_VOICE_LANGUAGES: Final = ("de", "en")
# Bumped when the sample sentence changes, so stored samples are not reused.
SAMPLE_VERSION: Final = 1


@dataclass(frozen=True)
class VoiceChoice:
    """One pressed voice button: what to do ("e", "r", "h", "p", "menu"), engine, voice."""

    op: str
    engine: str
    voice: str


def voice_data(op: str, engine: str = "", voice: str = "") -> str:
    """The callback data of a voice button (under Telegram's 64 bytes: ids are short)."""
    return f"{VOICE_PREFIX}:{op}:{engine}:{voice}"


def parse_voice(data: str) -> VoiceChoice | None:
    """The pressed voice button, or None for garbage or an unknown engine or voice."""
    parts = data.split(":", 3)
    if len(parts) != 4 or parts[0] != VOICE_PREFIX:
        return None
    _, op, engine, voice = parts
    if op == "menu":
        return VoiceChoice(op, "", "")
    if op not in ("e", "r", "h", "p") or engine not in ENGINE_NAMES:
        return None
    if op != "e" and all(v.voice != voice or v.engine != engine for v in voice_catalogue()):
        return None
    return VoiceChoice(op, engine, voice)


def offered_voices(engine: str) -> list[VoiceInfo]:
    """The engine's voices to choose from: German first, then the others in catalogue order."""
    voices = [v for v in voice_catalogue() if v.engine == engine]
    if len({v.language for v in voices}) == len(voices):  # one voice per language
        voices = [v for v in voices if v.language in ONE_VOICE_LANGUAGES]
    return sorted(voices, key=lambda v: v.language != "de")


def _several(engine: str) -> bool:
    """Whether the engine has several German voices (so host and reader can differ)."""
    return sum(v.language == "de" for v in offered_voices(engine)) > 1


def voice_text(prefs: RenderPrefs, default_engine: str, locale: str) -> str:
    """The voice menu's text: engine, reader and host."""
    engine = prefs.engine or default_engine
    auto = plain("voice.auto", locale)
    names = {v.voice: v.name for v in voice_catalogue() if v.engine == engine}
    return t(
        "voice.title",
        locale,
        engine=t(f"settings.engine.{engine}", locale),
        reader=names.get(prefs.voice or "", auto),
        host=names.get(prefs.host_voice or "", names.get(prefs.voice or "", auto)),
    )


def voice_keyboard(prefs: RenderPrefs, default_engine: str, locale: str) -> InlineKeyboardMarkup:
    """Engine row, then per voice: choose as reader, as host (where there are several), sample."""
    engine = prefs.engine or default_engine
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if name == engine else "") + plain(f"settings.engine.{name}", locale),
                callback_data=voice_data("e", name),
            )
            for name in ENGINE_NAMES
        ]
    ]
    several = _several(engine)
    for v in offered_voices(engine):
        label = f"{v.name} ({v.locale or v.language})"
        row = [
            InlineKeyboardButton(
                ("✓ " if v.voice == prefs.voice else "") + label,
                callback_data=voice_data("r", engine, v.voice),
            )
        ]
        if several:
            row.append(
                InlineKeyboardButton(
                    ("✓ " if v.voice == prefs.host_voice else "") + plain("voice.as_host", locale),
                    callback_data=voice_data("h", engine, v.voice),
                )
            )
        row.append(
            InlineKeyboardButton(
                plain("voice.sample", locale), callback_data=voice_data("p", engine, v.voice)
            )
        )
        rows.append(row)
    return InlineKeyboardMarkup(rows)


class VoiceHandlers(HandlerBase):
    """`/stimme` and its buttons."""

    async def cmd_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Show the engine and voice choice of the user (in a group, the group's)."""
        message = update.effective_message
        if message is None or update.effective_user is None:
            return
        await self._show_voices(message, prefs_owner(update), locale_for(update))

    async def _show_voices(self, message: Message, owner: int, locale: str) -> None:
        prefs = await self.jobs.prefs.get(owner)
        engine = self.settings.tts_engine
        await message.reply_html(
            voice_text(prefs, engine, locale), reply_markup=voice_keyboard(prefs, engine, locale)
        )

    async def on_voice_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Choose an engine or a voice (saved, the menu redrawn) or play a voice's sample."""
        query = update.callback_query
        user = update.effective_user
        chat = update.effective_chat
        if query is None or user is None or chat is None:
            return
        locale = locale_for(update)
        choice = parse_voice(query.data or "")
        pressed = query.message if isinstance(query.message, Message) else None
        if choice is None or pressed is None:
            await query.answer(plain("settings.unknown", locale), show_alert=True)
            return
        if choice.op == "menu":
            await query.answer()
            await self._show_voices(pressed, prefs_owner(update), locale)
            return
        if choice.op == "p":
            await query.answer(plain("voice.sample_coming", locale))
            await self._send_sample(pressed, choice, locale)
            return
        group = chat.type != ChatType.PRIVATE
        if group and not await is_admin(context, chat.id, user.id):
            await query.answer(plain("settings.admins_only", locale), show_alert=True)
            return
        owner = prefs_owner(update)
        if choice.op == "e":
            # Voices belong to an engine: another engine starts with its own.
            prefs = await self.jobs.prefs.set(
                owner, engine=choice.engine, voice=None, host_voice=None
            )
        elif choice.op == "r":
            prefs = await self.jobs.prefs.set(owner, engine=choice.engine, voice=choice.voice)
        else:
            prefs = await self.jobs.prefs.set(owner, engine=choice.engine, host_voice=choice.voice)
        await query.answer(plain("settings.saved", locale))
        await self._redraw(query, prefs, locale)

    async def _redraw(self, query: CallbackQuery, prefs: RenderPrefs, locale: str) -> None:
        engine = self.settings.tts_engine
        try:
            await query.edit_message_text(
                voice_text(prefs, engine, locale),
                parse_mode=ParseMode.HTML,
                reply_markup=voice_keyboard(prefs, engine, locale),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def _send_sample(self, pressed: Message, choice: VoiceChoice, locale: str) -> None:
        """The voice's sample: rendered once, then sent again by its file_id."""
        language = next(
            v.language
            for v in voice_catalogue()
            if (v.engine, v.voice) == (choice.engine, choice.voice)
        )
        sample_locale = language if language in ("de", "en") else "de"
        key = AudioKey(
            article_key=f"sample:v{SAMPLE_VERSION}:{sample_locale}",
            engine=choice.engine,
            voice=choice.voice,
            tempo=1.0,
            format="audio",
            variant="sample",
        )
        cached = await self.jobs.audio_cache.get(key)
        caption = plain("voice.sample_caption", locale)
        if cached is not None:
            try:
                await pressed.reply_audio(cached.file_id, caption=caption)
                return
            except BadRequest as exc:  # Telegram forgot the file: render it again
                logger.info("sample file_id refused: %s", exc)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sample.mp3"
            # Built directly: a sample is shorter than any text a listener may send.
            article = Article(
                title=plain("voice.sample_title", sample_locale),
                blocks=(Block(BlockKind.PARAGRAPH, plain("voice.sample_text", sample_locale)),),
                language=sample_locale,
            )
            options = RenderOptions(
                engine=choice.engine,
                intro=False,
                room=False,
                chosen_voices=(("reader", choice.voice), ("host", choice.voice)),
            )
            result = await self.pipeline.render(article, path, options)
            data = await asyncio.to_thread(result.paths[0].read_bytes)
        sent = await pressed.reply_audio(
            data,
            caption=caption,
            filename="stimmprobe.mp3",
            title=plain("voice.sample_title", locale),
            duration=max(1, round(result.duration_seconds)),
        )
        if sent.audio is not None:
            await self.jobs.audio_cache.put(
                key,
                CachedAudio(file_id=sent.audio.file_id, file_unique_id=sent.audio.file_unique_id),
            )
