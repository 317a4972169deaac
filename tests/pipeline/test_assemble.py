"""assemble: trimmed clips joined with pauses, checked by decoding what comes out."""

from __future__ import annotations

import array
import io
import wave
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.oggopus import OggOpus

from bot.audio.mp3 import FrameKind, frame_is_silent, main_data_begin, parse_mp3, silent_frame
from bot.audio.wav import wav_bytes
from bot.config import Settings
from bot.errors import AudioError
from bot.models import Clip
from bot.pipeline.assemble import AudioTags, assemble
from bot.pipeline.media import decode_to_pcm, media_duration
from bot.tts.espeak import EspeakEngine
from tests.support.audio import decode_pcm, probe
from tests.support.fake_gtts import mp3_for, speech_seconds

SENTENCES = [
    "Der Bundestag hat am 24. November über den Haushalt beraten.",
    "Die Opposition kritisierte die Pläne scharf.",
    "Zwischenüberschrift",
    "Danach ging es zum Beispiel um die Rente.",
    "Kurz.",
    "Ein etwas längerer Satz, der fast an die Grenze von hundert Zeichen heranreicht, ja.",
    "Noch ein Absatz beginnt hier.",
    "Zweite Überschrift",
    "Und zum Schluss ein letzter Satz.",
    "Ende.",
]
PAUSES = [300, 700, 600, 300, 700, 1200, 300, 600, 300, 0]
CHAPTERS = {2: "Zwischenüberschrift", 7: "Zweite Überschrift"}
TAGS = AudioTags(
    title="Ein Test",
    artist="example.org",
    date="2024-11-24",
    url="https://example.org/artikel",
)
# A trimmed MP3 clip keeps ~3–4 frames (24 ms each) around its speech: the frames whose
# analysis window overlaps the onset and the decay, and the decay frame itself; pauses round to
# whole frames. Untrimmed, the fake's padding would add 370 ms per clip.
PER_CLIP_TOLERANCE = 0.1


def assert_trimmed_length(seconds: float, expected: float, clips: int) -> None:
    """Within the frame overhead above, and far below what untrimmed padding would give."""
    assert expected - 0.03 * clips <= seconds <= expected + PER_CLIP_TOLERANCE * clips


def gtts_clips(repeat: int = 1) -> list[Clip]:
    clips = []
    for _ in range(repeat):
        for index, text in enumerate(SENTENCES):
            clips.append(Clip(mp3_for(text), "mp3", 24000, PAUSES[index], CHAPTERS.get(index)))
    return clips


def expected_seconds(clips_texts: list[str], pauses: list[int]) -> float:
    return sum(speech_seconds(t) for t in clips_texts) + sum(pauses[:-1]) / 1000


@pytest.fixture(scope="module")
def espeak_clips() -> list[Clip]:
    import asyncio

    from bot.config import load_settings

    async def make() -> list[Clip]:
        engine = EspeakEngine(load_settings())
        return [
            Clip(
                (await engine.synthesize(text, "de")).data,
                "wav",
                22050,
                PAUSES[index],
                CHAPTERS.get(index),
            )
            for index, text in enumerate(SENTENCES)
        ]

    return asyncio.run(make())


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as reader:
        return reader.getnframes() / reader.getframerate()


def pad_wav(data: bytes, seconds: float) -> bytes:
    with wave.open(io.BytesIO(data)) as reader:
        rate = reader.getframerate()
        pcm = reader.readframes(reader.getnframes())
    zeros = bytes(int(rate * seconds) * 2)
    return wav_bytes(zeros + pcm + zeros, rate)


# --- MP3 frames ------------------------------------------------------------------------------
async def test_frame_join_duration_is_trimmed_clips_plus_pauses(tmp_path: Path) -> None:
    out = tmp_path / "a.mp3"
    result = await assemble(gtts_clips(), out, fmt="mp3")
    assert result.method == "frames"
    assert result.paths == (out,)
    info = probe(out)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("mp3", 24000, 1)
    assert info["decode_errors"] == []
    assert_trimmed_length(info["duration"], expected_seconds(SENTENCES, PAUSES), len(SENTENCES))
    # one correct header: what the decoder reports up front is what it decodes
    assert info["header_duration"] == pytest.approx(info["duration"], abs=0.03)
    assert result.duration_seconds == pytest.approx(info["duration"], abs=0.03)
    assert MP3(out).info.length == pytest.approx(info["duration"], abs=0.03)


async def test_frame_join_decodes_bit_exact(tmp_path: Path) -> None:
    """Every clip's speech, from its very first sample, decodes exactly as the clip alone."""
    clips = gtts_clips()
    out = tmp_path / "joined.mp3"
    await assemble(clips, out, fmt="mp3")
    joined = decode_pcm(out)
    position = 0
    for index, clip in enumerate(clips):
        single = tmp_path / f"clip{index}.mp3"
        single.write_bytes(clip.data)
        pcm = array.array("h", decode_pcm(single))
        onset = next(i for i, v in enumerate(pcm) if abs(v) > 500)
        piece = pcm[onset : onset + 4800].tobytes()  # the first 200 ms of speech
        found = joined.find(piece, position)
        assert found >= 0, f"clip {index} does not decode bit-exact"
        position = found


async def test_ogg_opus_output(tmp_path: Path) -> None:
    clips = gtts_clips()
    out = tmp_path / "a.ogg"
    result = await assemble(clips, out, fmt="ogg", tags=TAGS)
    info = probe(out)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("opus", 48000, 1)
    assert info["decode_errors"] == []
    assert_trimmed_length(info["duration"], expected_seconds(SENTENCES, PAUSES), len(SENTENCES))
    assert result.duration_seconds == pytest.approx(info["duration"], abs=0.1)
    tags = OggOpus(out).tags
    assert tags is not None
    assert tags["title"] == ["Ein Test"]
    assert tags["album"] == ["Hörclub"]
    assert tags["CHAPTER001NAME"] == ["Ein Test"]  # from 0 until the first heading
    assert tags["CHAPTER002NAME"] == ["Zwischenüberschrift"]


async def test_tempo_shortens_and_keeps_working(tmp_path: Path) -> None:
    base = await assemble(gtts_clips(), tmp_path / "1.mp3", fmt="mp3")
    fast = await assemble(gtts_clips(), tmp_path / "15.mp3", fmt="mp3", tempo=1.5)
    assert fast.method == "frames+encode"
    info = probe(fast.paths[0])
    assert info["decode_errors"] == []
    assert info["duration"] == pytest.approx(base.duration_seconds / 1.5, rel=0.02)
    assert fast.chapters[1][1] == pytest.approx(base.chapters[1][1] / 1.5, abs=0.01)


async def test_tags_and_chapters(tmp_path: Path) -> None:
    out = tmp_path / "tagged.mp3"
    result = await assemble(gtts_clips(), out, fmt="mp3", tags=TAGS)
    id3 = ID3(out)
    assert id3["TIT2"].text == ["Ein Test"]
    assert id3["TPE1"].text == ["example.org"]
    assert id3["TALB"].text == ["Hörclub"]
    assert str(id3.getall("TDRC")[0].text[0]).startswith("2024")
    assert id3.getall("WXXX")[0].url == "https://example.org/artikel"
    assert id3.getall("COMM")[0].text == ["https://example.org/artikel"]
    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.start_time)
    titles = [c.sub_frames["TIT2"].text[0] for c in chaps]
    assert titles == ["Ein Test", "Zwischenüberschrift", "Zweite Überschrift"]
    assert chaps[0].start_time == 0
    starts = [c.start_time / 1000 for c in chaps[1:]]
    assert starts == pytest.approx([at for _, at in result.chapters], abs=0.002)
    # the first heading starts after the first two sentences and their pauses
    before = speech_seconds(SENTENCES[0]) + speech_seconds(SENTENCES[1]) + 1.0
    assert starts[0] == pytest.approx(before, abs=3 * PER_CLIP_TOLERANCE)
    assert chaps[-1].end_time == pytest.approx(result.duration_seconds * 1000, abs=2)
    toc = id3.getall("CTOC")[0]
    assert toc.child_element_ids == [c.element_id for c in chaps]
    assert MP3(out).info.length == pytest.approx(result.duration_seconds, abs=0.03)


async def test_explicit_chapters_win(tmp_path: Path) -> None:
    out = tmp_path / "c.mp3"
    tags = AudioTags(title="T", chapters=[("Anfang", 0.0), ("Mitte", 5.0)])
    result = await assemble(gtts_clips(), out, fmt="mp3", tags=tags)
    assert result.chapters == (("Anfang", 0.0), ("Mitte", 5.0))
    assert sorted(c.start_time for c in ID3(out).getall("CHAP")) == [0, 5000]


# --- parts ------------------------------------------------------------------------------------
async def test_split_mp3_into_parts_under_the_limit(tmp_path: Path) -> None:
    clips = gtts_clips(repeat=3)
    whole = await assemble(clips, tmp_path / "whole.mp3", fmt="mp3", tags=TAGS)
    limit = int(whole.paths[0].stat().st_size / 2.5)
    out = tmp_path / "artikel.mp3"
    result = await assemble(clips, out, fmt="mp3", tags=TAGS, max_part_bytes=limit)
    assert len(result.paths) == 3
    assert [p.name for p in result.paths] == [f"artikel-teil{i}.mp3" for i in (1, 2, 3)]
    total = 0.0
    for number, (path, seconds) in enumerate(
        zip(result.paths, result.part_durations, strict=True), start=1
    ):
        assert path.stat().st_size <= limit
        info: dict[str, Any] = probe(path)
        assert info["decode_errors"] == []
        assert info["duration"] == pytest.approx(seconds, abs=0.03)
        assert info["header_duration"] == pytest.approx(seconds, abs=0.03)
        id3 = ID3(path)
        assert id3["TIT2"].text == [f"Ein Test (Teil {number}/3)"]
        assert id3["TRCK"].text == [f"{number}/3"]
        assert id3.getall("CHAP")[0].start_time == 0
        total += info["duration"]
    # only the pauses at the two cuts are gone
    assert total == pytest.approx(whole.duration_seconds, abs=2 * 1.2 + 0.05)
    assert max(result.part_durations) < 1.3 * min(result.part_durations)  # even parts


async def test_split_prefers_a_heading(tmp_path: Path) -> None:
    clips = gtts_clips(repeat=2)
    whole = await assemble(clips, tmp_path / "whole.mp3", fmt="mp3")
    # two parts: the cut falls where the second repetition's first heading starts or nearby
    limit = int(whole.paths[0].stat().st_size * 0.6)
    result = await assemble(clips, tmp_path / "p.mp3", fmt="mp3", max_part_bytes=limit, tags=TAGS)
    assert len(result.paths) == 2
    second = ID3(result.paths[1]).getall("CHAP")
    first_title = sorted(second, key=lambda c: c.start_time)[0].sub_frames["TIT2"].text[0]
    assert first_title in CHAPTERS.values()


async def test_split_ogg_into_parts(tmp_path: Path) -> None:
    clips = gtts_clips(repeat=2)
    whole = await assemble(clips, tmp_path / "whole.ogg", fmt="ogg")
    limit = int(whole.paths[0].stat().st_size * 0.7)
    result = await assemble(clips, tmp_path / "v.ogg", fmt="ogg", max_part_bytes=limit)
    assert len(result.paths) == 2
    for path, seconds in zip(result.paths, result.part_durations, strict=True):
        assert path.stat().st_size <= limit
        info = probe(path)
        assert info["codec"] == "opus"
        assert info["decode_errors"] == []
        assert info["duration"] == pytest.approx(seconds, abs=0.1)


async def test_one_clip_over_the_limit_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="exceeds the part size limit"):
        await assemble(gtts_clips(), tmp_path / "x.mp3", fmt="mp3", max_part_bytes=3_000)


# --- PCM (espeak) -------------------------------------------------------------------------------
async def test_espeak_wav_to_mp3(tmp_path: Path, espeak_clips: list[Clip]) -> None:
    out = tmp_path / "e.mp3"
    result = await assemble(espeak_clips, out, fmt="mp3", tags=TAGS)
    assert result.method == "pcm+encode"
    info = probe(out)
    assert (info["codec"], info["sample_rate"], info["channels"]) == ("mp3", 24000, 1)
    assert info["decode_errors"] == []
    raw = sum(wav_seconds(c.data) for c in espeak_clips) + sum(PAUSES[:-1]) / 1000
    assert info["duration"] == pytest.approx(raw, abs=0.05 * len(espeak_clips))
    assert info["header_duration"] == pytest.approx(info["duration"], abs=0.06)
    assert result.duration_seconds == pytest.approx(info["duration"], abs=0.06)
    assert [title for title, _ in result.chapters] == list(CHAPTERS.values())


async def test_padding_is_trimmed_from_wav(tmp_path: Path, espeak_clips: list[Clip]) -> None:
    padded = [Clip(pad_wav(c.data, 0.5), "wav", 22050, c.pause_after_ms, c.chapter)
              for c in espeak_clips]  # fmt: skip
    plain = await assemble(espeak_clips, tmp_path / "plain.ogg", fmt="ogg")
    trimmed = await assemble(padded, tmp_path / "padded.ogg", fmt="ogg")
    # 10 s of added silence vanish again (the 15 ms margins may differ slightly)
    assert trimmed.duration_seconds == pytest.approx(plain.duration_seconds, abs=0.4)
    assert probe(trimmed.paths[0])["duration"] == pytest.approx(plain.duration_seconds, abs=0.4)


async def test_espeak_tempo_and_parts(tmp_path: Path, espeak_clips: list[Clip]) -> None:
    clips = espeak_clips * 3
    whole = await assemble(clips, tmp_path / "w.mp3", fmt="mp3", tempo=1.25)
    limit = int(whole.paths[0].stat().st_size / 1.8)
    result = await assemble(clips, tmp_path / "p.mp3", fmt="mp3", tempo=1.25, max_part_bytes=limit)
    assert len(result.paths) == 2
    for path, seconds in zip(result.paths, result.part_durations, strict=True):
        assert path.stat().st_size <= limit
        assert probe(path)["duration"] == pytest.approx(seconds, abs=0.1)


async def test_mixed_formats_are_decoded(tmp_path: Path, espeak_clips: list[Clip]) -> None:
    clips = [*gtts_clips()[:3], *espeak_clips[3:6]]
    result = await assemble(clips, tmp_path / "m.mp3", fmt="mp3")
    assert result.method == "pcm+encode"
    expected = (
        sum(speech_seconds(t) for t in SENTENCES[:3])
        + sum(wav_seconds(c.data) for c in espeak_clips[3:6])
        + sum(PAUSES[:5]) / 1000
    )
    assert probe(result.paths[0])["duration"] == pytest.approx(expected, abs=0.5)


# --- edge cases ---------------------------------------------------------------------------------
async def test_empty_clip_passes_its_chapter_on(tmp_path: Path) -> None:
    clips = [
        Clip(mp3_for("Eins."), "mp3", 24000, 300),
        Clip(b"", "mp3", 0, 1200, "Kapitel"),
        Clip(mp3_for("Zwei."), "mp3", 24000, 0),
    ]
    result = await assemble(clips, tmp_path / "e.mp3", fmt="mp3")
    assert [title for title, _ in result.chapters] == ["Kapitel"]
    gap = result.chapters[0][1] - speech_seconds("Eins.")
    # the longer of the two pauses (not their sum), plus the first clip's frame overhead
    assert 1.2 <= gap <= 1.2 + 2 * PER_CLIP_TOLERANCE


async def test_nothing_to_assemble(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        await assemble([Clip(b"", "mp3", 0)], tmp_path / "n.mp3", fmt="mp3")
    silent = wav_bytes(bytes(22050 * 2), 22050)
    with pytest.raises(AudioError, match="silence"):
        await assemble([Clip(silent, "wav", 22050)], tmp_path / "s.mp3", fmt="mp3")


async def test_tempo_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="tempo"):
        await assemble(gtts_clips(), tmp_path / "t.mp3", fmt="mp3", tempo=10.0)


async def test_undecodable_clip_is_an_audio_error(tmp_path: Path) -> None:
    clips = [*gtts_clips()[:2], Clip(b"this is no audio at all" * 50, "mp3", 24000)]
    with pytest.raises(AudioError, match="failed"):
        await assemble(clips, tmp_path / "bad.mp3", fmt="mp3")


# --- media helpers ------------------------------------------------------------------------------
def test_media_duration_matches_a_full_decode(tmp_path: Path) -> None:
    path = tmp_path / "one.mp3"
    path.write_bytes(mp3_for("Ein kurzer Satz zum Messen."))
    assert media_duration(path) == pytest.approx(probe(path)["duration"], abs=0.03)


async def test_run_ffmpeg_reports_ffmpeg_s_complaint() -> None:
    with pytest.raises(AudioError, match="decoding a clip failed") as caught:
        await decode_to_pcm(b"\x00garbage" * 100, sample_rate=24000, input_format="mp3")
    assert "exit" in caught.value.detail


def test_parse_mp3_skips_tags_and_garbage() -> None:
    clip = mp3_for("Hallo Welt, wie geht es dir?")
    frames = parse_mp3(clip)
    id3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10)
    wrapped = b"junk\xff\x00junk" + id3 + clip + b"TAG" + bytes(125)
    assert len(parse_mp3(wrapped)) == len(frames)
    assert frame_is_silent(clip, frames[0])  # the fake's 120 ms of digital silence
    assert not any(frame_is_silent(clip, f) for f in frames[8:20])  # its "speech"


def test_parse_mp3_refuses_mixed_rates_and_non_mp3() -> None:
    with pytest.raises(AudioError, match="no MP3"):
        parse_mp3(b"RIFF" + bytes(2000))
    low = FrameKind(2, 16000, 1, 4)
    mixed = mp3_for("abc") + b"".join(silent_frame(low) for _ in range(3))
    with pytest.raises(AudioError, match="changes format"):
        parse_mp3(mixed)


def test_silent_frame_carries_reservoir_bytes() -> None:
    kind = FrameKind(2, 24000, 1, 4)
    frame = silent_frame(kind, b"\x01\x02\x03", main_data_begin=7)
    assert len(frame) == kind.frame_bytes() == 96
    assert frame.endswith(b"\x01\x02\x03")
    (parsed,) = parse_mp3(frame)
    assert main_data_begin(frame, parsed) == 7
    assert frame_is_silent(frame, parsed)


def test_settings_fixture_is_offline(settings: Settings) -> None:
    assert settings.tts_engine == "espeak"
