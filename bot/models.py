"""The data that flows between the stages: frozen, plain, Telegram-free."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final, Literal

# Chinese and Japanese are written without spaces; two characters make about one word (the
# average length of a Chinese word), which keeps listening-time estimates and limits honest.
CHARS_PER_SPACELESS_WORD: Final = 2


# Hiragana, katakana, CJK ideographs (and their extensions and compatibility forms).
_SPACELESS: Final = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def spaceless_chars(text: str) -> int:
    """Characters of scripts written without spaces (Chinese, Japanese) in `text`."""
    return len(_SPACELESS.findall(text))


def count_words(text: str) -> int:
    """Words in `text`; in scripts without spaces, characters count (two per word)."""
    if not _SPACELESS.search(text):
        return len(text.split())
    words = sum(1 for token in text.split() if not _SPACELESS.search(token))
    return words + -(-spaceless_chars(text) // CHARS_PER_SPACELESS_WORD)


@dataclass(frozen=True)
class Page:
    """A fetched page: what the server sent, after redirects and decompression."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    charset: str | None = None
    content_type: str = "text/html"
    # The status of each redirect hop followed (301, 302, ...): a feed moves only on 301/308.
    redirects: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The body decoded with the detected charset."""
        return self.content.decode(self.charset or "utf-8", errors="replace")


class BlockKind(StrEnum):
    """What a block of article text is, which decides how it is read."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    QUOTE = "quote"
    LIST_ITEM = "list_item"


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of the article."""

    kind: BlockKind
    text: str


@dataclass(frozen=True)
class Article:
    """The article as a listener should hear it, plus its metadata."""

    title: str
    blocks: tuple[Block, ...]
    lead: str | None = None
    site: str | None = None
    author: str | None = None
    date: dt.date | None = None
    language: str = "de"
    url: str | None = None
    image: str | None = None
    description: str | None = None
    # The page shows a paywall after this text: it is read, and the listener is told.
    paywalled: bool = False
    # Set on a summary: the word count of the full article it shortens.
    summary_of_words: int | None = None

    def paragraphs(self) -> list[str]:
        """Headline, lead and blocks, each a paragraph of its own."""
        out = [self.title] if self.title else []
        if self.lead:
            out.append(self.lead)
        out.extend(block.text for block in self.blocks)
        return out

    @property
    def text(self) -> str:
        """The clean text, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs())

    @property
    def words(self) -> int:
        """Number of words in the clean text (characters count in Chinese and Japanese)."""
        return count_words(self.text)


Role = Literal["host", "reader", "quote", "guest"]
# Every role, in the order an engine names voices for them.
ROLES: Final[tuple[Role, ...]] = ("host", "reader", "quote", "guest")


@dataclass(frozen=True)
class Segment:
    """A piece of the script: who says it, what is said, and the pause after it."""

    role: Role
    text: str
    pause_after_ms: int = 0
    chapter: str | None = None  # a heading starts a chapter with this title


@dataclass(frozen=True)
class Script:
    """The ordered segments of one "room": host intro, the article, host outro."""

    segments: tuple[Segment, ...]
    language: str = "de"


@dataclass(frozen=True)
class Chunk:
    """One request to the engine: spoken text plus where it sits in the script."""

    text: str
    segment_index: int
    pause_after_ms: int = 0
    chapter: str | None = None
    role: Role = "reader"  # whose voice speaks it


@dataclass(frozen=True)
class WordTiming:
    """One spoken word as the engine reports it: where it starts in its clip, how long (s)."""

    text: str
    start: float
    duration: float


@dataclass(frozen=True)
class Clip:
    """Audio for one chunk, as the engine produced it."""

    data: bytes
    format: Literal["mp3", "wav"]
    sample_rate: int
    pause_after_ms: int = 0
    chapter: str | None = None
    # Word boundaries from engines that report them (edge-tts), in the clip's own time.
    words: tuple[WordTiming, ...] = ()


@dataclass(frozen=True)
class AudioResult:
    """The finished audio file(s) and what is known about them."""

    paths: tuple[Path, ...]
    format: Literal["mp3", "ogg"]
    duration_seconds: float
    engine: str
    voice: str
    fell_back: bool = False
    part_durations: tuple[float, ...] = field(default_factory=tuple)
    # Every engine that spoke, in order (more than one when a fallback stepped in mid-article).
    engines: tuple[str, ...] = ()
    subtitles: Path | None = None  # the WebVTT file beside the audio, when asked for
    # Each part's chapters (title, start s within the part), as the files' tags carry them.
    part_chapters: tuple[tuple[tuple[str, float], ...], ...] = ()

    @property
    def path(self) -> Path:
        """The first (usually only) file."""
        return self.paths[0]
