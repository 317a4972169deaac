"""The host's German: the intro and outro around an article or a pasted text, and its lengths."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.models import Article, Block, BlockKind, Script, Segment
from bot.pipeline.article import text_to_article
from bot.pipeline.chunk import chunk_script
from bot.pipeline.lexicon import Lexicon
from bot.pipeline.normalize import normalize
from bot.pipeline.script import (
    build_script,
    estimate_seconds,
    is_pasted_without_title,
    listening_minutes,
)
from bot.telegram.texts import format_duration
from tests.support.news_article import PAGES

_BODY = " ".join(["Die Stadt plant neue Radwege entlang der Hauptstraße."] * 30)


def _article(**fields: object) -> Article:
    base = Article(title="Neue Radwege", blocks=(Block(BlockKind.PARAGRAPH, _BODY),))
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def test_intro_names_the_outlet_without_needing_its_gender() -> None:
    article = _article(site="Lindenauer Rundschau", author="Anna Weber", date=dt.date(2025, 5, 3))
    intro = build_script(article).segments[0].text
    assert "Quelle: Lindenauer Rundschau." in intro
    assert "Geschrieben von Anna Weber." in intro
    assert "Erschienen am 3. Mai 2025." in intro
    assert " aus Lindenauer" not in intro


def test_pasted_text_gets_a_neutral_intro_and_its_words_are_read_once() -> None:
    text = "Liebe Nachbarinnen und Nachbarn, am Samstag, den 14. Juni, feiern wir. " * 12
    article = text_to_article(text)
    assert is_pasted_without_title(article)
    script = build_script(article, engine="gtts")
    intro, outro = script.segments[0].text, script.segments[-1].text
    assert intro.startswith("Willkommen im Hörclub. Du hörst deinen Text, etwa ")
    assert "Liebe" not in intro
    assert outro == "Das war dein Text. Danke fürs Zuhören im Hörclub."
    spoken = " ".join(segment.text for segment in script.segments)
    assert spoken.count("Liebe Nachbarinnen") == text.count("Liebe Nachbarinnen")
    without_host = build_script(article, intro=False)
    assert without_host.segments[0].role == "reader"


def test_a_real_title_is_not_taken_for_pasted_text() -> None:
    assert not is_pasted_without_title(_article())


def test_estimates_use_the_engines_measured_pace_and_tempo() -> None:
    assert estimate_seconds(125, engine="gtts") == 60.0
    assert estimate_seconds(135, engine="espeak") == 60.0
    assert estimate_seconds(150) == 60.0
    assert estimate_seconds(250, 1.25, "gtts") == 96.0


def test_host_and_caption_round_a_duration_the_same_way() -> None:
    for seconds in (61, 89, 91, 162, 183, 150, 600, 3000):
        caption = format_duration(seconds, "de")
        assert caption == f"{listening_minutes(seconds)} Min."


def test_the_title_is_heard_in_one_piece_after_the_intro() -> None:
    text = (PAGES / "clubhouse-musk.expected.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    article = Article(
        title=paragraphs[0],
        blocks=tuple(Block(BlockKind.PARAGRAPH, p) for p in paragraphs[1:]),
        site="Digital Life Magazin",
    )
    script = build_script(article, engine="gtts")
    lexicon = Lexicon.builtin()
    spoken = Script(
        tuple(Segment(s.role, normalize(s.text, lexicon=lexicon), s.pause_after_ms)
              for s in script.segments)
    )  # fmt: skip
    chunks = chunk_script(spoken, 100, pack_segments=True)
    title = normalize(paragraphs[0], lexicon=lexicon)
    assert any(title in chunk.text for chunk in chunks)


def test_a_headline_that_asks_is_not_closed_twice() -> None:
    article = Article(
        title="Was wird aus den Jobs in Zwickau?",
        blocks=(Block(BlockKind.PARAGRAPH, "Die Belegschaft wartet auf eine Antwort."),),
        site="Sachsenbote",
    )
    spoken = " ".join(seg.text for seg in build_script(article).segments)
    assert "Zwickau?." not in spoken
    assert "Zwickau? Danke" in spoken
