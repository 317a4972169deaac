"""Message texts: locale templates filled with HTML-escaped values, durations and captions."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from bot.errors import HoerclubError
from bot.locales import DEFAULT_LOCALE, pick_locale, template
from bot.models import Article

# Telegram's limits, counted after entity parsing (Bot API docs: sendMessage, sendAudio).
MESSAGE_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
# Longest title shown in a status line; the caption may carry more.
STATUS_TITLE_CHARS: Final = 120
# A link named in an error or a status line: host and path, about one line on a phone.
LINK_LABEL_CHARS: Final = 48

_TAG: Final = re.compile(r"<[^>]+>")


class Html(str):
    """Text that is already HTML and is inserted into a template as it is."""

    __slots__ = ()


def t(key: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """The message for a key in a locale, every parameter HTML-escaped unless it is `Html`."""
    safe = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
        for name, value in params.items()
    }
    return template(key, locale).format_map(safe)


def t_count(key: str, count: int, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """`key.one` for a count of one, `key.other` otherwise (German and English need no more)."""
    return t(f"{key}.{'one' if count == 1 else 'other'}", locale, **params)


def plain(key: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """The message as plain text (for callback answers, which know no HTML)."""
    return html.unescape(_TAG.sub("", t(key, locale, **params)))


def locale_of(language_code: str | None) -> str:
    """The locale for a Telegram user's language code."""
    return pick_locale(language_code)


def visible_length(html_text: str) -> int:
    """Characters Telegram counts after parsing the HTML entities (UTF-16 code units)."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """The text cut at a word boundary to at most `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:–-") + "…"


def format_duration(seconds: float, locale: str = DEFAULT_LOCALE) -> str:
    """A listening time as people say it: "45 Sek.", "12 Min.", "1 Std. 5 Min."."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return t("duration.seconds", locale, seconds=max(1, round(seconds)))
    minutes = math.floor(seconds / 60 + 0.5)  # the nearest minute: 3:03 is "3 Min."
    if minutes < 60:
        return t("duration.minutes", locale, minutes=minutes)
    return t("duration.hours", locale, hours=minutes // 60, minutes=minutes % 60)


def format_date(value: dt.date | str | None, locale: str = DEFAULT_LOCALE) -> str | None:
    """A date as "24.11.2025" (German) or "2025-11-24" (English)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value
    return day.strftime("%d.%m.%Y") if locale == "de" else day.isoformat()


def format_number(value: int, locale: str = DEFAULT_LOCALE) -> str:
    """A whole number with thousands separators: "12.000" (German) or "12,000"."""
    text = f"{value:,}"
    return text.replace(",", ".") if locale == "de" else text


def format_tempo(tempo: float, locale: str = DEFAULT_LOCALE) -> str:
    """A tempo as "1,25×" (German decimal comma) or "1.25×"."""
    text = f"{tempo:.2f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return (text.replace(".", ",") if locale == "de" else text) + "×"


@dataclass(frozen=True)
class AudioMeta:
    """What a caption and the audio's tags say about the article."""

    title: str
    url: str | None = None
    site: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the rendered result."""
        return {
            "title": self.title,
            "url": self.url,
            "site": self.site,
            "author": self.author,
            "date": self.date,
        }

    @classmethod
    def from_article(cls, article: Article) -> AudioMeta:
        """What an article's caption and tags say."""
        return cls(
            title=article.title,
            url=article.url,
            site=article.site,
            author=article.author,
            date=article.date.isoformat() if article.date else None,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AudioMeta:
        """Rebuild from `to_dict`."""
        return cls(
            title=str(data.get("title") or ""),
            url=data.get("url"),
            site=data.get("site"),
            author=data.get("author"),
            date=data.get("date"),
        )


@dataclass(frozen=True)
class CaptionNotes:
    """What a caption tells beside the article's facts: which audio it is and its caveats."""

    fell_back: bool = False  # spoken by another voice of the chain because the engine was busy
    spoken_by: str | None = None  # with fell_back: the engine that stepped in
    truncated_words: int | None = None  # only the first N words were read
    paywalled: bool = False  # the page showed a paywall after the free text
    variant: str = "full"  # "full", "summary" or "talk"
    full_seconds: float | None = None  # a summary: the full article's listening time
    summary_method: str | None = None  # a summary: "llm" or "extractive"
    summary_fell_back: bool = False  # the model was asked for explicitly and failed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with a render and with a cached upload."""
        return {
            "fell_back": self.fell_back,
            "spoken_by": self.spoken_by,
            "truncated_words": self.truncated_words,
            "paywalled": self.paywalled,
            "variant": self.variant,
            "full_seconds": self.full_seconds,
            "summary_method": self.summary_method,
            "summary_fell_back": self.summary_fell_back,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaptionNotes:
        """Rebuild from `to_dict` (missing keys, as in data stored before they existed, default)."""
        truncated = data.get("truncated_words")
        full = data.get("full_seconds")
        method = data.get("summary_method")
        return cls(
            fell_back=bool(data.get("fell_back")),
            spoken_by=str(data["spoken_by"]) if data.get("spoken_by") else None,
            truncated_words=int(truncated) if truncated is not None else None,
            paywalled=bool(data.get("paywalled")),
            variant=str(data.get("variant") or "full"),
            full_seconds=float(full) if full is not None else None,
            summary_method=str(method) if method else None,
            summary_fell_back=bool(data.get("summary_fell_back")),
        )


def build_caption(
    meta: AudioMeta,
    duration_seconds: float,
    locale: str = DEFAULT_LOCALE,
    *,
    part: int = 1,
    parts: int = 1,
    notes: CaptionNotes | None = None,
    limit: int = CAPTION_LIMIT,
) -> str:
    """The audio's HTML caption: linked title, site · author · date, listening time, notes.

    It stays within Telegram's caption limit by shortening the title and then the author.
    """
    notes = notes or CaptionNotes()
    title_chars = 300
    author_chars = 120
    while True:
        title = html.escape(shorten(meta.title or t("audio.untitled", locale), title_chars))
        if meta.url and meta.url.lower().startswith(("http://", "https://")):
            first = f'<a href="{html.escape(meta.url, quote=True)}">{title}</a>'
        else:
            first = f"<b>{title}</b>"
        facts = [
            shorten(meta.site, 80) if meta.site else None,
            shorten(meta.author, author_chars) if meta.author else None,
            format_date(meta.date, locale),
        ]
        second = " · ".join(html.escape(f) for f in facts if f)
        third = t(
            "caption.listening_time", locale, duration=format_duration(duration_seconds, locale)
        )
        if parts > 1:
            third += " · " + t("caption.part", locale, part=part, parts=parts)
        lines = [first, second, third] if second else [first, third]
        lines.extend(_note_lines(notes, locale))
        caption = "\n".join(lines)
        if visible_length(caption) <= limit or title_chars <= 10:
            return caption
        if author_chars > 20:
            author_chars = max(20, author_chars // 2)
        title_chars = max(10, title_chars - (visible_length(caption) - limit) - 1)


def _note_lines(notes: CaptionNotes, locale: str) -> list[str]:
    """The caption's lines after the listening time, most telling first."""
    lines: list[str] = []
    if notes.variant == "summary":
        if notes.full_seconds:
            full = format_duration(notes.full_seconds, locale)
            lines.append(t("caption.summary_of", locale, duration=full))
        else:
            lines.append(t("caption.summary", locale))
        if notes.summary_fell_back:
            lines.append(t("caption.summary_fallback", locale))
    elif notes.variant == "talk":
        lines.append(t("caption.talk", locale))
    if notes.truncated_words:
        lines.append(
            t("caption.truncated", locale, words=format_number(notes.truncated_words, locale))
        )
    if notes.paywalled:
        lines.append(t("note.paywalled", locale))
    if notes.fell_back and notes.spoken_by not in (None, "espeak"):
        voice = t(f"settings.engine.{notes.spoken_by}", locale)
        lines.append(t("caption.fallback_engine", locale, voice=voice))
    elif notes.fell_back:
        lines.append(t("caption.fallback", locale))
    return lines


def error_text(
    error: HoerclubError | str,
    locale: str = DEFAULT_LOCALE,
    params: Mapping[str, object] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> str:
    """The German (or English) message for an error or an error key."""
    key = error if isinstance(error, str) else error.key
    merged: dict[str, object] = dict(defaults or {})
    merged.update(params or ({} if isinstance(error, str) else error.params))
    try:
        text = t(key, locale, **merged)
    except KeyError:
        text = t("error.unexpected", locale)
    return text


def status_title(title: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """A title short enough for a status line."""
    return shorten(title or t("audio.untitled", locale), STATUS_TITLE_CHARS)


def link_label(url: str, limit: int = LINK_LABEL_CHARS) -> str:
    """A link as people recognise it: host (without "www.") and path, shortened in the middle.

    "https://www.example.org/politik/2024/lange-ueberschrift.html" → "example.org/…/lange-ue…".
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return shorten(url, limit)
    path = parts.path.rstrip("/")
    label = host + path
    if len(label) <= limit:
        return label or shorten(url, limit)
    last = path.rsplit("/", 1)[-1]
    room = limit - len(host) - len("/…/")
    if room < 8:
        return label[: limit - 1] + "…"
    if len(last) > room:
        last = last[: room - 1] + "…"
    return f"{host}/…/{last}"


def link_line(url: str) -> Html:
    """ "🔗 example.org/artikel" linking to the whole address (the last line of an error)."""
    href = html.escape(url, quote=True)
    return Html(f'🔗 <a href="{href}">{html.escape(link_label(url), quote=False)}</a>')


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text in pieces of at most `limit` characters, cut between paragraphs if possible,
    else between words."""
    pieces: list[str] = []
    current = ""
    for whole in text.split("\n\n"):
        paragraph = whole
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            head, paragraph = paragraph[:cut].rstrip(), paragraph[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = paragraph
    if current:
        pieces.append(current)
    return pieces
