"""Pronunciation lexicon: words mapped to how an engine should say them.

Built-in entries live in `lexicon_de.txt` next to this module; the operator adds or overrides
entries in `<data_dir>/lexicon.txt`. Both use one entry per line, `word = spoken form`, with
`#` starting a comment. Matching is case-sensitive and whole-word: an entry never matches
inside a longer word ("SpaceX" does not touch "SpaceXplorer"), but does match as part of a
hyphenated compound ("SpaceX-Rakete"), and with a genitive or plural "s" ("Musks" → "Masks",
"Musk's" too), so that one word keeps one pronunciation through an article. An entry whose
word is in double quotes (`"Mars" = …`) matches only exactly as written. The lexicon is applied
before `normalize`, so spoken forms should be plain words; longer entries win over shorter
ones that start at the same place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

# A genitive or plural "s" after an entry ("Musks", "Musk's"): the spoken form gets an "s".
_INFLECTION: Final = "(?:['’]?s)?"

BUILTIN_PATH: Final = Path(__file__).with_name("lexicon_de.txt")
OPERATOR_FILE: Final = "lexicon.txt"


def parse_entries(lines: Iterable[str], *, source: str = "<lexicon>") -> dict[str, str]:
    """Parse `word = spoken form` lines; blank lines and `#` comments are skipped."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, sep, spoken = line.partition("=")
        word, spoken = word.strip(), " ".join(spoken.split())
        if not sep or not word or not spoken:
            logger.warning("%s:%d: not a `word = spoken form` line, skipped", source, number)
            continue
        entries[word] = spoken
    return entries


class Lexicon:
    """Words and how to say them, applied in one pass of one compiled regex."""

    def __init__(self, entries: Mapping[str, str] | None = None) -> None:
        self._entries: dict[str, str] = dict(entries or {})
        self._pattern: re.Pattern[str] | None = None
        # Unquoted words also match with an "s" after them; quoted ones only as written.
        self._spoken: dict[str, str] = {}
        pieces = []
        for written, spoken in self._entries.items():
            exact = len(written) > 2 and written[0] == written[-1] == '"'
            word = written[1:-1] if exact else written
            self._spoken[word] = spoken
            pieces.append((word, re.escape(word) + ("" if exact else _INFLECTION)))
        if pieces:
            pieces.sort(key=lambda p: (-len(p[0]), p[0]))
            alternation = "|".join(piece for _, piece in pieces)
            self._pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")

    @property
    def entries(self) -> dict[str, str]:
        """A copy of the entries."""
        return dict(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, word: object) -> bool:
        return word in self._entries

    def merged(self, other: Mapping[str, str] | Lexicon) -> Lexicon:
        """A new lexicon with `other`'s entries added (they win on conflicts)."""
        extra = other.entries if isinstance(other, Lexicon) else dict(other)
        return Lexicon({**self._entries, **extra})

    def apply(self, text: str) -> str:
        """Replace every whole-word occurrence of an entry by its spoken form."""
        if self._pattern is None:
            return text
        return self._pattern.sub(self._say, text)

    def _say(self, match: re.Match[str]) -> str:
        word = match.group(0)
        spoken = self._spoken.get(word)
        if spoken is not None:
            return spoken
        return self._spoken[word[:-1].rstrip("'’")] + "s"

    @classmethod
    def from_file(cls, path: Path) -> Lexicon:
        """Read a lexicon file (UTF-8, `word = spoken form` lines)."""
        with path.open(encoding="utf-8") as handle:
            return cls(parse_entries(handle, source=str(path)))

    @classmethod
    def builtin(cls) -> Lexicon:
        """The entries shipped with Hörclub."""
        return _builtin()


@cache
def _builtin() -> Lexicon:
    return Lexicon.from_file(BUILTIN_PATH)


def load_lexicon(data_dir: Path) -> Lexicon:
    """The built-in entries plus the operator's `<data_dir>/lexicon.txt`, if present."""
    lexicon = Lexicon.builtin()
    path = data_dir / OPERATOR_FILE
    if path.is_file():
        try:
            operator = Lexicon.from_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("cannot read lexicon %s: %s", path, exc)
        else:
            logger.info("lexicon: %d operator entries from %s", len(operator), path)
            lexicon = lexicon.merged(operator)
    return lexicon
