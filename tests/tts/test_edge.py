"""The edge-tts engine against the local fake of Microsoft's WebSocket service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.audio.mp3 import parse_mp3
from bot.config import load_settings
from bot.errors import EngineBusyError, SynthesisError
from bot.models import Clip, WordTiming
from bot.tts.cache import ClipCache
from bot.tts.edge import EDGE_VOICES, EdgeEngine, rate_for_tempo, split_voice
from bot.tts.registry import ENGINE_NAMES, build_engine
from tests.support.audio import probe
from tests.support.fake_edge import (
    LEAD_SILENCE_MS,
    TRAIL_SILENCE_MS,
    FakeEdge,
    mp3_for,
    speech_seconds,
    word_boundaries,
)

GERMAN = "Am vierundzwanzigsten November sagte er, dass es im Herbst kalt ist & nass."
KATJA = "de-DE-KatjaNeural"


async def test_chunk_is_spoken_as_mp3_at_24_khz_48_kbit(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge, tmp_path: Path
) -> None:
    clip = await make_edge().synthesize(GERMAN, KATJA)
    assert fake_edge.texts == [GERMAN]  # the ampersand went out escaped and came back whole
    request = fake_edge.requests[0]
    assert request.voice == "Microsoft Server Speech Text to Speech Voice (de-DE, KatjaNeural)"
    assert (request.rate, request.pitch) == ("+0%", "+0Hz")
    assert clip.data == mp3_for(GERMAN)
    kinds = {frame.kind for frame in parse_mp3(clip.data)}
    assert {(k.sample_rate, k.channels, k.bitrate) for k in kinds} == {(24000, 1, 48000)}
    path = tmp_path / "clip.mp3"
    path.write_bytes(clip.data)
    padding = (LEAD_SILENCE_MS + TRAIL_SILENCE_MS) / 1000
    assert probe(path)["duration"] == pytest.approx(speech_seconds(GERMAN) + padding, abs=0.1)


async def test_word_boundaries_are_kept_on_the_clip(make_edge: Callable[..., EdgeEngine]) -> None:
    clip = await make_edge().synthesize(GERMAN, KATJA)
    expected = word_boundaries(GERMAN)
    assert [w.text for w in clip.words] == [b.text for b in expected]
    assert clip.words[0].text == "Am"
    for word, boundary in zip(clip.words, expected, strict=True):
        assert word.start == pytest.approx(boundary.offset / 10_000_000)
        assert word.duration == pytest.approx(boundary.duration / 10_000_000)
    starts = [w.start for w in clip.words]
    assert starts == sorted(starts)


async def test_tempo_goes_through_the_rate_with_pitch_kept(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    engine = make_edge()
    voice = engine.voice_at_tempo(KATJA, 1.25)
    assert voice == "de-DE-KatjaNeural@+25%"
    assert engine.voice_at_tempo(KATJA, 1.0) == KATJA
    assert engine.voice_at_tempo(KATJA, 3.0) is None  # beyond the service: atempo's job
    assert voice is not None
    fast = await engine.synthesize(GERMAN, voice)
    normal = await engine.synthesize(GERMAN, KATJA)
    assert [(r.rate, r.pitch) for r in fake_edge.requests] == [("+25%", "+0Hz"), ("+0%", "+0Hz")]
    assert len(fast.data) < len(normal.data) * 0.85
    assert fast.words[-1].start < normal.words[-1].start


def test_rates_and_voice_ids() -> None:
    assert rate_for_tempo(0.8) == "-20%"
    assert rate_for_tempo(2.0) == "+100%"
    assert rate_for_tempo(0.4) is None
    assert split_voice("de-AT-JonasNeural@-10%") == ("de-AT-JonasNeural", "-10%")
    assert split_voice("de-AT-JonasNeural") == ("de-AT-JonasNeural", "+0%")


def test_voices_by_language_and_locale() -> None:
    engine = EdgeEngine(load_settings())
    assert engine.voice_for("de") == KATJA
    assert engine.voice_for("de-AT") == "de-AT-IngridNeural"
    assert engine.voice_for("de_CH") == "de-CH-LeniNeural"
    assert engine.voice_for("de-LU") == KATJA  # a German locale without voices of its own
    assert engine.voice_for("en") == "en-US-AvaNeural"
    assert engine.voice_for("fr") is None
    locales = {v.locale for v in EDGE_VOICES}
    assert {"de-DE", "de-AT", "de-CH", "en-US", "en-GB"} <= locales
    names = {v.id for v in EDGE_VOICES}
    for needed in ("Katja", "Conrad", "Amala", "Killian", "FlorianMultilingual",
                   "SeraphinaMultilingual"):  # fmt: skip
        assert f"de-DE-{needed}Neural" in names
    assert {"de-AT-IngridNeural", "de-AT-JonasNeural", "de-CH-LeniNeural", "de-CH-JanNeural"} <= (
        names
    )
    assert "edge" in ENGINE_NAMES
    assert isinstance(build_engine("edge", load_settings()), EdgeEngine)


async def test_retries_429_and_503_then_succeeds(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.fail_next(1, 429)
    fake_edge.fail_next(1, 503)
    clip = await make_edge().synthesize(GERMAN, KATJA)
    assert clip.data == mp3_for(GERMAN)
    assert fake_edge.handshakes == 3


async def test_busy_after_retries_is_engine_busy(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.fail_next(3, 429)
    with pytest.raises(EngineBusyError) as caught:
        await make_edge(HOERCLUB_EDGE_RETRIES=2).synthesize(GERMAN, KATJA)
    assert caught.value.params["status"] == 429
    assert fake_edge.handshakes == 3
    assert fake_edge.requests == []


async def test_403_is_not_retried_beyond_the_librarys_clock_fix(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.fail_next(2, 403)
    with pytest.raises(SynthesisError) as caught:
        await make_edge().synthesize(GERMAN, KATJA)
    assert caught.value.params["status"] == 403
    # edge-tts corrects its clock from the Date header and tries once more; we stop there.
    assert fake_edge.handshakes == 2


async def test_connection_closed_mid_stream_is_retried_not_kept(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    long_text = " ".join([GERMAN] * 4)  # several audio messages, so the cut leaves a stub
    fake_edge.close_next(1)
    clip = await make_edge().synthesize(long_text, KATJA)
    assert clip.data == mp3_for(long_text)  # the whole clip, not the stub of the first try
    assert fake_edge.handshakes == 2


async def test_a_stalled_chunk_times_out_and_is_retried(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.stall_next(1, 5.0)
    clip = await make_edge(HOERCLUB_EDGE_TIMEOUT=0.5).synthesize(GERMAN, KATJA)
    assert clip.data == mp3_for(GERMAN)
    assert fake_edge.handshakes == 2


async def test_always_stalling_ends_as_synthesis_error(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.stall_next(2, 5.0)
    with pytest.raises(SynthesisError, match=r"did not finish within 0\.3 s"):
        await make_edge(HOERCLUB_EDGE_TIMEOUT=0.3, HOERCLUB_EDGE_RETRIES=1).synthesize(
            GERMAN, KATJA
        )


async def test_requests_in_flight_are_bounded(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    fake_edge.delay = 0.15
    engine = make_edge(HOERCLUB_EDGE_CONCURRENCY=2, HOERCLUB_WORKERS=1)
    texts = [f"Satz Nummer {n} mit ein paar Wörtern." for n in range(6)]
    clips = await asyncio.gather(*(engine.synthesize(t, KATJA) for t in texts))
    assert all(clip.data for clip in clips)
    assert fake_edge.max_concurrent == 2


async def test_two_engines_reach_their_own_endpoints(tmp_path: Path) -> None:
    """The endpoint seam is per connection: concurrent engines do not cross."""
    with FakeEdge() as one, FakeEdge() as two:
        one.delay = two.delay = 0.05
        engines = [
            EdgeEngine(load_settings(HOERCLUB_EDGE_ENDPOINT=fake.url, HOERCLUB_DATA_DIR=tmp_path))
            for fake in (one, two)
        ]
        texts = [f"Text {n} für den Dienst." for n in range(8)]
        await asyncio.gather(
            *(engines[n % 2].synthesize(text, KATJA) for n, text in enumerate(texts))
        )
    assert sorted(one.texts) == texts[0::2]
    assert sorted(two.texts) == texts[1::2]


async def test_unknown_voices_are_refused_before_any_request(
    make_edge: Callable[..., EdgeEngine], fake_edge: FakeEdge
) -> None:
    with pytest.raises(SynthesisError, match="no voice"):
        await make_edge().synthesize(GERMAN, "de-DE-NobodyNeural")
    assert fake_edge.handshakes == 0
    empty = await make_edge().synthesize("   ", KATJA)
    assert empty.data == b""


async def test_word_timings_survive_the_clip_cache(
    make_edge: Callable[..., EdgeEngine], tmp_path: Path
) -> None:
    engine = make_edge()
    cache = ClipCache(tmp_path / "cache")
    made = await cache.get_or_create(
        "edge", KATJA, GERMAN, lambda: engine.synthesize(GERMAN, KATJA)
    )
    again = ClipCache(tmp_path / "cache").get("edge", KATJA, GERMAN)
    assert again is not None
    assert again.data == made.data
    assert again.words == made.words
    assert again.words[1] == WordTiming(made.words[1].text, made.words[1].start,
                                        made.words[1].duration)  # fmt: skip
    plain = Clip(data=mp3_for("Ohne Wörter."), format="mp3", sample_rate=24000)
    cache.put("gtts", "de", "Ohne Wörter.", plain)
    loaded = cache.get("gtts", "de", "Ohne Wörter.")
    assert loaded is not None
    assert loaded.words == ()
