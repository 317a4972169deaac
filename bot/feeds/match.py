"""Topic filters: which feed entries a subscription wants, by whole words in title or teaser.

Matching is case-insensitive and spelling-tolerant the way German is typed: ä/ae, ö/oe, ü/ue
and ß/ss are the same letters (and other accents are dropped). Several words mean all of them;
a word ending in `*` also matches longer words (`Klima*` finds "Klimapolitik"); alternatives are
separated by `|` (a club's filter: `Klima* | Erderwärmung`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_WORD: Final = re.compile(r"[\w*]+")


def fold(text: str) -> str:
    """`text` lower-cased, umlauts spelt out, ß as ss, other accents dropped."""
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class TopicFilter:
    """Alternatives, each a set of words that must all occur; no alternatives matches anything."""

    alternatives: tuple[tuple[str, ...], ...] = ()

    @property
    def text(self) -> str:
        """The filter as the user or the catalogue wrote it (folded): `parse_filter`'s inverse."""
        return " | ".join(" ".join(words) for words in self.alternatives)

    def __bool__(self) -> bool:
        return bool(self.alternatives)

    def matches(self, text: str) -> bool:
        """Whether folded `text` contains every word of at least one alternative."""
        if not self.alternatives:
            return True
        folded = fold(text)
        return any(
            all(_pattern(word).search(folded) for word in words) for words in self.alternatives
        )

    def matches_entry(self, title: str, summary: str) -> bool:
        """Whether an entry's title or teaser match (the words may be spread over both)."""
        return self.matches(f"{title}\n{summary}")


def parse_filter(text: str) -> TopicFilter:
    """A filter from words (all must occur), `*` for prefixes and `|` between alternatives."""
    alternatives = []
    for part in text.split("|"):
        words = tuple(dict.fromkeys(w for w in _WORD.findall(fold(part)) if w.strip("*")))
        if words:
            alternatives.append(words)
    return TopicFilter(tuple(dict.fromkeys(alternatives)))


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    """A whole-word pattern for a folded word; a trailing `*` allows more letters after it."""
    prefix = word.endswith("*")
    core = re.escape(word.strip("*"))
    return re.compile(rf"(?<!\w){core}" + (r"" if prefix else r"(?!\w)"))
