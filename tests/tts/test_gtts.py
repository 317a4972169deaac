"""The gTTS engine against the local fake of Google's endpoint: text, retries, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gtts import gTTS

from bot.errors import EngineBusyError, SynthesisError
from bot.tts.gtts import GTTSEngine
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS, speech_seconds

GERMAN = "Am 24. November sagte er z. B., dass es im Herbst kalt ist."


async def test_chunk_arrives_intact_in_one_request(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS, tmp_path: Path
) -> None:
    engine = make_gtts()
    clip = await engine.synthesize(GERMAN, "de")
    assert fake_gtts.texts == [GERMAN]
    assert fake_gtts.langs == ["de"]
    assert clip.format == "mp3"
    assert clip.sample_rate == 24000
    path = tmp_path / "clip.mp3"
    path.write_bytes(clip.data)
    info = probe(path)
    assert info["codec"] == "mp3"
    assert info["channels"] == 1
    # the fake speaks ~65 ms a character, padded with 120 + 250 ms of silence
    assert info["duration"] == pytest.approx(speech_seconds(GERMAN) + 0.37, abs=0.1)


def test_gtts_defaults_would_have_damaged_the_chunk() -> None:
    """Why the engine turns gTTS's tokenizer and pre-processors off (a regression guard)."""
    text = "Am 24. November kam der Herbst. Es ist z. B. kalt, sagt Dr. Müller und fährt weg."
    default = gTTS(text, lang="de", lang_check=False)
    assert default._tokenize(text) != [text]  # gTTS alone deletes the periods after "Herbst"/"ist"
    long_text = text + " Und noch ein Satz, damit es mehr als hundert Zeichen sind."
    assert len(default._tokenize(long_text)) > 2  # and cuts at every ". "


async def test_long_text_is_cut_by_gtts_only_above_its_limit(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    text = "Wort " * 30  # 150 characters: the chunker never sends this, but it must not break
    clip = await make_gtts().synthesize(text.strip(), "de")
    assert len(fake_gtts.texts) == 2
    assert " ".join(fake_gtts.texts).split() == text.split()
    assert clip.data


async def test_retries_429_and_500_then_succeeds(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    fake_gtts.fail_next(2, 429)
    fake_gtts.fail_next(1, 503)
    clip = await make_gtts(HOERCLUB_GTTS_RETRIES=4).synthesize("Guten Tag.", "de")
    assert fake_gtts.statuses == [429, 429, 503, 200]
    assert clip.data


async def test_persistent_500_raises_engine_busy(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    fake_gtts.fail_next(50, 500)
    engine = make_gtts(HOERCLUB_GTTS_RETRIES=2)
    with pytest.raises(EngineBusyError, match="HTTP 500") as caught:
        await engine.synthesize("Guten Tag.", "de")
    assert fake_gtts.requests == 3  # one try and two retries
    assert caught.value.params["status"] == 500


async def test_timeout_is_retried(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    fake_gtts.stall_next(1, 2.0)
    engine = make_gtts(HOERCLUB_GTTS_TIMEOUT=0.3, HOERCLUB_GTTS_RETRIES=2)
    clip = await engine.synthesize("Guten Tag.", "de")
    assert clip.data
    assert fake_gtts.requests == 2  # without the timeout the stalled request would have answered


async def test_timeouts_every_time_raise_synthesis_error(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    fake_gtts.stall_next(5, 2.0)
    engine = make_gtts(HOERCLUB_GTTS_TIMEOUT=0.2, HOERCLUB_GTTS_RETRIES=1)
    with pytest.raises(SynthesisError, match=r"did not answer within 0\.2 s") as caught:
        await engine.synthesize("Guten Tag.", "de")
    assert not isinstance(caught.value, EngineBusyError)
    assert fake_gtts.requests == 2


async def test_client_error_is_not_retried(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    fake_gtts.fail_next(1, 403)
    with pytest.raises(SynthesisError, match="HTTP 403") as caught:
        await make_gtts(HOERCLUB_GTTS_RETRIES=4).synthesize("Guten Tag.", "de")
    assert not isinstance(caught.value, EngineBusyError)
    assert fake_gtts.requests == 1


async def test_answer_without_audio_is_a_clear_error(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    with pytest.raises(SynthesisError, match="without audio"):
        await make_gtts().synthesize("Hallo.", "xx")


async def test_unreachable_endpoint(tmp_path: Path) -> None:
    from bot.config import load_settings

    settings = load_settings(
        HOERCLUB_GTTS_ENDPOINT="http://127.0.0.1:9/batchexecute", HOERCLUB_GTTS_RETRIES=1
    )
    engine = GTTSEngine(settings, backoff_base=0.01, backoff_cap=0.02)
    try:
        with pytest.raises(SynthesisError, match="could not be reached"):
            await engine.synthesize("Hallo.", "de")
    finally:
        await engine.aclose()


async def test_blank_text_sends_nothing(
    make_gtts: Callable[..., GTTSEngine], fake_gtts: FakeGTTS
) -> None:
    clip = await make_gtts().synthesize("   ", "de")
    assert clip.data == b""
    assert fake_gtts.requests == 0


def test_voices(make_gtts: Callable[..., GTTSEngine]) -> None:
    engine = make_gtts()
    assert engine.name == "gtts"
    assert engine.max_chars == 100
    assert engine.output_format == "mp3"
    for lang in ("de", "en", "fr", "es", "it", "nl", "pl"):
        assert engine.voice_for(lang) == lang
    assert engine.voice_for("de-AT") == "de"
    assert engine.voice_for("nb") == "no"
    assert engine.voice_for("xx") is None
