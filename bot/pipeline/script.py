"""Article → Script: the "room" presentation with a host intro, the article, pauses and chapters."""

from __future__ import annotations

import dataclasses
import math
from typing import Final

from bot.models import Article, Block, BlockKind, Role, Script, Segment
from bot.pipeline.german import MONTHS

# Pauses chosen by ear against gTTS and espeak output: a sentence gap inside a paragraph is
# the chunker's (about 250 ms); these mark structure the listener cannot see.
PARAGRAPH_PAUSE_MS: Final = 700
BEFORE_HEADING_PAUSE_MS: Final = 1200
AFTER_HEADING_PAUSE_MS: Final = 600
AFTER_INTRO_PAUSE_MS: Final = 1000
# German newsreaders speak about 150 words a minute; gTTS and espeak land near it.
WORDS_PER_MINUTE: Final = 150


# What the host says when the page shows a paywall after the free text.
PAYWALL_NOTES: Final = {
    "de": "Der Text wirkt gekürzt – der Rest steht vermutlich hinter einer Bezahlschranke.",
    "en": "The text seems cut short; the rest is probably behind a paywall.",
}


def estimate_seconds(words: int, tempo: float = 1.0) -> float:
    """Listening time of `words` words at the given tempo."""
    return words / WORDS_PER_MINUTE * 60.0 / max(tempo, 0.1)


def listening_minutes(seconds: float) -> int:
    """Whole minutes as a listener would round them (at least one)."""
    return max(1, math.ceil(seconds / 60.0 - 0.25))


def _full_minutes(article: Article) -> int | None:
    """Listening time of the full article when `article` is its summary."""
    if article.summary_of_words is None:
        return None
    return listening_minutes(estimate_seconds(article.summary_of_words))


def _intro_de(article: Article, minutes: int) -> str:
    full = _full_minutes(article)
    heard = " die Kurzfassung von" if full else ""
    parts = [f"Willkommen im Hörclub. Du hörst{heard}: {article.title.rstrip('.')}."]
    source = []
    if article.site:
        source.append(f"aus {article.site}")
    if article.author:
        source.append(f"von {article.author}")
    if article.date:
        d = article.date
        source.append(f"vom {d.day}. {MONTHS[d.month - 1]} {d.year}")
    if source:
        parts.append("Ein Artikel " + ", ".join(source) + ".")
    parts.append(f"Hörzeit etwa {minutes} {'Minute' if minutes == 1 else 'Minuten'}.")
    if full:
        parts.append(
            f"Der ganze Artikel dauert etwa {full} {'Minute' if full == 1 else 'Minuten'}."
        )
    return " ".join(parts)


def _intro_en(article: Article, minutes: int) -> str:
    full = _full_minutes(article)
    heard = "the short version of" if full else "to"
    parts = [f"Welcome to Hörclub. You are listening {heard}: {article.title.rstrip('.')}."]
    if article.site:
        parts.append(f"From {article.site}.")
    parts.append(f"About {minutes} {'minute' if minutes == 1 else 'minutes'}.")
    if full:
        parts.append(f"The full article takes about {full} {'minute' if full == 1 else 'minutes'}.")
    return " ".join(parts)


def _outro(article: Article, truncated: bool) -> str | None:
    title = article.title.rstrip(".")
    if article.language == "de" and article.summary_of_words is not None:
        return f"Das war die Kurzfassung von: {title}. Danke fürs Zuhören im Hörclub."
    if article.language == "en" and article.summary_of_words is not None:
        return f"That was the short version of: {title}. Thanks for listening to Hörclub."
    if article.language == "de":
        note = " Das war der erste Teil des Artikels." if truncated else ""
        return f"Das war: {article.title.rstrip('.')}.{note} Danke fürs Zuhören im Hörclub."
    if article.language == "en":
        note = " That was the first part of the article." if truncated else ""
        return f"That was: {article.title.rstrip('.')}.{note} Thanks for listening to Hörclub."
    return None


def build_script(article: Article, *, intro: bool = True, truncated: bool = False) -> Script:
    """Lay out the segments: host intro (or the headline), lead, body blocks, host outro."""
    segments: list[Segment] = []
    minutes = listening_minutes(estimate_seconds(article.words))
    host_intro = None
    if intro and article.language == "de":
        host_intro = _intro_de(article, minutes)
    elif intro and article.language == "en":
        host_intro = _intro_en(article, minutes)
    if host_intro:
        segments.append(Segment("host", host_intro, AFTER_INTRO_PAUSE_MS))
    elif article.title:
        # The host announces the headline; the role keeps it from being packed with the lead.
        segments.append(Segment("host", article.title, AFTER_INTRO_PAUSE_MS))
    if article.lead:
        segments.append(Segment("reader", article.lead, PARAGRAPH_PAUSE_MS))
    blocks = article.blocks
    for index, block in enumerate(blocks):
        nxt = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.kind is BlockKind.HEADING:
            segments.append(Segment("reader", block.text, AFTER_HEADING_PAUSE_MS, block.text))
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
