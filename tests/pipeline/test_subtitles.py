"""Subtitles: WebVTT cues from edge-tts's word boundaries, placed on the assembled file's time."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.audio.wav import wav_bytes
from bot.config import load_settings
from bot.models import Clip, WordTiming
from bot.pipeline.article import text_to_article
from bot.pipeline.run import Pipeline, RenderOptions
from bot.pipeline.subtitles import Cue, subtitle_cues, webvtt
from tests.support import fake_edge
from tests.support.audio import decode_pcm, probe
from tests.support.fake_edge import FakeEdge
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_gtts import mp3_for as gtts_mp3
from tests.test_cli import run_cli

TEXT = (
    "Neue Radwege für die Stadt\n\n"
    "Der Stadtrat hat am Dienstag beschlossen, zwölf Kilometer neue Radwege zu bauen. "
    "Die Arbeiten sollen im Frühjahr beginnen.\n\n"
    "Kritik kam von der Opposition. Sie hält die Pläne für zu teuer und fordert eine "
    "Bürgerbefragung, bevor der erste Bagger rollt.\n\n"
    "Die Verwaltung will die Kosten im Herbst vorlegen. Bis dahin sollen Fachleute prüfen, "
    "welche Straßen zuerst an der Reihe sind und wie viel Platz für Autos bleibt."
)
_CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(.+)")


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file."""
    assert text.startswith("WEBVTT\n")
    cues = []
    for match in _CUE.finditer(text):
        g = [int(x) for x in match.groups()[:8]]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append(Cue(start, end, match.group(9)))
    return cues


def speech_onsets(path: Path, rate: int = 24000) -> list[float]:
    """Where speech starts after at least 100 ms of silence, in the decoded file (s)."""
    samples = array("h", decode_pcm(path, rate))
    block = rate // 200  # 5 ms
    onsets: list[float] = []
    quiet = 100  # blocks of silence so far (the start counts as after silence)
    for start in range(0, len(samples) - block, block):
        window = samples[start : start + block]
        loud = max(window) > 300 or min(window) < -300
        if loud and quiet >= 20:
            onsets.append(start / rate)
        quiet = 0 if loud else quiet + 1
    return onsets


@pytest.fixture
def edge() -> Iterator[FakeEdge]:
    with FakeEdge() as server:
        yield server


async def test_word_cues_sit_on_the_speech_of_the_file(tmp_path: Path, edge: FakeEdge) -> None:
    settings = load_settings(HOERCLUB_DATA_DIR=tmp_path / "data", HOERCLUB_EDGE_ENDPOINT=edge.url)
    pipeline = Pipeline(settings)
    try:
        article = text_to_article(TEXT)
        options = RenderOptions(engine="edge", subtitles=True)
        chunks = pipeline.prepare(article, options).chunks
        result = await pipeline.render(article, tmp_path / "radwege.mp3", options)
    finally:
        await pipeline.aclose()
    assert result.subtitles == tmp_path / "radwege.vtt"
    cues = parse_vtt(result.subtitles.read_text(encoding="utf-8"))
    # Every word the service reported, in the order spoken, and nothing else.
    expected = [b.text for chunk in chunks for b in fake_edge.word_boundaries(chunk.text)]
    assert " ".join(c.text for c in cues).split() == expected
    starts = [c.start for c in cues]
    assert starts == sorted(starts)
    assert all(c.start <= c.end for c in cues)
    duration = probe(result.path)["duration"]
    assert cues[-1].end <= duration + 0.05
    # Each clip's first word starts where its speech starts in the decoded file (the clips
    # are separated by pauses; LAME's delay of about 50 ms is the tolerance).
    onsets = speech_onsets(result.path)
    assert len(onsets) == len(chunks)
    firsts = []
    index = 0
    for chunk in chunks:
        firsts.append(cues[index].start)
        index += sum(1 for _ in _cues_of(cues[index:], len(fake_edge.word_boundaries(chunk.text))))
    for onset, first in zip(onsets, firsts, strict=True):
        assert first == pytest.approx(onset, abs=0.08)


def _cues_of(cues: list[Cue], words: int) -> Iterator[Cue]:
    """The leading cues that hold `words` words."""
    for cue in cues:
        if words <= 0:
            return
        words -= len(cue.text.split())
        yield cue


async def test_clips_without_word_timings_give_one_cue_each() -> None:
    texts = ["Erster Satz des Artikels.", "Zweiter Satz, etwas länger als der erste."]
    clips = [
        Clip(gtts_mp3(text), "mp3", 24000, pause_after_ms=500 * (i == 0))
        for i, text in enumerate(texts)
    ]
    cues = await subtitle_cues(clips, texts)
    assert [c.text for c in cues] == texts
    assert 0.0 <= cues[0].start < 0.15  # after the silent frames that carry the bit reservoir
    assert cues[1].start >= cues[0].end + 0.45  # the pause between them
    slow = await subtitle_cues(clips, texts, tempo=0.5)
    assert slow[1].start == pytest.approx(cues[1].start * 2)


async def test_mixed_engines_still_place_words() -> None:
    """An edge clip after a WAV clip goes the PCM way; the words still land after the first."""
    tone = array("h", [8000 if (i // 20) % 2 else -8000 for i in range(24000)]).tobytes()
    silence = bytes(2400 * 2)
    wav = wav_bytes(silence + tone + silence, 24000)
    text = "Zweiter Teil vom neuronalen Sprecher."
    words = tuple(
        WordTiming(b.text, b.offset / 1e7, b.duration / 1e7)
        for b in fake_edge.word_boundaries(text)
    )
    clips = [
        Clip(wav, "wav", 24000, pause_after_ms=400),
        Clip(fake_edge.mp3_for(text), "mp3", 24000, words=words),
    ]
    cues = await subtitle_cues(clips, ["Erster Teil.", text])
    assert cues[0].text == "Erster Teil."
    assert cues[0].end == pytest.approx(1.0 + 0.03, abs=0.03)  # the tone, trimmed, with margins
    assert " ".join(c.text for c in cues[1:]).split() == text.rstrip(".").split()
    assert cues[1].start == pytest.approx(cues[0].end + 0.4, abs=0.12)


def test_webvtt_format() -> None:
    text = webvtt([Cue(0.0, 1.5, "Hallo"), Cue(3661.25, 3662.0, "Welt")])
    assert text == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\nHallo\n\n"
        "2\n01:01:01.250 --> 01:01:02.000\nWelt\n"
    )


def test_read_subtitles_from_the_command_line(tmp_path: Path, edge: FakeEdge) -> None:
    source = tmp_path / "radwege.txt"
    source.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "radwege.mp3"
    with FakeGTTS():
        result = run_cli(
            "read", str(source), "-o", str(out), "--engine", "edge", "--subtitles",
            env={"HOERCLUB_EDGE_ENDPOINT": edge.url, "HOERCLUB_DATA_DIR": str(tmp_path / "d")},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(out), str(tmp_path / "radwege.vtt")]
    cues = parse_vtt((tmp_path / "radwege.vtt").read_text(encoding="utf-8"))
    assert "Radwege" in " ".join(c.text for c in cues)
