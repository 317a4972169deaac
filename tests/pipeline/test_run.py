"""The Pipeline service end to end: a link on a local server becomes a decodable audio file."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import (
    ArticleTooLongError,
    ForbiddenAddressError,
    NoArticleError,
    NoWordsError,
    PaywallError,
    UnsupportedLanguageError,
)
from bot.models import Block, BlockKind
from bot.pipeline.article import text_to_article
from bot.pipeline.chunk import chunk_text
from bot.pipeline.run import Pipeline, Progress, RenderOptions
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS


@pytest.fixture
def server() -> ArticleServer:
    with ArticleServer() as srv:
        yield srv  # type: ignore[misc]


@pytest.fixture
def fake() -> FakeGTTS:
    with FakeGTTS() as srv:
        yield srv  # type: ignore[misc]


def _pipeline(tmp_path: Path, fake: FakeGTTS | None = None, **env: object) -> Pipeline:
    settings = load_settings(
        HOERCLUB_DATA_DIR=tmp_path / "data",
        HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
        HOERCLUB_GTTS_ENDPOINT=fake.url if fake else "http://127.0.0.1:9/",
        HOERCLUB_GTTS_RETRIES=1,
        **env,
    )
    return Pipeline(settings)


async def test_link_becomes_mp3_with_gtts_and_progress(
    tmp_path: Path, server: ArticleServer, fake: FakeGTTS
) -> None:
    pipeline = _pipeline(tmp_path, fake)
    events: list[Progress] = []

    async def progress(p: Progress) -> None:
        events.append(p)

    try:
        article = await pipeline.load(server.url("/clubhouse-musk.html"))
        out = tmp_path / "a.mp3"
        result = await pipeline.render(article, out, RenderOptions(engine="gtts"), progress)
    finally:
        await pipeline.aclose()
    info = probe(out)
    assert info["codec"] == "mp3"
    # The fake speaks about 65 ms per character; the file holds all of it plus pauses.
    chars = sum(len(t) for t in fake.texts)
    assert chars * 0.05 < info["duration"] < chars * 0.1 + 30
    assert abs(result.duration_seconds - info["duration"]) < 1.0
    assert not result.fell_back
    # One request per chunk, each within gTTS's 100 characters; the ordinal stays attached.
    assert all(len(t) <= 100 for t in fake.texts)
    assert any(t.startswith("Willkommen im Hörclub") for t in fake.texts)
    stages = [e.stage for e in events]
    assert stages[0] == "synthesize"
    assert stages[-1] == "done"
    assert events[-2].stage == "assemble"
    synth = [e for e in events if e.stage == "synthesize"]
    assert synth[-1].done == synth[-1].total == len(fake.texts)


async def test_second_render_is_served_from_the_clip_cache(
    tmp_path: Path, server: ArticleServer, fake: FakeGTTS
) -> None:
    pipeline = _pipeline(tmp_path, fake)
    try:
        article = await pipeline.load(server.url("/regional-bahn.html"))
        await pipeline.render(article, tmp_path / "1.mp3", RenderOptions(engine="gtts"))
        first = len(fake.texts)
        await pipeline.render(article, tmp_path / "2.mp3", RenderOptions(engine="gtts"))
    finally:
        await pipeline.aclose()
    assert first > 5
    assert len(fake.texts) == first
    assert abs(probe(tmp_path / "1.mp3")["duration"] - probe(tmp_path / "2.mp3")["duration"]) < 0.1


async def test_busy_engine_falls_back_to_the_offline_voice(
    tmp_path: Path, server: ArticleServer, fake: FakeGTTS
) -> None:
    fake.fail_next(10_000, status=500)
    pipeline = _pipeline(tmp_path, fake)
    try:
        article = await pipeline.load(server.url("/regional-bahn.html"))
        result = await pipeline.render(article, tmp_path / "f.mp3", RenderOptions(engine="gtts"))
    finally:
        await pipeline.aclose()
    assert result.fell_back
    assert result.engine == "espeak"
    assert probe(tmp_path / "f.mp3")["duration"] > 30


async def test_tempo_and_voice_message_format(tmp_path: Path, server: ArticleServer) -> None:
    pipeline = _pipeline(tmp_path)
    try:
        article = await pipeline.load(server.url("/regional-bahn.html"))
        normal = await pipeline.render(
            article, tmp_path / "n.ogg", RenderOptions(engine="espeak", format="ogg")
        )
        fast = await pipeline.render(
            article, tmp_path / "f.ogg", RenderOptions(engine="espeak", format="ogg", tempo=1.5)
        )
    finally:
        await pipeline.aclose()
    assert probe(tmp_path / "n.ogg")["codec"] == "opus"
    ratio = probe(tmp_path / "f.ogg")["duration"] / probe(tmp_path / "n.ogg")["duration"]
    assert 0.6 < ratio < 0.73, ratio
    assert fast.duration_seconds < normal.duration_seconds


async def test_refusals(tmp_path: Path, server: ArticleServer) -> None:
    pipeline = _pipeline(tmp_path)
    try:
        with pytest.raises(ForbiddenAddressError):
            await pipeline.load("file:///etc/passwd")
        with pytest.raises(ForbiddenAddressError):
            await pipeline.load("/etc/passwd")
        with pytest.raises(NoArticleError):
            await pipeline.load(server.url("/startseite.html"))
        with pytest.raises(PaywallError):
            await pipeline.load(server.url("/paywall.html"))
    finally:
        await pipeline.aclose()


async def test_too_long_article_is_refused_or_cut(tmp_path: Path, server: ArticleServer) -> None:
    pipeline = _pipeline(tmp_path, HOERCLUB_MAX_ARTICLE_WORDS=100)
    try:
        article = await pipeline.load(server.url("/clubhouse-musk.html"))
        with pytest.raises(ArticleTooLongError):
            pipeline.prepare(article, RenderOptions(engine="espeak"))
        prepared = pipeline.prepare(article, RenderOptions(engine="espeak", truncate_words=100))
    finally:
        await pipeline.aclose()
    assert prepared.truncated
    assert prepared.article.words <= 100
    assert "erste Teil" in " ".join(c.text for c in prepared.chunks)


async def test_english_article_gets_an_english_voice(tmp_path: Path, server: ArticleServer) -> None:
    pipeline = _pipeline(tmp_path)
    try:
        article = await pipeline.load(server.url("/english-news.html"))
        prepared = pipeline.prepare(article, RenderOptions(engine="espeak"))
    finally:
        await pipeline.aclose()
    assert prepared.voice.startswith("en")
    assert prepared.chunks[0].text.startswith("Welcome to Hörclub")


async def test_language_without_a_voice_is_told(tmp_path: Path) -> None:
    text = (
        "Den nye cykelsti langs havnen åbner på mandag efter to års byggeri. Kommunen forventer, "
        "at flere tusinde cyklister vil bruge den hver dag, og at trafikken i centrum bliver "
        "roligere. Borgmesteren siger, at projektet er et vigtigt skridt mod en grønnere by, "
        "men nogle butiksejere er bekymrede for færre parkeringspladser foran deres forretninger."
    )
    article = text_to_article("Ny cykelsti åbner\n\n" + text)
    assert article.language == "da"
    pipeline = _pipeline(tmp_path)
    try:
        assert pipeline.prepare(article, RenderOptions(engine="gtts")).voice.startswith("da")
        # A language no engine speaks (Klingon's ISO code) is told, not read with a wrong voice.
        alien = dataclasses.replace(article, language="tlh")
        with pytest.raises(UnsupportedLanguageError):
            pipeline.prepare(alien, RenderOptions(engine="gtts"))
    finally:
        await pipeline.aclose()


def test_gtts_request_count_is_near_the_character_bound() -> None:
    text = Path(__file__).parent.parent / "data" / "pages" / "clubhouse-musk.expected.txt"
    body = " ".join(text.read_text(encoding="utf-8").split())
    chunks = chunk_text(body, 100)
    # The chunker pays up to a request to avoid a cut without punctuation (budget 1.40, as in
    # tests/pipeline/test_chunk.py); 34 requests here for ceil(chars / 100) = 26.
    assert len(chunks) <= math.ceil(len(body) / 100) * 1.4 + 1


async def test_an_article_of_nothing_speakable_is_refused_not_read_as_the_host_alone(
    tmp_path: Path,
) -> None:
    # Words by count (each token has a letter or digit) that normalise to nothing spoken.
    article = dataclasses.replace(
        text_to_article("Titel\n\n" + "Sie sagt ja. " * 30),
        blocks=(Block(BlockKind.PARAGRAPH, "🎉 ✨ · ‹› ✓ ✗ ★ ☆ 🎧 ⟶"),),
    )
    pipeline = _pipeline(tmp_path)
    try:
        with pytest.raises(NoWordsError):
            pipeline.prepare(article, RenderOptions(engine="espeak"))
        # With a real paragraph the same article has the host and the text.
        prepared = pipeline.prepare(
            dataclasses.replace(article, blocks=(Block(BlockKind.PARAGRAPH, "Sie sagt ja."),)),
            RenderOptions(engine="espeak"),
        )
    finally:
        await pipeline.aclose()
    assert any("Sie sagt ja" in chunk.text for chunk in prepared.chunks)
