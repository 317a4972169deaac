"""German sentence splitting and chunking of text into engine-sized requests.

The splitter knows German ordinals ("am 24. November"), dates, dotted abbreviations
("z. B.", "Nr.", "Prof.") and initials, so a sentence is never cut after them.

`chunk_text` chooses its cut points with a small dynamic programme over the words of the
text: first as few chunks as the limit allows (plus a tuned allowance), then the best cut
points among those: a sentence end before a clause mark (";", ":", ","), before a
conjunction ("und", "weil", "dass" …), before a plain word. A cut right after an ordinal,
an abbreviation or an initial is never taken unless nothing else fits. A single word longer
than the limit is split hard (after a hyphen or slash where possible).

Invariant: joining the chunks with single spaces gives the input with its whitespace
collapsed, except inside a word that had to be split hard (there the pieces join without a
space).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import deque
from typing import Final

from bot.pipeline.models import Chunk, Script

logger = logging.getLogger(__name__)

# Pause after a chunk that ends a sentence inside a segment; the assembler inserts it.
# 250 ms is the short sentence pause of radio news reading (between 200 and 300 ms).
SENTENCE_PAUSE_MS: Final = 250

# Characters that may close a sentence after its final mark: quotes and brackets.
_CLOSERS: Final = "\"'“”‘’»«›‹)]}"
# Characters that may open a sentence or a word.
_OPENERS: Final = "\"'„“‚‘»«›‹([{"
_DASHES: Final = frozenset({"-", "–", "—", "−"})


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


# Dotted abbreviations (lowercase, without the final period) that do not end a sentence.
# Single letters ("z.", "B.", "S.", initials) are handled separately.
# Left out on purpose: words that are also ordinary words at a sentence end ("so", "art",
# "mag", "max", "phil").
ABBREVIATIONS: Final = _words(
    """
    bzw ca nr nrn dr prof mio mrd bio tsd ggf inkl exkl vgl sog evtl bspw insb zzgl
    str tel abs bd hrsg jh jhd jhdt kap min mind rd zit gegr geb gest verh ing dipl med
    jur rer nat hl st ev kath bzgl betr allg eigtl abb anm aufl ausg bes jg kfm lt mtl
    pfd reg tab urspr verf vs zus ztg gebr ges mwst inh kl mill std sek fa frl hr fr
    co mr mrs ms ltd inc corp gmbh bzgl ehem erg entspr gem hins jur
    mo di mi do sa
    feb febr mär apr jun jul aug sep sept okt nov dez
    z.b d.h u.a v.a u.ä o.ä i.d.r u.u z.t z.zt s.o s.u o.g m.e n.chr v.chr u.a.m e.v
    i.a a.d n.n k.o u.s.w z.hd i.v i.r d.j d.ä h.c u.v.m
    ff usw etc usf
    """
)
# Abbreviations that may also close a sentence ("…, Birnen usw. Die Preise …").
_SENTENCE_FINAL_ABBREVIATIONS: Final = frozenset({"usw", "etc", "usf", "u.s.w", "u.a.m", "u.v.m"})
# Ambiguous with first names: an abbreviation only before a number ("5. Jan. 2024").
_ABBREVIATION_BEFORE_DIGIT: Final = frozenset({"jan"})

# Capitalised words that start a sentence but never follow an ordinal: "… um 3. Danach …"
# ends a sentence after "3.", "am 3. Mai" does not.
SENTENCE_STARTERS: Final = _words(
    """
    Der Die Das Den Dem Des Ein Eine Einen Einem Er Sie Es Wir Ich Ihr Man Doch Aber Und
    Auch Dann Danach Damit Dabei Dazu Daher Deshalb Trotzdem So Im Am Zum Zur Bei Mit Nach
    Seit In An Auf Laut Zudem Außerdem Dies Diese Dieser Dieses Was Wie Wer Wo Warum Wann
    Nun Jetzt Heute Gestern Bis Vor Für Als Wenn Weil Ob Obwohl Während Zuvor Zuletzt
    Insgesamt Allerdings Jedoch Hier Dort Da Denn Noch Schon Bereits Viele Alle Keine Kein
    Unter Von Aus Um Gegen Ohne Durch Seine Ihre Unsere Jeder Jede Jedes Welche Nicht Nur
    Immer Oft Sogar Vielmehr Ebenfalls Gleichzeitig Inzwischen Mittlerweile Demnach Somit
    Also Zunächst Anschließend Später Damals Dagegen Hingegen Denn Sonst Trotz Wegen
    """
)

_CONJUNCTIONS: Final = _words(
    """
    und oder aber sondern denn weil dass da doch jedoch sowie sowohl während obwohl obgleich
    wenn als ob damit sodass nachdem bevor seit seitdem falls bis indem wobei weshalb
    weswegen wie wo woraufhin allerdings trotzdem deshalb
    """
)
# Words after which a cut sounds wrong: articles, prepositions and the like.
_WEAK_ENDINGS: Final = _words(
    """
    der die das den dem des ein eine einen einem einer eines am im an in um zum zur vom
    von zu mit auf aus bei nach für über unter vor hinter neben zwischen durch gegen ohne
    bis seit ab pro je per kein keine keinen keinem keiner sein seine ihr ihre unser
    unsere dieser diese dieses diesen diesem mehr als rund knapp etwa fast über
    """
)

_ORDINAL_RE: Final = re.compile(r"\d+\.|\d{1,3}(?:\.\d{3})+\.|\d{1,2}\.\d{1,2}\.")
_LETTER_DOTS_RE: Final = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}\.?")
_ROMAN_RE: Final = re.compile(r"(?=[IVXLC]{2,7}\.$)C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\.")
_YEAR_RE: Final = re.compile(r"1[1-9]\d\d|20\d\d|21\d\d")
_PARAGRAPH_RE: Final = re.compile(r"\n[^\S\n]*\n\s*")

# Quality of a cut after a token; a chunk costs _CHUNK_COST. An extra chunk is only worth it
# when it buys several markedly better cuts, or keeps a sentence that fits whole. Tuned on
# bench/bench_normalize.py's 2,000-word article: 1.076 × ceil(chars / 100) gTTS requests
# (issue 3: ≤ 1.10; the fewest possible there is 1.058), with half the chunks ending a
# sentence or clause; cost 100 gave 1.20 and sentence ends only a little more often.
_CHUNK_COST: Final = 300.0
_Q_SENTENCE: Final = 60.0
_Q_SEMICOLON: Final = 40.0
_Q_COMMA: Final = 35.0
_Q_CONJUNCTION: Final = 20.0
_Q_WORD: Final = 0.0
_Q_WEAK: Final = -15.0
_Q_SPLIT_SHORT_SENTENCE: Final = 250.0  # penalty for cutting a sentence that would fit
_Q_FORBIDDEN: Final = -10_000.0  # after an ordinal or abbreviation: only when unavoidable
_Q_HARD: Final = -20_000.0  # inside a word longer than the limit


def _strip_openers(token: str) -> str:
    return token.lstrip(_OPENERS)


def _core(token: str) -> str:
    """The token without leading quotes/brackets and trailing closers."""
    return token.lstrip(_OPENERS).rstrip(_CLOSERS)


def _starts_lowercase(token: str) -> bool:
    stripped = _strip_openers(token)
    return bool(stripped) and stripped[0].islower()


def _starts_digit(token: str) -> bool:
    stripped = _strip_openers(token)
    return bool(stripped) and stripped[0].isdigit()


def _is_bare(token: str, nxt: str | None) -> bool:
    """Whether the token is an ordinal, abbreviation, initial or Roman numeral with a period."""
    word = _strip_openers(token)
    if not word.endswith("."):
        return False
    if _ORDINAL_RE.fullmatch(word):
        return True
    stem = word[:-1]
    if not stem or stem.endswith("."):
        return False
    lowered = stem.lower()
    if len(stem) == 1 and stem.isalpha():
        return True
    if lowered in ABBREVIATIONS:
        return True
    if lowered in _ABBREVIATION_BEFORE_DIGIT:
        return nxt is not None and _starts_digit(nxt)
    if _LETTER_DOTS_RE.fullmatch(word):
        return True
    return bool(_ROMAN_RE.fullmatch(word))


def _ends_sentence(token: str, nxt: str | None) -> bool:
    """Whether a sentence ends after `token` when `nxt` follows (None: end of text)."""
    core = _core(token)
    if not core or core[-1] not in ".!?…":
        return False
    if nxt is None:
        return True
    if _starts_lowercase(nxt):
        return False
    if core[-1] in "!?…" or core.endswith(".."):
        return True
    if token.rstrip(_CLOSERS) != token:
        # "… gesagt.“ Dann": a quote or bracket after the period closes the sentence,
        # unless what is quoted is itself an ordinal or abbreviation ("(S.)" is rare).
        return not _ORDINAL_RE.fullmatch(core)
    word = _strip_openers(token)
    stem = word[:-1]
    if stem.isdigit():
        # "im Jahr 2021. Danach" ends a sentence; "am 24. November" does not.
        return bool(_YEAR_RE.fullmatch(stem)) or _strip_openers(nxt) in SENTENCE_STARTERS
    if stem.lower() in _SENTENCE_FINAL_ABBREVIATIONS:
        return True
    return not _is_bare(token, nxt)


def _paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (separated by a blank line) as lists of whitespace-separated tokens."""
    out = []
    for para in _PARAGRAPH_RE.split(text):
        tokens = para.split()
        if tokens:
            out.append(tokens)
    return out


def split_sentences(text: str) -> list[str]:
    """Split German text into sentences, whitespace collapsed; a blank line also ends one."""
    sentences: list[str] = []
    for tokens in _paragraphs(text):
        start = 0
        for i, token in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or _ends_sentence(token, nxt):
                sentences.append(" ".join(tokens[start : i + 1]))
                start = i + 1
    return sentences


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


def _cut(token: str, nxt: str) -> tuple[float, bool]:
    """Quality of a cut between two tokens, and whether a sentence ends there."""
    last = token[-1]
    if last.isalnum():
        # The common case, a plain word: no sentence end, no abbreviation.
        if nxt in _DASHES:
            return _Q_SEMICOLON, False
        if nxt.lower() in _CONJUNCTIONS:
            return _Q_CONJUNCTION, False
        if token.lower() in _WEAK_ENDINGS or token.isdigit():
            return _Q_WEAK, False
        return _Q_WORD, False
    if _ends_sentence(token, nxt):
        return _Q_SENTENCE, True
    if last == "." and _is_bare(token, nxt):
        return _Q_FORBIDDEN, False
    core = token.rstrip(_CLOSERS)
    end = core[-1:] if core else ""
    if end in ";:" or token in _DASHES or nxt in _DASHES:
        return _Q_SEMICOLON, False
    if end == "," or core != token:
        return _Q_COMMA, False
    if _strip_openers(nxt).lower() in _CONJUNCTIONS:
        return _Q_CONJUNCTION, False
    if _core(token).lower() in _WEAK_ENDINGS:
        return _Q_WEAK, False
    return _Q_WORD, False


def _chunk_paragraph(tokens: list[str], max_chars: int) -> list[tuple[str, bool]]:
    """Chunks of one paragraph, each with whether it ends a sentence."""
    texts: list[str] = []  # pieces: words, or parts of a word longer than the limit
    glued: list[bool] = []  # the piece joins the previous one without a space
    quality: list[float] = []  # quality of a cut after piece k
    ends: list[bool] = []  # a sentence ends after piece k
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        if len(token) > max_chars:
            parts = _split_long_word(token, max_chars)
            for k, part in enumerate(parts):
                texts.append(part)
                glued.append(k > 0)
                if k < len(parts) - 1:
                    quality.append(_Q_HARD)
                    ends.append(False)
        else:
            texts.append(token)
            glued.append(False)
        if i == last:
            quality.append(_Q_SENTENCE)
            ends.append(True)
        else:
            q, end = _cut(token, tokens[i + 1])
            quality.append(q)
            ends.append(end)

    n = len(texts)
    # The width of pieces[j:i] is pos[i] - pos[j] - sep[j]: pos counts a separator before
    # every piece that is not glued to the one before.
    seps = [0 if g else 1 for g in glued]
    pos = [0] * (n + 1)
    for k in range(n):
        pos[k + 1] = pos[k] + len(texts[k]) + seps[k]

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
        best[i] = best[arg] + _CHUNK_COST - quality[i - 1]
        back[i] = arg

    bounds: list[int] = []
    i = n
    while i > 0:
        bounds.append(i)
        i = back[i]
    bounds.reverse()

    chunks: list[tuple[str, bool]] = []
    start = 0
    for stop in bounds:
        out = [texts[start]]
        for k in range(start + 1, stop):
            if not glued[k]:
                out.append(" ")
            out.append(texts[k])
        chunks.append(("".join(out), ends[stop - 1]))
        start = stop
    return chunks


def _chunks_with_ends(text: str, max_chars: int) -> list[tuple[str, bool]]:
    if max_chars < 1:
        msg = f"max_chars must be positive, got {max_chars}"
        raise ValueError(msg)
    out: list[tuple[str, bool]] = []
    for tokens in _paragraphs(text):
        out.extend(_chunk_paragraph(tokens, max_chars))
    return out


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Cut text into chunks of at most max_chars at sentence, clause, then word boundaries."""
    return [chunk for chunk, _ in _chunks_with_ends(text, max_chars)]


def chunk_script(script: Script, max_chars: int) -> list[Chunk]:
    """Chunk every segment; the first chunk carries its chapter, the last its pause."""
    chunks: list[Chunk] = []
    pending_chapter: str | None = None
    for index, segment in enumerate(script.segments):
        pieces = _chunks_with_ends(segment.text, max_chars)
        chapter = segment.chapter or pending_chapter
        if not pieces:
            # Nothing to say: keep the chapter for the next chunk and the pause on the last.
            pending_chapter = chapter
            if chunks and segment.pause_after_ms > chunks[-1].pause_after_ms:
                prev = chunks[-1]
                chunks[-1] = Chunk(
                    prev.text, prev.segment_index, segment.pause_after_ms, prev.chapter
                )
            continue
        pending_chapter = None
        for k, (text, sentence_end) in enumerate(pieces):
            if k == len(pieces) - 1:
                pause = segment.pause_after_ms
            else:
                pause = SENTENCE_PAUSE_MS if sentence_end else 0
            chunks.append(
                Chunk(
                    text=text,
                    segment_index=index,
                    pause_after_ms=pause,
                    chapter=chapter if k == 0 else None,
                )
            )
    if pending_chapter is not None:
        logger.debug("chapter %r has no text after it and is dropped", pending_chapter)
    return chunks
