"""Fuzzing the summariser: whole sentences of the article, in order, never an empty summary.

"No lost text" for a summary means: it drops whole sentences only (what it keeps is word for
word the article's), keeps their order, leaves out headings, and gives back every block of an
article already short enough. A run-on text whose every sentence is longer than the summary
may be is the one case that is cut inside a sentence: its opening words, marked with " …".
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.models import Article, Block, BlockKind
from bot.pipeline.sentences import split_sentences
from bot.pipeline.summarize import LENGTH_HIGH, summarize, target_words
from tests.fuzz.bounds import EXAMPLE_SECONDS, within
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import hostile_text, paragraph, word

KIND = "fuzz: summariser"
SECONDS = st.sampled_from([20.0, 75.0, 180.0])


@st.composite
def articles(draw: st.DrawFn) -> Article:
    """Articles of 1 to 20 blocks, some headings, some hostile, maybe a lead."""
    blocks = []
    for _ in range(draw(st.integers(1, 20))):
        kind = draw(st.sampled_from(list(BlockKind)))
        text = draw(
            st.one_of(
                paragraph(),
                paragraph(),
                hostile_text(max_tokens=40, huge=False),
                st.lists(word, min_size=5, max_size=12).map(lambda w: " ".join(w * 40)),  # no end
            )
        )
        if " ".join(text.split()):
            blocks.append(Block(kind, " ".join(text.split())))
    title = " ".join(draw(st.lists(word, min_size=0, max_size=12)))
    lead = draw(st.one_of(st.none(), paragraph(max_sentences=2)))
    return Article(title=title, blocks=tuple(blocks), lead=lead)


def _words(text: str) -> int:
    return len(text.split())


def _body_words(article: Article) -> int:
    return sum(_words(b.text) for b in article.blocks) + _words(article.lead or "")


RUN_ON = Article("Titel", (Block(BlockKind.PARAGRAPH, " ".join(["Wort"] * 600)),))


@pytest.mark.reliability(KIND, sees="a summary of whole sentences, never an empty one")
@fuzz(50)
@given(articles(), SECONDS)
@example(RUN_ON, 75.0)  # every sentence too long: the summary was the headline alone
def test_a_summary_keeps_whole_sentences_in_order(article: Article, seconds: float) -> None:
    with within(EXAMPLE_SECONDS, "summarize"):
        short = summarize(article, seconds)
    assert short.summary_of_words == article.words
    assert all(b.kind is not BlockKind.HEADING for b in short.blocks)
    body = [b for b in article.blocks if b.kind is not BlockKind.HEADING]
    target = target_words(seconds)
    if article.words <= target * LENGTH_HIGH or (not body and not article.lead):
        assert short.blocks == tuple(body)  # short enough: nothing left out
        return
    assert short.blocks or short.lead, "an empty summary: the headline alone"
    source = [s for b in ([article.lead] if article.lead else []) for s in split_sentences(b)]
    source += [s for b in body for s in split_sentences(b.text)]
    kept = [s for b in ([short.lead] if short.lead else []) for s in split_sentences(b)]
    kept += [s for b in short.blocks for s in split_sentences(b.text)]
    if len(kept) == 1 and kept[0].endswith(" …") and kept[0] not in source:
        opening = kept[0].removesuffix(" …")
        assert any(s.startswith(opening) for s in source)  # the run-on case
        assert _words(opening) <= target
        return
    # Every kept sentence is one of the article's, in the article's order.
    position = -1
    for sentence in kept:
        assert sentence in source[position + 1 :], sentence
        position = source.index(sentence, position + 1)
    assert _body_words(short) + _words(short.title) <= target * LENGTH_HIGH + 1
