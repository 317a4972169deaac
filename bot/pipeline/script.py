"""Article → Script: the "room" presentation with a host intro, the article, pauses and chapters."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Final

from bot.models import Article, Block, BlockKind, Role, Script, Segment
from bot.pipeline.german import MONTHS

# Pauses chosen by ear against gTTS and espeak output: a sentence gap inside a paragraph is
# the chunker's (about 250 ms); these mark structure the listener cannot see.
PARAGRAPH_PAUSE_MS: Final = 700
BEFORE_HEADING_PAUSE_MS: Final = 1200
AFTER_HEADING_PAUSE_MS: Final = 600
AFTER_INTRO_PAUSE_MS: Final = 1000
# German newsreaders speak about 150 words a minute: the estimate for engines not measured.
WORDS_PER_MINUTE: Final = 150
# Written words a minute at tempo 1.0, paragraph pauses included, per engine, so that the host,
# the status message and the file agree. espeak: the two sample articles (550 words) took
# 235.6 s of speech at its 160 wpm setting plus 14 paragraph pauses of 0.7 s: 135. gTTS: a
# file of 2:42 was announced as "etwa zwei Minuten" at 150 (an estimate of at most 2:15)
# and one of 3:03 as three: its German voice reads about 125 written words a minute.
WORDS_PER_MINUTE_BY_ENGINE: Final = {"espeak": 135, "gtts": 125}


# What the host says when the page shows a paywall after the free text.
PAYWALL_NOTES: Final = {
    "de": "Der Text wirkt gekürzt – der Rest steht vermutlich hinter einer Bezahlschranke.",
    "en": "The text seems cut short; the rest is probably behind a paywall.",
}


def _sentence(title: str) -> str:
    """A headline as a spoken sentence: one closing mark ("…?" stays, never "…?.")."""
    title = title.rstrip().rstrip(".")
    return title if title.endswith(("?", "!", "…")) else title + "."


def estimate_seconds(words: int, tempo: float = 1.0, engine: str | None = None) -> float:
    """Listening time of `words` words at the given tempo, with the engine's measured pace."""
    wpm = WORDS_PER_MINUTE_BY_ENGINE.get(engine or "", WORDS_PER_MINUTE)
    return words / wpm * 60.0 / max(tempo, 0.1)


def listening_minutes(seconds: float) -> int:
    """Whole minutes, rounded to the nearest as the file's caption does (at least one)."""
    return max(1, math.floor(seconds / 60.0 + 0.5))


def is_pasted_without_title(article: Article) -> bool:
    """Whether the title is only the first words of pasted text, cut off with " …"."""
    title = article.title
    if not title.endswith(" …") or not article.blocks:
        return False
    return article.blocks[0].text.startswith(title[:-2])


def _full_minutes(article: Article) -> int | None:
    """Listening time of the full article when `article` is its summary."""
    if article.summary_of_words is None:
        return None
    return listening_minutes(estimate_seconds(article.summary_of_words))


def _intro_de(article: Article, minutes: int) -> str:
    unit = "Minute" if minutes == 1 else "Minuten"
    if is_pasted_without_title(article):
        return f"Willkommen im Hörclub. Du hörst deinen Text, etwa {minutes} {unit}."
    full = _full_minutes(article)
    heard = " die Kurzfassung von" if full else ""
    parts = [f"Willkommen im Hörclub. Du hörst{heard}: {_sentence(article.title)}"]
    # "Quelle: …" is grammatical whatever the outlet's gender ("aus Lindenauer Rundschau" is not).
    if article.site:
        parts.append(f"Quelle: {article.site}.")
    if article.author:
        parts.append(f"Geschrieben von {article.author}.")
    if article.date:
        d = article.date
        parts.append(f"Erschienen am {d.day}. {MONTHS[d.month - 1]} {d.year}.")
    parts.append(f"Hörzeit etwa {minutes} {unit}.")
    if full:
        parts.append(
            f"Der ganze Artikel dauert etwa {full} {'Minute' if full == 1 else 'Minuten'}."
        )
    return " ".join(parts)


def _intro_en(article: Article, minutes: int) -> str:
    if is_pasted_without_title(article):
        unit = "minute" if minutes == 1 else "minutes"
        return f"Welcome to Hörclub. You are listening to your text, about {minutes} {unit}."
    full = _full_minutes(article)
    heard = "the short version of" if full else "to"
    parts = [f"Welcome to Hörclub. You are listening {heard}: {_sentence(article.title)}"]
    if article.site:
        parts.append(f"From {article.site}.")
    parts.append(f"About {minutes} {'minute' if minutes == 1 else 'minutes'}.")
    if full:
        parts.append(f"The full article takes about {full} {'minute' if full == 1 else 'minutes'}.")
    return " ".join(parts)


def _outro(article: Article, truncated: bool) -> str | None:
    title = article.title.rstrip(".")
    if is_pasted_without_title(article):
        return {
            "de": "Das war dein Text. Danke fürs Zuhören im Hörclub.",
            "en": "That was your text. Thanks for listening to Hörclub.",
        }.get(article.language)
    if article.language == "de" and article.summary_of_words is not None:
        return f"Das war die Kurzfassung von: {_sentence(title)} Danke fürs Zuhören im Hörclub."
    if article.language == "en" and article.summary_of_words is not None:
        return f"That was the short version of: {_sentence(title)} Thanks for listening to Hörclub."
    if article.language == "de":
        note = " Das war der erste Teil des Artikels." if truncated else ""
        return f"Das war: {_sentence(article.title)}{note} Danke fürs Zuhören im Hörclub."
    if article.language == "en":
        note = " That was the first part of the article." if truncated else ""
        return f"That was: {_sentence(article.title)}{note} Thanks for listening to Hörclub."
    return None


def build_script(
    article: Article,
    *,
    intro: bool = True,
    truncated: bool = False,
    engine: str | None = None,
    tempo: float = 1.0,
) -> Script:
    """Lay out the segments: host intro (or the headline), lead, body blocks, host outro."""
    segments: list[Segment] = []
    minutes = listening_minutes(estimate_seconds(article.words, tempo, engine))
    host_intro = None
    if intro and article.language == "de":
        host_intro = _intro_de(article, minutes)
    elif intro and article.language == "en":
        host_intro = _intro_en(article, minutes)
    if host_intro:
        segments.append(Segment("host", host_intro, AFTER_INTRO_PAUSE_MS))
    elif article.title and not is_pasted_without_title(article):
        # The host announces the headline; the role keeps it from being packed with the lead.
        segments.append(Segment("host", article.title, AFTER_INTRO_PAUSE_MS))
    if article.lead:
        segments.append(Segment("reader", article.lead, PARAGRAPH_PAUSE_MS))
    blocks = article.blocks
    for index, block in enumerate(blocks):
        nxt = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.kind is BlockKind.HEADING:
            # The host announces each section (after the chime, where the room has one).
            segments.append(Segment("host", block.text, AFTER_HEADING_PAUSE_MS, block.text))
            continue
        pause = (
            BEFORE_HEADING_PAUSE_MS
            if nxt and nxt.kind is BlockKind.HEADING
            else (PARAGRAPH_PAUSE_MS)
        )
        role: Role = "quote" if block.kind is BlockKind.QUOTE else "reader"
        segments.append(Segment(role, block.text, pause))
    outro = _outro(article, truncated) if intro else None
    if outro:
        segments.append(Segment("host", outro, 0))
    note = PAYWALL_NOTES.get(article.language) if article.paywalled else None
    if note:
        # Said at the very end: the listener hears why the article stops short.
        segments.append(Segment("host", note, 0))
    return Script(tuple(segments), language=article.language)


# A direct quotation: „…“ (German), "…" or »…« (guillemets), at least QUOTE_MIN_WORDS words;
# shorter quoted runs are mostly names, titles or scare quotes („Tesla-Killer“), not speech.
_QUOTATION: Final = re.compile(r'„[^„“”"]+[“”]|"[^"„“”]+"|»[^»«]+«')
QUOTE_MIN_WORDS: Final = 3
# Pause after a piece that ends a sentence (the chunker's sentence pause).
QUOTE_SENTENCE_PAUSE_MS: Final = 250
_SENTENCE_END: Final = re.compile(r"[.!?…][\"'“”«»)]*$")


def _split_quotes(segment: Segment) -> list[Segment]:
    pieces: list[tuple[Role, str]] = []
    at = 0
    for found in _QUOTATION.finditer(segment.text):
        if len(found.group().split()) < QUOTE_MIN_WORDS:
            continue
        before = segment.text[at : found.start()].strip()
        if before:
            pieces.append((segment.role, before))
        pieces.append(("quote", found.group()))
        at = found.end()
    after = segment.text[at:].strip()
    if after:
        pieces.append((segment.role, after))
    if len(pieces) < 2:
        return [segment]
    out: list[Segment] = []
    for n, (role, text) in enumerate(pieces):
        last = n == len(pieces) - 1
        pause = segment.pause_after_ms if last else 0
        if not last and _SENTENCE_END.search(text):
            pause = QUOTE_SENTENCE_PAUSE_MS
        out.append(Segment(role, text, pause, segment.chapter if n == 0 else None))
    return out


def split_quotations(script: Script) -> Script:
    """The reader's direct quotations as segments of their own in the "quote" role.

    Not a word changes: the pieces, joined with single spaces, are each segment's text with its
    whitespace at the cuts collapsed. The host's lines and headings stay whole.
    """
    segments: list[Segment] = []
    for segment in script.segments:
        if segment.role == "reader" and segment.chapter is None:
            segments.extend(_split_quotes(segment))
        else:
            segments.append(segment)
    return Script(tuple(segments), language=script.language)


def truncate_article(article: Article, max_words: int) -> Article:
    """The first `max_words` words of the article, cut at a block boundary where possible."""
    kept: list[Block] = []
    total = len(article.title.split()) + len((article.lead or "").split())
    for block in article.blocks:
        words = len(block.text.split())
        if total + words > max_words and kept:
            break
        kept.append(block)
        total += words
    return dataclasses.replace(article, blocks=tuple(kept))
