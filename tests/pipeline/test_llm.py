"""The language-model paths against a local OpenAI-compatible server: summaries, every fallback,
and the Raumgespräch script with its validation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.config import load_settings
from bot.errors import LanguageModelError, LanguageModelMissingError
from bot.pipeline.llm import ChatClient, LLMConfig
from bot.pipeline.run import Pipeline, RenderOptions
from bot.pipeline.shorten import shorten
from bot.pipeline.summarize import summarize
from bot.pipeline.talk import parse_talk
from tests.support.fake_openai import FakeOpenAI
from tests.support.summaries import load_fixtures

ARTICLE = next(f for f in load_fixtures() if f.name == "wirtschaft-quartal").article
GERMAN_SUMMARY = (
    "Der Maschinenbauer Kessler & Roth hat im dritten Quartal mehr verdient als erwartet. Der "
    "Umsatz sank um vier Prozent auf 1,21 Milliarden Euro, der operative Gewinn stieg um elf "
    "Prozent auf 143 Millionen Euro. Grund ist vor allem ein Sparprogramm und das Geschäft mit "
    "Ersatzteilen und Wartung. Vorstandschefin Ursula Lindner sagte, das Unternehmen habe seine "
    "Hausaufgaben gemacht. Sorgen macht die schwache Nachfrage aus China, wo die Bestellungen um "
    "ein Fünftel einbrachen. Am Abbau von 900 Stellen in Deutschland hält der Konzern fest. Die "
    "Prognose für das Gesamtjahr bestätigte der Vorstand."
)
ENGLISH_SUMMARY = (
    "The machine maker Kessler & Roth earned more than expected in the third quarter. Revenue "
    "fell by four percent to 1.21 billion euros, while operating profit rose by eleven percent "
    "to 143 million euros. The company is sticking to its plan to cut 900 jobs in Germany and "
    "confirmed its forecast for the full year, although demand from China remains weak."
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[ChatClient]:
    chat = ChatClient(LLMConfig(fake.base_url, "test-model", "sk-test", timeout=1.0))
    yield chat
    await chat.aclose()


async def test_the_model_writes_the_summary(fake: FakeOpenAI, client: ChatClient) -> None:
    fake.content = GERMAN_SUMMARY
    result = await shorten(ARTICLE, seconds=75, client=client, prefer="llm")
    assert result.method == "llm"
    assert not result.fell_back
    assert not result.tell_user
    assert result.article.text.startswith(ARTICLE.title)
    assert "143 Millionen Euro" in result.article.text
    assert result.article.summary_of_words == ARTICLE.words
    request = fake.requests[-1]
    assert request["model"] == "test-model"
    system, user = request["messages"]
    assert system["role"] == "system"
    assert "ausschließlich Fakten aus dem Artikel" in system["content"]
    assert "höchstens 188 Wörtern" in user["content"]  # 75 s at 150 words a minute
    assert ARTICLE.blocks[-1].text in user["content"]  # the article is the source


def _fallback_case(fake: FakeOpenAI, case: str) -> None:
    if case == "error":
        fake.mode = "error"
    elif case == "status_429":
        fake.mode, fake.status = "error", 429
    elif case == "slow":
        fake.mode, fake.delay = "slow", 1.5
    elif case == "garbage":
        fake.mode = "garbage"
    elif case == "wrong_shape":
        fake.mode = "wrong_shape"
    elif case == "empty":
        fake.content = "   "
    elif case == "english":
        fake.content = ENGLISH_SUMMARY
    elif case == "too_long":
        fake.content = " ".join([GERMAN_SUMMARY] * 3)


FALLBACKS = (
    "error",
    "status_429",
    "slow",
    "garbage",
    "wrong_shape",
    "empty",
    "english",
    "too_long",
)


@pytest.mark.parametrize("case", FALLBACKS)
@pytest.mark.parametrize("prefer", ["llm", "auto"])
async def test_every_failure_falls_back_to_the_extractive_summary(
    fake: FakeOpenAI, client: ChatClient, case: str, prefer: Any
) -> None:
    _fallback_case(fake, case)
    result = await shorten(ARTICLE, seconds=75, client=client, prefer=prefer)
    assert result.method == "extractive"
    assert result.fell_back
    assert result.tell_user is (prefer == "llm")  # told only when the LLM was asked for
    assert result.article == summarize(ARTICLE, 75)
    assert len(fake.requests) == 1  # asked once, no retries


async def test_without_a_model_the_summary_is_extractive_and_auto_is_not_a_fallback() -> None:
    auto = await shorten(ARTICLE, seconds=75, client=None, prefer="auto")
    assert (auto.method, auto.fell_back, auto.tell_user) == ("extractive", False, False)
    asked = await shorten(ARTICLE, seconds=75, client=None, prefer="llm")
    assert (asked.method, asked.fell_back, asked.tell_user) == ("extractive", True, True)


def _talk_json(lines: list[tuple[str, str]]) -> str:
    return json.dumps({"lines": [{"speaker": s, "line": t} for s, t in lines]}, ensure_ascii=False)


GUEST_TURN = (
    "Der Umsatz ist um vier Prozent auf 1,21 Milliarden Euro gesunken, aber der operative "
    "Gewinn stieg um elf Prozent auf 143 Millionen Euro, vor allem dank eines Sparprogramms, "
    "günstigerer Logistik und eines starken Geschäfts mit Ersatzteilen und Wartungsverträgen."
)
GOOD_TALK = [
    ("host", "Willkommen im Raumgespräch. Heute geht es um einen Artikel aus dem "
             "Wirtschaftsdienst Süd über Kessler & Roth. Was ist passiert?"),
    *[("guest", GUEST_TURN), ("host", "Und wie geht es weiter?")] * 8,
    ("guest", GUEST_TURN),
]  # fmt: skip


async def test_the_model_writes_a_talk_that_passes_validation(
    fake: FakeOpenAI, tmp_path: Any
) -> None:
    fake.content = _talk_json(GOOD_TALK)
    settings = load_settings(
        HOERCLUB_TTS_ENGINE="espeak",
        HOERCLUB_DATA_DIR=tmp_path / "data",
        HOERCLUB_LLM_BASE_URL=fake.base_url,
        HOERCLUB_LLM_MODEL="test-model",
    )
    pipeline = Pipeline(settings)
    try:
        talk = await pipeline.talk(ARTICLE)
        assert [t.speaker for t in talk.lines][:3] == ["host", "guest", "host"]
        assert fake.requests[-1]["response_format"] == {"type": "json_object"}
        assert "Wirtschaftsdienst Süd" in fake.requests[-1]["messages"][1]["content"]
        script = pipeline.talk_script(talk)
        assert [s.role for s in script.segments][:2] == ["host", "guest"]
        assert script.segments[0].chapter is not None  # each question starts a chapter
        assert script.segments[0].pause_after_ms != script.segments[1].pause_after_ms
        prepared = pipeline.prepare(ARTICLE, RenderOptions(engine="espeak"), script)
        assert prepared.voices["host"] != prepared.voices["guest"]  # espeak has variants
        spoken = " ".join(c.text for c in prepared.chunks)
        assert "Raumgespräch" in spoken
        assert "Willkommen im Hörclub" not in spoken  # the talk replaces the reading
    finally:
        await pipeline.aclose()


async def test_talk_without_a_model_says_what_to_set(tmp_path: Any) -> None:
    pipeline = Pipeline(load_settings(HOERCLUB_DATA_DIR=tmp_path / "data"))
    try:
        with pytest.raises(LanguageModelMissingError) as info:
            await pipeline.talk(ARTICLE)
        assert info.value.key == "error.llm_missing"
    finally:
        await pipeline.aclose()


BAD_TALKS = {
    "not json": "Moderatorin: Hallo!",
    "third speaker": _talk_json([*GOOD_TALK, ("narrator", "Und nun das Wetter.")]),
    "empty line": _talk_json([*GOOD_TALK[:-1], ("guest", "  ")]),
    "only the host": _talk_json([("host", GUEST_TURN)] * 12),
    "too short": _talk_json(GOOD_TALK[:3]),
    "too long": _talk_json(GOOD_TALK * 3),
    "line too long": _talk_json([*GOOD_TALK[:-1], ("guest", GUEST_TURN * 4)]),
    "no list": json.dumps({"lines": "host: hallo"}),
}


@pytest.mark.parametrize("answer", BAD_TALKS.values(), ids=BAD_TALKS.keys())
def test_an_invalid_talk_is_refused(answer: str) -> None:
    with pytest.raises(LanguageModelError):
        parse_talk(answer, "Titel")


def test_a_fenced_talk_is_read() -> None:
    talk = parse_talk("```json\n" + _talk_json(GOOD_TALK) + "\n```", "Titel")
    assert len(talk.lines) == len(GOOD_TALK)


async def test_a_model_error_during_the_talk_is_a_clear_error(
    fake: FakeOpenAI, client: ChatClient
) -> None:
    from bot.pipeline.talk import write_talk

    fake.mode = "error"
    with pytest.raises(LanguageModelError) as info:
        await write_talk(ARTICLE, client)
    assert info.value.key == "error.llm"
