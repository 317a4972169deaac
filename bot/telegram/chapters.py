"""The chapter list in an audio's caption: "1:23 Abschnitt" lines Telegram makes seek links of.

Telegram's player shows no ID3 chapters, but a timestamp in an audio's caption jumps there
when tapped. The list is the part's own chapters (as its tags carry them, from the part's
start) and always fits the caption limit: titles are shortened first, then the tail is dropped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bot.telegram.texts import CAPTION_LIMIT, shorten, t, visible_length

Chapters = tuple[tuple[str, float], ...]

# A list of one chapter (the title from 0:00) tells nothing: an article needs sections.
MIN_CHAPTERS: Final = 2
# Title lengths tried in turn: 70 is a long heading on one phone line; 20 still names it.
CHAPTER_TITLE_CHARS: Final = (70, 48, 32, 20)
_MORE: Final = "…"


def timestamp(seconds: float) -> str:
    """ "1:23" or "1:02:03": the form Telegram links in a caption (rounded down, so the jump
    lands at the chapter's first word and never after it)."""
    # To the millisecond first, as the chapter tags store it: 62.9996 s is the tags' 1:03.
    whole = max(0, math.floor(round(seconds * 1000) / 1000))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def with_chapters(
    caption: str, chapters: Sequence[tuple[str, float]], locale: str, limit: int = CAPTION_LIMIT
) -> str:
    """The caption with the chapter list below it, within `limit` visible characters."""
    if len(chapters) < MIN_CHAPTERS:
        return caption
    head = caption + "\n\n" + t("caption.chapters", locale)
    lines: list[str] = []
    for chars in CHAPTER_TITLE_CHARS:
        lines = [
            f"{timestamp(at)} {html.escape(shorten(title, chars), quote=False)}"
            for title, at in chapters
        ]
        if visible_length(head + "\n" + "\n".join(lines)) <= limit:
            return head + "\n" + "\n".join(lines)
    kept: list[str] = []
    for line in lines:
        if visible_length(head + "\n" + "\n".join([*kept, line, _MORE])) > limit:
            break
        kept.append(line)
    if len(kept) < MIN_CHAPTERS - 1:
        return caption
    return head + "\n" + "\n".join([*kept, _MORE])


def chapters_to_json(chapters: Sequence[tuple[str, float]]) -> list[list[Any]]:
    """JSON-ready form of a chapter list."""
    return [[title, at] for title, at in chapters]


def chapters_from_json(data: Any) -> Chapters:
    """A chapter list from its JSON form; anything unreadable is no chapters."""
    if not isinstance(data, list):
        return ()
    out: list[tuple[str, float]] = []
    for item in data:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            try:
                out.append((str(item[0]), float(item[1])))
            except (TypeError, ValueError):
                return ()
    return tuple(out)


def part_chapters_from(data: Mapping[str, Any]) -> tuple[Chapters, ...]:
    """Each part's chapters as stored with a render (none before they were stored)."""
    raw = data.get("part_chapters")
    if not isinstance(raw, list):
        return ()
    return tuple(chapters_from_json(part) for part in raw)
