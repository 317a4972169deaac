"""Chunking of text into engine-sized requests, at German sentence boundaries.

Where a sentence ends is `bot.pipeline.sentences`' business (ordinals, dates, abbreviations
and initials never end one).

`chunk_text` chooses its cut points with a small dynamic programme over the words of the
text: first as few chunks as the limit allows (plus a tuned allowance), then the best cut
points among those: a sentence end before a clause mark (";", ":", ","), before a
conjunction ("und", "weil", "dass" …), before a plain word. A cut right after an ordinal,
an abbreviation or an initial is never taken unless nothing else fits. A single word longer
than the limit is split hard (after a hyphen or slash where possible).

`chunk_script` chunks a Script segment by segment, since each segment ends with its own
pause. With `pack_segments` (gTTS, whose 100 characters leave each paragraph's last chunk
part-filled) a chunk may run on from one body segment into the next after a sentence end,
where that saves requests: the segment end is then the best cut in the same programme, and
the paragraph pause crossed becomes the engine's own pause at the end of a sentence.

Invariant: joining the chunks with single spaces gives the input with its whitespace
collapsed, except inside a word that had to be split hard (there the pieces join without a
space).
"""

from __future__ import annotations

import logging
import unicodedata
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Final

from bot.models import Chunk, Script, Segment
from bot.pipeline.german import word_set
from bot.pipeline.sentences import (
    CLOSERS,
    ends_sentence,
    is_bare,
    split_sentences,
    strip_openers,
    token_core,
    token_paragraphs,
)

__all__ = ["SENTENCE_PAUSE_MS", "chunk_script", "chunk_text", "split_sentences"]

logger = logging.getLogger(__name__)

# Pause after a chunk that ends a sentence inside a segment; the assembler inserts it.
# 250 ms is the short sentence pause of radio news reading (between 200 and 300 ms).
SENTENCE_PAUSE_MS: Final = 250

_DASHES: Final = frozenset({"-", "–", "—", "−"})


_CONJUNCTIONS: Final = word_set(
    """
    und oder aber sondern denn weil dass da doch jedoch sowie sowohl während obwohl obgleich
    wenn als ob damit sodass nachdem bevor seit seitdem falls bis indem wobei weshalb
    weswegen wie wo woraufhin allerdings trotzdem deshalb
    """
)
# Words after which a cut sounds wrong: articles, prepositions and the like.
# After these a cut is a drop in the middle of a phrase: articles, prepositions, conjunctions.
_FUNCTION_WORDS: Final = word_set(
    """
    der die das den dem des ein eine einen einem einer eines am im ans ins zum zur vom beim
    an in auf aus bei mit nach von zu für über unter vor hinter neben zwischen durch gegen
    ohne um bis seit ab während wegen trotz laut per pro je
    und oder aber sondern denn weil dass ob wenn als wie sowie sowohl
    """
)
_ADJECTIVE_ENDINGS: Final = ("e", "en", "er", "es", "em")
# Number words as the normaliser writes them (not "acht" alone as an ending: "macht").
_NUMBER_WORD_ENDINGS: Final = (
    "zig", "ßig", "hundert", "tausend", "zehn", "elf", "zwölf", "eins", "zwei", "drei", "vier",
    "fünf", "sechs", "sieben", "neun", "hundertacht", "tausendacht",
)  # fmt: skip
_WEAK_ENDINGS: Final = word_set(
    """
    der die das den dem des ein eine einen einem einer eines am im an in um zum zur vom
    von zu mit auf aus bei nach für über unter vor hinter neben zwischen durch gegen ohne
    bis seit ab pro je per kein keine keinen keinem keiner sein seine ihr ihre unser
    unsere dieser diese dieses diesen diesem mehr als rund knapp etwa fast über
    """
)

# Quality of a cut after a token; a chunk costs _CHUNK_COST. An extra chunk is only worth it
# when it buys several markedly better cuts, or keeps a sentence that fits whole. Tuned on
# bench/bench_normalize.py's 2,000-word article: 1.076 × ceil(chars / 100) gTTS requests
# (the budget is 1.10: at most one request in ten spent on better cuts; the fewest possible
# there is 1.058), with half the chunks ending a sentence or clause; cost 100 gave 1.20 and
# sentence ends only a little more often.
_CHUNK_COST: Final = 300.0
# chunk_script(pack_segments=True), for engines whose requests are what costs (gTTS):
# a chunk costs more and a segment end is the best cut, worth more than a sentence end but
# less than a request, so a chunk runs on into the next segment where that saves a request
# (or, rarely, keeps two cuts out of short sentences). Tuned with `python -m
# bench.bench_normalize` (Pipeline.prepare, gTTS, 2,000 words, 42 paragraphs): 187 requests
# for ceil(chars / 100) = 172 (1.087; 190/174 = 1.092 with the host intro and outro), 16 of
# 41 paragraph pauses crossed, 45 chunks ending a sentence. With chunk cost 300 only a
# segment end worth no more than a sentence end met 1.10 (1.098 with the intro, 22
# crossed); 400 with a segment end worth 200 crossed 13 for 1.098; no packing gave 1.169.
# The table of tried pairs is in docs/benchmarks.md.
_PACK_CHUNK_COST: Final = 400.0
_Q_SEGMENT: Final = 150.0
_Q_SENTENCE: Final = 60.0
_Q_SEMICOLON: Final = 40.0
_Q_COMMA: Final = 35.0
_Q_CONJUNCTION: Final = 20.0
_Q_WORD: Final = 0.0
_Q_WEAK: Final = -15.0
# A cut without punctuation is heard as a drop inside a clause (gTTS reads each request as an
# utterance). Worth as much as a request when gTTS packs segments: the chunker pays up to one
# more request to avoid one such cut. Measured with `python -m bench.bench_normalize
# --tradeoff`: the two sample news articles go from 16 to 6 mid-clause cuts (55.6 % to 85.0 %
# of splits at punctuation) for 48 → 55 requests, the 2,000-word bench article from 90 to 37
# (47.7 % to 80.7 %) for 199 → 231; 6 and 37 are the fewest possible (−800 gives the same),
# so 90 % is out of reach without cutting at extra commas only to raise the share. `--wall`:
# the 2,000 words as a finished file against the fake gTTS at 300 ms a request take 17.0 s
# instead of 15.4 s at 4 requests in flight (8.8 s instead of 8.1 s at 8); the 90 % setting
# (1.85 times the requests, the same 6 and 37 mid-clause cuts) would take 20.2 s (10.4 s).
_Q_MID_CLAUSE: Final = -400.0
# Cuts heard as a drop in the middle of a phrase (see `_phrase_penalty`).
_Q_AFTER_FUNCTION_WORD: Final = -300.0
_Q_IN_NAME: Final = -200.0
_Q_ADJECTIVE_NOUN: Final = -150.0
_Q_IN_QUOTATION: Final = -300.0
# Fewer characters than this between a mid-clause cut and its sentence's start or end leave an
# orphan ("verteidigt."); such a cut loses to any other mid-clause cut in reach.
_ORPHAN_CHARS: Final = 24
_Q_ORPHAN: Final = 100.0
# A quotation this short is heard in one breath: no cut inside it.
_SHORT_QUOTATION: Final = 80
_Q_SPLIT_SHORT_SENTENCE: Final = 250.0  # penalty for cutting a sentence that would fit
_Q_FORBIDDEN: Final = -10_000.0  # after an ordinal or abbreviation: only when unavoidable
_Q_HARD: Final = -20_000.0  # inside a word longer than the limit


def _split_long_word(word: str, max_chars: int) -> list[str]:
    """Cut a word longer than the limit, after a hyphen or slash where possible."""
    parts: list[str] = []
    rest = word
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = max(window.rfind("-"), window.rfind("/"), window.rfind("–"))
        cut = cut + 1 if cut >= max_chars // 2 else max_chars
        # Do not separate a base letter from its combining marks.
        while cut > 1 and unicodedata.combining(rest[cut]):
            cut -= 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def _phrase_penalty(token: str, nxt: str) -> float:
    """How badly a cut between two plain words breaks a phrase (0.0: not at all)."""
    word = token_core(token)
    lowered = word.lower()
    if lowered in _FUNCTION_WORDS:
        return _Q_AFTER_FUNCTION_WORD  # "Diskussionsrunden in | virtuellen Räumen"
    after = strip_openers(nxt)
    if not after[:1].isupper() or after.isupper():
        return _Q_WORD
    if word[:1].isupper() and not word.isupper():
        return _Q_IN_NAME  # "Softwareunternehmen Alpha | Exploration"
    if word.islower() and word.endswith(_ADJECTIVE_ENDINGS):
        return _Q_ADJECTIVE_NOUN  # "hochkarätigen | Auftritten"
    if word.islower() and (word.endswith(_NUMBER_WORD_ENDINGS) or word == "acht"):
        return _Q_ADJECTIVE_NOUN  # a number and its noun: "vierundzwanzigtausend | Punkten"
    return _Q_WORD


def _cut(token: str, nxt: str) -> tuple[float, bool]:
    """Quality of a cut between two tokens, and whether a sentence ends there."""
    quality, end = _cut_quality(token, nxt)
    if quality < _Q_COMMA and not end:
        # No punctuation: heard as a drop inside a clause. A cut inside a phrase counts three
        # times, so that one of them never replaces two or three plain mid-clause cuts.
        quality += _Q_MID_CLAUSE * (3 if quality < _Q_WEAK else 1)
    return quality, end


def _cut_quality(token: str, nxt: str) -> tuple[float, bool]:
    last = token[-1]
    if last.isalnum():
        # The common case, a plain word: no sentence end, no abbreviation.
        if nxt in _DASHES:
            return _Q_SEMICOLON, False
        if nxt.lower() in _CONJUNCTIONS and token.lower() not in _FUNCTION_WORDS:
            return _Q_CONJUNCTION, False
        if token.isdigit():
            return _Q_WEAK, False
        return _phrase_penalty(token, nxt), False
    if ends_sentence(token, nxt):
        return _Q_SENTENCE, True
    if last == "." and is_bare(token, nxt):
        return _Q_FORBIDDEN, False
    core = token.rstrip(CLOSERS)
    end = core[-1:] if core else ""
    if end in ";:" or token in _DASHES or nxt in _DASHES:
        return _Q_SEMICOLON, False
    if end == "," or core != token:
        return _Q_COMMA, False
    if strip_openers(nxt).lower() in _CONJUNCTIONS:
        return _Q_CONJUNCTION, False
    return _phrase_penalty(token, nxt), False


def _short_quotations(tokens: list[str]) -> list[tuple[int, int]]:
    """Token spans [first, last] of quotations („…“, »…«) short enough to say in one breath."""
    spans = []
    start = -1
    width = 0
    for i, token in enumerate(tokens):
        if start < 0 and token[:1] in "„»":
            start, width = i, 0
        if start >= 0:
            width += len(token) + 1
            if any(c in token for c in "“«") and (i > start or token[-1:] not in "„»"):
                if width <= _SHORT_QUOTATION and i > start:
                    spans.append((start, i))
                start = -1
    return spans


@dataclass(frozen=True)
class _Piece:
    """A chunk cut from a run of tokens: its text, whether a sentence ends after it, and
    the token span it covers (`stop` is exclusive; `opens`/`closes` are False when the chunk
    starts/ends inside a word that had to be split hard)."""

    text: str
    sentence_end: bool
    start: int
    stop: int
    opens: bool
    closes: bool


def _chunk_paragraph(
    tokens: list[str],
    max_chars: int,
    soft: frozenset[int] = frozenset(),
    chunk_cost: float = _CHUNK_COST,
) -> list[_Piece]:
    """Chunks of one paragraph; `soft` holds the tokens after which a segment ends."""
    texts: list[str] = []  # pieces: words, or parts of a word longer than the limit
    glued: list[bool] = []  # the piece joins the previous one without a space
    owner: list[int] = []  # the token a piece belongs to
    quality: list[float] = []  # quality of a cut after piece k
    ends: list[bool] = []  # a sentence ends after piece k
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        if len(token) > max_chars:
            parts = _split_long_word(token, max_chars)
            for k, part in enumerate(parts):
                texts.append(part)
                glued.append(k > 0)
                owner.append(i)
                if k < len(parts) - 1:
                    quality.append(_Q_HARD)
                    ends.append(False)
        else:
            texts.append(token)
            glued.append(False)
            owner.append(i)
        if i == last:
            quality.append(_Q_SENTENCE)
            ends.append(True)
        elif i in soft:
            quality.append(_Q_SEGMENT)
            ends.append(True)
        else:
            q, end = _cut(token, tokens[i + 1])
            quality.append(q)
            ends.append(end)
    if any(token[:1] in "„»" for token in tokens):
        for first, final in _short_quotations(tokens):
            for k in range(first, final):
                # pieces and tokens share indices unless a word was split hard (then the
                # quotation is not short anyway)
                if k < len(quality) and owner[k] == k:
                    quality[k] = min(quality[k], _Q_IN_QUOTATION)

    n = len(texts)
    # The width of pieces[j:i] is pos[i] - pos[j] - sep[j]: pos counts a separator before
    # every piece that is not glued to the one before.
    seps = [0 if g else 1 for g in glued]
    pos = [0] * (n + 1)
    for k in range(n):
        pos[k + 1] = pos[k] + len(texts[k]) + seps[k]

    # A cut without punctuation that leaves a word or two alone at the start or end of its
    # sentence ("… in der Bundesliga | verteidigt.") is heard as an orphan: take another one.
    start = 0
    for k in range(n):
        if ends[k]:
            for inner in range(start, k):
                if quality[inner] < _Q_COMMA and quality[inner] > _Q_FORBIDDEN:
                    left = pos[inner + 1] - pos[start]
                    right = pos[k + 1] - pos[inner + 1]
                    if min(left, right) < _ORPHAN_CHARS:
                        quality[inner] -= _Q_ORPHAN
            start = k + 1

    # A sentence that fits in one chunk is not cut unless that saves several requests.
    start = 0
    for k in range(n):
        if ends[k]:
            if pos[k + 1] - pos[start] - seps[start] <= max_chars:
                for inner in range(start, k):
                    quality[inner] -= _Q_SPLIT_SHORT_SENTENCE
            start = k + 1

    # best[i]: cost of cutting pieces[:i]; the cut candidates j of a chunk ending at i form
    # a window that only moves right, so a monotonic deque gives the minimum in O(n).
    best = [0.0] * (n + 1)
    back = [0] * (n + 1)
    window: deque[int] = deque()
    for i in range(1, n + 1):
        j = i - 1
        while window and best[window[-1]] >= best[j]:
            window.pop()
        window.append(j)
        limit = pos[i] - max_chars
        while pos[window[0]] + seps[window[0]] < limit:
            window.popleft()
        arg = window[0]
        best[i] = best[arg] + chunk_cost - quality[i - 1]
        back[i] = arg

    bounds: list[int] = []
    i = n
    while i > 0:
        bounds.append(i)
        i = back[i]
    bounds.reverse()

    chunks: list[_Piece] = []
    start = 0
    for stop in bounds:
        out = [texts[start]]
        for k in range(start + 1, stop):
            if not glued[k]:
                out.append(" ")
            out.append(texts[k])
        opens = start == 0 or owner[start] != owner[start - 1]
        closes = stop == n or owner[stop] != owner[stop - 1]
        chunks.append(
            _Piece("".join(out), ends[stop - 1], owner[start], owner[stop - 1] + 1, opens, closes)
        )
        start = stop
    return chunks


def _chunks_with_ends(text: str, max_chars: int) -> list[tuple[str, bool]]:
    if max_chars < 1:
        msg = f"max_chars must be positive, got {max_chars}"
        raise ValueError(msg)
    out: list[tuple[str, bool]] = []
    for tokens in token_paragraphs(text):
        out.extend(
            (piece.text, piece.sentence_end) for piece in _chunk_paragraph(tokens, max_chars)
        )
    return out


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Cut text into chunks of at most max_chars at sentence, clause, then word boundaries."""
    return [chunk for chunk, _ in _chunks_with_ends(text, max_chars)]


@dataclass
class _Run:
    """Tokens chunked together: a paragraph, or (packing) paragraphs of consecutive segments.

    `parts` holds, per paragraph, its first token, its segment, and whether it is the first
    and the last paragraph of that segment. A run without tokens stands for an empty segment.
    """

    tokens: list[str] = field(default_factory=list)
    parts: list[tuple[int, int, bool, bool]] = field(default_factory=list)

    def add(self, tokens: list[str], segment: int, first: bool, last: bool) -> None:
        """Append one paragraph of a segment."""
        self.parts.append((len(self.tokens), segment, first, last))
        self.tokens.extend(tokens)


def _may_cross(before: Segment, after: Segment, last: str, first: str) -> bool:
    """Whether a chunk may run on from the end of `before` (its last token) into `after`."""
    return (
        before.chapter is None
        and after.chapter is None
        and before.role == after.role
        and ends_sentence(last, first)
    )


def _runs(script: Script, pack_segments: bool) -> list[_Run]:
    """The script's paragraphs, joined across segment boundaries a chunk may cross."""
    runs: list[_Run] = []
    before: Segment | None = None  # the previous segment, if it had text
    for index, segment in enumerate(script.segments):
        paragraphs = token_paragraphs(segment.text)
        if not paragraphs:
            runs.append(_Run(parts=[(0, index, True, True)]))
            before = None
            continue
        for k, tokens in enumerate(paragraphs):
            first, last = k == 0, k == len(paragraphs) - 1
            if (
                first
                and pack_segments
                and before is not None
                and _may_cross(before, segment, runs[-1].tokens[-1], tokens[0])
            ):
                runs[-1].add(tokens, index, first, last)
            else:
                run = _Run()
                run.add(tokens, index, first, last)
                runs.append(run)
        before = segment
    return runs


def _layout(run: _Run, max_chars: int, chunk_cost: float) -> list[_Piece]:
    """Chunks of a run: across segment boundaries only when that saves requests."""
    if len(run.parts) == 1:
        return _chunk_paragraph(run.tokens, max_chars, chunk_cost=chunk_cost)
    bounds = [part[0] for part in run.parts] + [len(run.tokens)]
    soft = frozenset(b - 1 for b in bounds[1:-1])
    packed = _chunk_paragraph(run.tokens, max_chars, soft, chunk_cost)
    stops = {piece.stop for piece in packed if piece.closes}
    if all(b in stops for b in bounds[1:-1]):
        return packed  # nothing crossed
    separate: list[_Piece] = []
    for a, b in pairwise(bounds):
        for piece in _chunk_paragraph(run.tokens[a:b], max_chars, chunk_cost=chunk_cost):
            separate.append(replace(piece, start=piece.start + a, stop=piece.stop + a))
    return packed if len(packed) < len(separate) else separate


def chunk_script(script: Script, max_chars: int, *, pack_segments: bool = False) -> list[Chunk]:
    """Chunk the segments; a segment's first chunk carries its chapter, its last its pause.

    With `pack_segments` (an engine with a small limit, such as gTTS), requests weigh more
    and a chunk may run on from one segment into the next when both are body text of the
    same role (neither a heading, same speaker) and the first ends a sentence, but only where
    that saves requests: the paragraph pause there is dropped and the engine's own pause at
    the sentence end takes its place. Such a chunk belongs to (segment_index) the segment it
    starts in and carries the pause of the segment it ends with, if it ends at its end.
    """
    if max_chars < 1:
        msg = f"max_chars must be positive, got {max_chars}"
        raise ValueError(msg)
    segments = script.segments
    chunks: list[Chunk] = []
    pending_chapter: str | None = None
    chunk_cost = _PACK_CHUNK_COST if pack_segments else _CHUNK_COST
    for run in _runs(script, pack_segments):
        if not run.tokens:
            # Nothing to say: keep the chapter for the next chunk and the pause on the last.
            segment = segments[run.parts[0][1]]
            pending_chapter = segment.chapter or pending_chapter
            if chunks and segment.pause_after_ms > chunks[-1].pause_after_ms:
                prev = chunks[-1]
                chunks[-1] = replace(prev, pause_after_ms=segment.pause_after_ms)
            continue
        starts = [part[0] for part in run.parts]
        for piece in _layout(run, max_chars, chunk_cost):
            first_at, index, first, _ = run.parts[bisect_right(starts, piece.start) - 1]
            chapter = None
            if first and piece.opens and piece.start == first_at:
                chapter = segments[index].chapter or pending_chapter
                pending_chapter = None
            k = bisect_right(starts, piece.stop - 1) - 1
            end = starts[k + 1] if k + 1 < len(starts) else len(run.tokens)
            if piece.closes and piece.stop == end and run.parts[k][3]:
                pause = segments[run.parts[k][1]].pause_after_ms
            else:
                pause = SENTENCE_PAUSE_MS if piece.sentence_end else 0
            chunks.append(Chunk(piece.text, index, pause, chapter, segments[index].role))
    if pending_chapter is not None:
        logger.debug("chapter %r has no text after it and is dropped", pending_chapter)
    return chunks
