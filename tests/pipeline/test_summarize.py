"""The extractive summary on the fixture articles: key facts, length, verbatim sentences, quotes."""

from __future__ import annotations

import re

import pytest

from bot.models import Article, Block, BlockKind
from bot.pipeline.chunk import split_sentences
from bot.pipeline.script import build_script, estimate_seconds
from bot.pipeline.summarize import summarize
from tests.support.summaries import SummaryFixture, kept_facts, load_fixtures

FIXTURES = load_fixtures()
TARGETS = (60.0, 75.0, 120.0)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def test_there_are_enough_fixtures_of_the_promised_size() -> None:
    assert len(FIXTURES) >= 15
    for fixture in FIXTURES:
        assert 300 <= fixture.article.words <= 1500, fixture.name
        assert fixture.key_facts, fixture.name


def test_key_facts_are_kept_overall() -> None:
    kept = total = 0
    for fixture in FIXTURES:
        # Every key fact is in its article: a fixture that cannot be met would be noise.
        assert all(kept_facts(fixture, fixture.article.text)), fixture.name
        facts = kept_facts(fixture, summarize(fixture.article, 75.0).text)
        kept += sum(facts)
        total += len(facts)
    assert kept / total >= 0.80, f"{kept}/{total}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
@pytest.mark.parametrize("seconds", TARGETS)
def test_length_is_within_twenty_percent(fixture: SummaryFixture, seconds: float) -> None:
    summary = summarize(fixture.article, seconds)
    if estimate_seconds(fixture.article.words) <= seconds * 1.2:
        assert summary.words <= fixture.article.words  # short enough already: nothing cut
        return
    assert abs(estimate_seconds(summary.words) / seconds - 1) <= 0.20, summary.words


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_every_sentence_is_verbatim_whole_and_in_order(fixture: SummaryFixture) -> None:
    article = fixture.article
    summary = summarize(article, 75.0)
    originals = split_sentences("\n\n".join(article.paragraphs()[1:]))
    kept = split_sentences("\n\n".join(summary.paragraphs()[1:]))
    assert kept
    positions = [originals.index(sentence) for sentence in kept]  # ValueError if not whole
    assert positions == sorted(positions)
    for sentence in kept:
        assert sentence in _collapse(article.text)
    assert summary.title == article.title
    assert summary.site == article.site
    assert summary.summary_of_words == article.words


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_headings_are_never_taken(fixture: SummaryFixture) -> None:
    summary = summarize(fixture.article, 120.0)
    headings = {b.text for b in fixture.article.blocks if b.kind is BlockKind.HEADING}
    assert all(block.kind is not BlockKind.HEADING for block in summary.blocks)
    for block in summary.blocks:
        assert block.text not in headings


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if f.quote_pairs], ids=lambda f: f.name)
@pytest.mark.parametrize("seconds", TARGETS)
def test_quotes_keep_their_speaker(fixture: SummaryFixture, seconds: float) -> None:
    summary = _collapse(summarize(fixture.article, seconds).text)
    for quote, speaker in fixture.quote_pairs:
        if quote in summary:
            # The speaker is named in the quote's sentence, the one after, or the two before
            # (the nearer of which may call the speaker "er" or "sie").
            sentences = split_sentences(summary)
            at = next(i for i, s in enumerate(sentences) if quote in s)
            near = " ".join(sentences[max(0, at - 2) : at + 2])
            assert re.search(speaker, near), (quote, near)


def _quote_article() -> Article:
    filler = [
        Block(BlockKind.PARAGRAPH, f"Der Ausschuss tagte am {day}. Mai im Rathaus der Stadt.")
        for day in range(1, 30)
    ]
    quote_para = Block(
        BlockKind.PARAGRAPH,
        "Bürgermeisterin Anna Berg stellte den Haushalt vor. „Der Haushalt der Stadt ist "
        "solide. Der Haushalt bringt neue Schulen.“ Das sagte sie zum Haushalt.",
    )
    block_quote = [
        Block(BlockKind.PARAGRAPH, "Kämmerer Jan Roth sagte zum Haushalt der Stadt:"),
        Block(BlockKind.QUOTE, "Wir investieren in den Haushalt und sparen nicht an Schulen."),
    ]
    return Article(
        title="Haushalt der Stadt beschlossen",
        lead="Der Stadtrat hat den Haushalt der Stadt beschlossen.",
        blocks=(*filler[:10], quote_para, *filler[10:20], *block_quote, *filler[20:]),
    )


def test_a_quote_split_over_sentences_comes_with_its_speaker() -> None:
    summary = _collapse(summarize(_quote_article(), 40.0).text)
    if "Der Haushalt bringt neue Schulen.“" in summary or "„Der Haushalt der Stadt" in summary:
        assert "Bürgermeisterin Anna Berg stellte den Haushalt vor." in summary
        assert "„Der Haushalt der Stadt ist solide. Der Haushalt bringt neue Schulen.“" in summary
    if "Wir investieren" in summary:
        assert "Kämmerer Jan Roth sagte zum Haushalt der Stadt:" in summary
    assert "Haushalt" in summary.split("beschlossen", 1)[1]  # the quotes were worth taking


def test_a_short_article_is_its_own_summary() -> None:
    article = FIXTURES[0].article
    summary = summarize(article, 600.0)
    headings = sum(len(b.text.split()) for b in article.blocks if b.kind is BlockKind.HEADING)
    assert summary.words == article.words - headings
    assert summary.summary_of_words == article.words


def test_the_host_says_it_is_a_short_version_and_how_long_the_full_one_is() -> None:
    fixture = next(f for f in FIXTURES if f.name == "politik-haushalt")
    summary = summarize(fixture.article, 75.0)
    intro = build_script(summary).segments[0].text
    assert "Kurzfassung" in intro
    assert "Der ganze Artikel dauert etwa 9 Minuten." in intro  # 1,306 words at 150 a minute
    outro = build_script(summary).segments[-1].text
    assert outro.startswith("Das war die Kurzfassung von:")
    english = (
        build_script(Article(title="A", blocks=(), language="en", summary_of_words=600))
        .segments[0]
        .text
    )
    assert "short version" in english
    assert "full article takes about 4 minutes" in english
    assert "Kurzfassung" not in build_script(fixture.article).segments[0].text
