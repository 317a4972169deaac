"""Where chunks end, as a listener hears it: each gTTS request is its own utterance.

A split is a boundary between two chunks inside a paragraph: a boundary where a paragraph
(segment) ends, with its own pause, is not a split, nor is the end of the text. It is "at
punctuation" when the chunk before it ends with a sentence or clause mark
(". ! ? … , ; :", a closing quote or bracket) or the next chunk starts with a dash. A bad
split is one of the patterns heard as a drop in the middle of a phrase: after a preposition,
article or conjunction, between an adjective and its noun, inside a run of capitalised words
(a name), or inside a short quotation. The word lists here are the listener's, kept apart
from the chunker's own so that the measure does not grade the chunker by its own rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from bot.models import Chunk
from bot.pipeline.chunk import SENTENCE_PAUSE_MS
from bot.pipeline.german import word_set

_PUNCTUATION = ".!?…,;:“”\"'»«)]"
_DASHES = ("–", "—", "-")
_FUNCTION_WORDS = word_set(
    """
    der die das den dem des ein eine einen einem einer eines am im ans ins zum zur vom beim
    an in auf aus bei mit nach von zu für über unter vor hinter neben zwischen durch gegen
    ohne um bis seit ab während wegen trotz laut per pro je
    und oder aber sondern denn weil dass ob wenn als wie sowie sowohl noch nicht
    """
)
_ADJECTIVE_ENDINGS = ("e", "en", "er", "es", "em")
_OPEN_QUOTES = "„‚»"
_CLOSE_QUOTES = "“‘«"
SHORT_QUOTATION = 80  # characters: a quotation this short should be heard in one breath


@dataclass(frozen=True)
class BadSplit:
    """A split in the middle of a phrase: which pattern, and the words on either side."""

    pattern: str
    before: str
    after: str


def _bare(token: str) -> str:
    return token.strip("„“‚‘»«\"'()[]")


def _is_capitalised(token: str) -> bool:
    word = _bare(token)
    return bool(word) and word[0].isupper() and not word.isupper()


def _boundaries(chunks: Sequence[Chunk]) -> list[tuple[int, str, str]]:
    """(offset in the joined text, last word before, first word after) of every split."""
    out, offset = [], 0
    for left, right in pairwise(chunks):
        offset += len(left.text)
        if left.pause_after_ms <= SENTENCE_PAUSE_MS and left.text.split() and right.text.split():
            out.append((offset, left.text.split()[-1], right.text.split()[0]))
        offset += 1
    return out


def splits(chunks: Sequence[Chunk]) -> list[tuple[str, str]]:
    """The (last word before, first word after) of every split inside a paragraph."""
    return [(before, after) for _, before, after in _boundaries(chunks)]


def at_punctuation(before: str, after: str) -> bool:
    """Whether a split falls at a sentence or clause mark."""
    return before.endswith(tuple(_PUNCTUATION)) or after in _DASHES or before in _DASHES


def share_at_punctuation(chunks: Sequence[Chunk]) -> float:
    """The share of splits that fall at punctuation (1.0 when there is no split)."""
    pairs = splits(chunks)
    if not pairs:
        return 1.0
    return sum(at_punctuation(b, a) for b, a in pairs) / len(pairs)


def _quotation_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for i, char in enumerate(text):
        if char in _OPEN_QUOTES and start is None:
            start = i
        elif char in _CLOSE_QUOTES and start is not None:
            spans.append((start, i))
            start = None
    return spans


def bad_splits(chunks: Sequence[Chunk]) -> list[BadSplit]:
    """Every split that falls in the middle of a phrase, with the pattern it matches."""
    out = []
    text = " ".join(chunk.text for chunk in chunks)
    quotes = [(a, b) for a, b in _quotation_spans(text) if b - a <= SHORT_QUOTATION]
    for offset, before, after in _boundaries(chunks):
        word = _bare(before)
        if any(a < offset < b for a, b in quotes):
            out.append(BadSplit("inside a short quotation", before, after))
        elif at_punctuation(before, after):
            pass
        elif word.lower() in _FUNCTION_WORDS:
            out.append(BadSplit("after a preposition, article or conjunction", before, after))
        elif _is_capitalised(before) and _is_capitalised(after):
            out.append(BadSplit("inside a run of capitalised words", before, after))
        elif word.islower() and word.endswith(_ADJECTIVE_ENDINGS) and _is_capitalised(after):
            out.append(BadSplit("between an adjective and its noun", before, after))
    return out
