"""Inline keyboards and their callback data: settings, "read the first part", and the other
versions of an article (whole, short, conversation) under an audio or a failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.jobs.api import SUMMARY_BY, RenderPrefs, Variant
from bot.limits import TEMPO_CHOICES, tempo_step
from bot.telegram.texts import Html, format_number, format_tempo, t
from bot.telegram.voices import voice_data
from bot.tts.registry import ENGINE_NAMES

FORMATS: Final = ("audio", "voice")
# Three tempo buttons a row keep "1,75×" readable on a phone.
TEMPOS_PER_ROW: Final = 3

SETTINGS_PREFIX: Final = "set"
FIRST_PART_PREFIX: Final = "first"
VARIANT_PREFIX: Final = "alt"
ACTION_PREFIX: Final = "do"
# Telegram refuses callback_data over 64 bytes (Bot API: InlineKeyboardButton).
CALLBACK_DATA_BYTES: Final = 64
# One letter per variant keeps "alt:s:<job id>" at most 25 bytes even for a 64-bit id.
VARIANT_CODES: Final[dict[Variant, str]] = {"full": "f", "summary": "s", "talk": "t"}
_CODE_VARIANTS: Final[dict[str, Variant]] = {code: v for v, code in VARIANT_CODES.items()}
# Job ids are positive 64-bit integers (BIGINT); more digits is a forgery.
_MAX_JOB_ID_DIGITS: Final = 19
_CHECK: Final = "✓ "
# The buttons under each kind of audio, in their order.
_OTHER_VARIANTS: Final[dict[Variant, tuple[Variant, ...]]] = {
    "full": ("summary", "talk"),
    "summary": ("full", "talk"),
    "talk": ("full", "summary"),
}


# What a button under an audio does with that audio's article.
# "resend" is offered under a delivery that was cut off (whether it arrived is unknown).
Action = Literal["again", "faster", "slower", "voice", "audio", "text", "later", "resend"]
# One letter per action keeps "do:r:<job id>" at most 24 bytes.
ACTION_CODES: Final[dict[Action, str]] = {
    "again": "r",
    "faster": "f",
    "slower": "s",
    "voice": "v",
    "audio": "a",
    "text": "t",
    "later": "l",
    "resend": "n",
}
_CODE_ACTIONS: Final[dict[str, Action]] = {code: a for a, code in ACTION_CODES.items()}


@dataclass(frozen=True)
class ActionRequest:
    """One tap on a button under an audio: what to do, and the job whose audio it is under."""

    action: Action
    job_id: int


@dataclass(frozen=True)
class VariantRequest:
    """One tap on a "Kurzfassung", "Ganzer Artikel" or "Raumgespräch" button."""

    variant: Variant
    job_id: int  # the job whose audio (or failure) the button is under


@dataclass(frozen=True)
class SettingChange:
    """One tap on the settings keyboard: which setting, and its new value."""

    name: str
    value: str | float | bool


def settings_text(
    prefs: RenderPrefs, default_engine: str, locale: str, *, llm: bool = False, group: bool = False
) -> str:
    """The settings message: the current choices spelled out (the summary method with a model).

    In a group they are the group's, and the message says who may change them.
    """
    engine = prefs.engine or default_engine
    summary_by = ""
    if llm:
        method = t(f"settings.summary_by.{prefs.summary_by}", locale)
        summary_by = "\n" + t("settings.summary_by_line", locale, method=method)
    return t(
        "settings.title",
        locale,
        engine=t(f"settings.engine.{engine}", locale),
        tempo=format_tempo(prefs.tempo, locale),
        format=t("settings.format." + ("ogg" if prefs.format == "voice" else "mp3"), locale),
        intro=t("settings.intro." + ("on" if prefs.intro else "off"), locale),
        summary_first=t("settings.intro." + ("on" if prefs.summary_first else "off"), locale),
        summary_by=Html(summary_by),
        heading=Html(t("settings.heading." + ("group" if group else "private"), locale)),
        footer=Html(t("settings.footer." + ("group" if group else "private"), locale)),
    )


def settings_keyboard(
    prefs: RenderPrefs, default_engine: str, locale: str, *, llm: bool = False
) -> InlineKeyboardMarkup:
    """Buttons for engine, tempo, format, host intro and summaries; the choice is ticked.

    How summaries are made is only offered when a language model is configured.
    """
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
        [InlineKeyboardButton(t("voice.settings_row", locale), callback_data=voice_data("menu"))],
        *[
            [
                InlineKeyboardButton(
                    mark(format_tempo(tempo, locale), abs(tempo - prefs.tempo) < 1e-6),
                    callback_data=f"{SETTINGS_PREFIX}:tempo:{tempo:g}",
                )
                for tempo in TEMPO_CHOICES[row : row + TEMPOS_PER_ROW]
            ]
            for row in range(0, len(TEMPO_CHOICES), TEMPOS_PER_ROW)
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
        [
            InlineKeyboardButton(
                t(
                    "settings.button.summary_first_" + ("on" if prefs.summary_first else "off"),
                    locale,
                ),
                callback_data=f"{SETTINGS_PREFIX}:summary_first:{0 if prefs.summary_first else 1}",
            )
        ],
    ]
    if llm:
        rows.append(
            [
                InlineKeyboardButton(
                    mark(t(f"settings.summary_by.{by}", locale), by == prefs.summary_by),
                    callback_data=f"{SETTINGS_PREFIX}:summary_by:{by}",
                )
                for by in SUMMARY_BY
            ]
        )
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
    if name in ("intro", "summary_first") and raw in ("0", "1"):
        return SettingChange(name, raw == "1")
    if name == "summary_by" and raw in SUMMARY_BY:
        return SettingChange(name, raw)
    return None


@dataclass(frozen=True)
class FirstPartOffer:
    """One tap on "read the first N words": N and the job whose article was too long."""

    words: int
    job_id: int | None  # None on buttons from before the job was named


def first_part_button(words: int, locale: str, job_id: int | None = None) -> InlineKeyboardButton:
    """ "Read the first `words` words" (under a "too long" message of job `job_id`)."""
    data = f"{FIRST_PART_PREFIX}:{words}" + (f":{job_id}" if job_id is not None else "")
    return InlineKeyboardButton(
        t("too_long.button", locale, words=format_number(words, locale)), callback_data=data
    )


def first_part_keyboard(words: int, locale: str) -> InlineKeyboardMarkup:
    """The offer under a "too long" message: read only the first `words` words."""
    return InlineKeyboardMarkup([[first_part_button(words, locale)]])


def variant_data(variant: Variant, job_id: int) -> str:
    """The callback data of a variant button: which version, under which job's message."""
    data = f"{VARIANT_PREFIX}:{VARIANT_CODES[variant]}:{job_id}"
    if len(data.encode()) > CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: {data!r}")
    return data


def variant_button(variant: Variant, job_id: int, locale: str) -> InlineKeyboardButton:
    """ "🎧 Kurzfassung", "▶️ Ganzer Artikel" or "🎙 Raumgespräch" for the job's article."""
    return InlineKeyboardButton(
        t(f"button.{variant}", locale), callback_data=variant_data(variant, job_id)
    )


def audio_keyboard(
    job_id: int,
    variant: Variant,
    locale: str,
    *,
    llm: bool,
    fell_back: bool = False,
    tempo: float = 1.0,
    fmt: str = "audio",
) -> InlineKeyboardMarkup:
    """The buttons under an audio: the other versions (the conversation only with a model),
    make it again, faster or slower, as the other kind of message, its text, and "later".

    Under an audio the offline voice spoke for a busy engine, "again" offers the better voice.
    """
    others = [v for v in _OTHER_VARIANTS[variant] if llm or v != "talk"]
    again = t("action.better_voice" if fell_back else "action.again", locale)
    remake = [action_button("again", job_id, locale, again)]
    if tempo_step(tempo, -1) is not None:
        remake.append(action_button("slower", job_id, locale))
    if tempo_step(tempo, +1) is not None:
        remake.append(action_button("faster", job_id, locale))
    other_kind: Action = "audio" if fmt == "voice" else "voice"
    rows = [
        [variant_button(v, job_id, locale) for v in others],
        remake,
        [action_button(other_kind, job_id, locale), action_button("text", job_id, locale)],
        [action_button("later", job_id, locale)],
    ]
    return InlineKeyboardMarkup(rows)


def too_long_keyboard(words: int, job_id: int, locale: str) -> InlineKeyboardMarkup:
    """The offers under a "too long" message: the first `words` words, or the short version."""
    return InlineKeyboardMarkup(
        [[first_part_button(words, locale, job_id)], [variant_button("summary", job_id, locale)]]
    )


def resend_keyboard(job_id: int, locale: str) -> InlineKeyboardMarkup:
    """The offer under a delivery that was cut off: "🔁 Nochmal senden" (it holds once)."""
    return InlineKeyboardMarkup([[action_button("resend", job_id, locale)]])


def summary_keyboard(job_id: int, locale: str) -> InlineKeyboardMarkup:
    """The short version offered where the conversation failed."""
    return InlineKeyboardMarkup([[variant_button("summary", job_id, locale)]])


def parse_variant(data: str) -> VariantRequest | None:
    """The version and job a variant button stands for, or None for malformed data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != VARIANT_PREFIX:
        return None
    variant = _CODE_VARIANTS.get(parts[1])
    job_id = _job_id(parts[2])
    if variant is None or job_id is None:
        return None
    return VariantRequest(variant, job_id)


def _job_id(raw: str) -> int | None:
    """A job id from callback data: ASCII digits of a positive 64-bit integer, else None."""
    if not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) > _MAX_JOB_ID_DIGITS or int(raw) < 1:
        return None
    return int(raw)


def action_data(action: Action, job_id: int) -> str:
    """The callback data of an action button under a job's audio."""
    data = f"{ACTION_PREFIX}:{ACTION_CODES[action]}:{job_id}"
    if len(data.encode()) > CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {CALLBACK_DATA_BYTES} bytes: {data!r}")
    return data


def action_button(
    action: Action, job_id: int, locale: str, label: str | None = None
) -> InlineKeyboardButton:
    """One action button ("🔁 Neu erstellen", "⏩ Schneller", …) for a job's audio."""
    return InlineKeyboardButton(
        label or t(f"action.{action}", locale), callback_data=action_data(action, job_id)
    )


def parse_action(data: str) -> ActionRequest | None:
    """The action and job an action button stands for, or None for malformed data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != ACTION_PREFIX:
        return None
    action = _CODE_ACTIONS.get(parts[1])
    job_id = _job_id(parts[2])
    if action is None or job_id is None:
        return None
    return ActionRequest(action, job_id)


def parse_first_part(data: str) -> FirstPartOffer | None:
    """The word count (and job) of a "read the first part" button, or None."""
    parts = data.split(":")
    if len(parts) not in (2, 3) or parts[0] != FIRST_PART_PREFIX:
        return None
    raw = parts[1]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        return None
    if len(parts) == 2:
        return FirstPartOffer(int(raw), None)
    job_id = _job_id(parts[2])
    return FirstPartOffer(int(raw), job_id) if job_id is not None else None
