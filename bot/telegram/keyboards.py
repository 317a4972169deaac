"""Inline keyboards and their callback data: settings and "read the first part"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.jobs.api import RenderPrefs
from bot.limits import TEMPO_CHOICES
from bot.telegram.texts import format_number, format_tempo, t
from bot.tts.registry import ENGINE_NAMES

FORMATS: Final = ("audio", "voice")

SETTINGS_PREFIX: Final = "set"
FIRST_PART_PREFIX: Final = "first"
_CHECK: Final = "✓ "


@dataclass(frozen=True)
class SettingChange:
    """One tap on the settings keyboard: which setting, and its new value."""

    name: str
    value: str | float | bool


def settings_text(prefs: RenderPrefs, default_engine: str, locale: str) -> str:
    """The settings message: the current choices spelled out."""
    engine = prefs.engine or default_engine
    return t(
        "settings.title",
        locale,
        engine=t(f"settings.engine.{engine}", locale),
        tempo=format_tempo(prefs.tempo, locale),
        format=t("settings.format." + ("ogg" if prefs.format == "voice" else "mp3"), locale),
        intro=t("settings.intro." + ("on" if prefs.intro else "off"), locale),
    )


def settings_keyboard(prefs: RenderPrefs, default_engine: str, locale: str) -> InlineKeyboardMarkup:
    """Buttons for engine, tempo, format and host intro; the current choice is ticked."""
    engine = prefs.engine or default_engine

    def mark(label: str, chosen: bool) -> str:
        return _CHECK + label if chosen else label

    rows = [
        [
            InlineKeyboardButton(
                mark(t(f"settings.engine.{name}", locale), name == engine),
                callback_data=f"{SETTINGS_PREFIX}:engine:{name}",
            )
            for name in ENGINE_NAMES
        ],
        [
            InlineKeyboardButton(
                mark(format_tempo(tempo, locale), abs(tempo - prefs.tempo) < 1e-6),
                callback_data=f"{SETTINGS_PREFIX}:tempo:{tempo:g}",
            )
            for tempo in TEMPO_CHOICES
        ],
        [
            InlineKeyboardButton(
                mark(
                    t("settings.format." + ("ogg" if f == "voice" else "mp3"), locale),
                    f == prefs.format,
                ),
                callback_data=f"{SETTINGS_PREFIX}:format:{f}",
            )
            for f in FORMATS
        ],
        [
            InlineKeyboardButton(
                t("settings.button.intro_" + ("on" if prefs.intro else "off"), locale),
                callback_data=f"{SETTINGS_PREFIX}:intro:{0 if prefs.intro else 1}",
            )
        ],
    ]
    return InlineKeyboardMarkup(rows)


def parse_setting(data: str) -> SettingChange | None:
    """The change a settings button stands for, or None for stale or foreign data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != SETTINGS_PREFIX:
        return None
    _, name, raw = parts
    if name == "engine" and raw in ENGINE_NAMES:
        return SettingChange(name, raw)
    if name == "tempo":
        try:
            tempo = float(raw)
        except ValueError:
            return None
        return SettingChange(name, tempo) if tempo in TEMPO_CHOICES else None
    if name == "format" and raw in FORMATS:
        return SettingChange(name, raw)
    if name == "intro" and raw in ("0", "1"):
        return SettingChange(name, raw == "1")
    return None


def first_part_keyboard(words: int, locale: str) -> InlineKeyboardMarkup:
    """The offer under a "too long" message: read only the first `words` words."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("too_long.button", locale, words=format_number(words, locale)),
                    callback_data=f"{FIRST_PART_PREFIX}:{words}",
                )
            ]
        ]
    )


def parse_first_part(data: str) -> int | None:
    """The word count of a "read the first part" button, or None."""
    prefix, _, raw = data.partition(":")
    if prefix != FIRST_PART_PREFIX or not raw.isdigit():
        return None
    return int(raw)
