"""Tags for the written files: ID3v2.3 frames and chapters in MP3, Vorbis comments in Ogg."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

# Room kept free in each part for its tags when splitting: a bound on ID3v2.3 sizes (UTF-16
# text: 2 bytes a character plus frame headers), generous so the plan holds without a retry.
TAG_BASE_BYTES: Final = 512
TAG_BYTES_PER_CHAR: Final = 4
TAG_BYTES_PER_CHAPTER: Final = 128


@dataclass(frozen=True)
class AudioTags:
    """What goes into the file's tags; `chapters` (title, start s) overrides the clips' own."""

    title: str
    artist: str | None = None
    album: str = "Hörclub"
    date: str | dt.date | None = None
    url: str | None = None
    chapters: Sequence[tuple[str, float]] = ()


def tag_reserve(tags: AudioTags | None, chapter_names: Sequence[str]) -> int:
    """An upper bound on the tag bytes one part can carry."""
    if tags is None:
        return 0
    texts = [
        tags.title, "(Teil 99/99)", tags.artist, tags.album, str(tags.date or ""), tags.url,
        tags.url, "99/99", tags.title, *(name for name, _ in tags.chapters),
    ]  # fmt: skip
    chars = sum(len(text or "") for text in texts) + sum(len(name) for name in chapter_names)
    chapters = len(chapter_names) + len(tags.chapters) + 1
    return TAG_BASE_BYTES + TAG_BYTES_PER_CHAR * chars + TAG_BYTES_PER_CHAPTER * chapters


def _tag_mp3(
    path: Path,
    tags: AudioTags,
    chapters: Sequence[tuple[str, float]],
    *,
    duration: float,
    part: tuple[int, int],
) -> None:
    """ID3v2.3 (the version most players read): text frames, source URL, CHAP/CTOC chapters."""
    import mutagen.id3  # noqa: PLC0415 — mutagen is only needed when tagging

    id3: Any = mutagen.id3  # its frame classes carry no type information
    index, count = part
    title = tags.title if count == 1 else f"{tags.title} (Teil {index}/{count})"
    frames = [id3.TIT2(encoding=3, text=[title]), id3.TALB(encoding=3, text=[tags.album])]
    if tags.artist:
        frames.append(id3.TPE1(encoding=3, text=[tags.artist]))
    if tags.date:
        frames.append(id3.TDRC(encoding=3, text=[str(tags.date)]))
    if tags.url:
        frames.append(id3.WXXX(encoding=3, desc="Quelle", url=tags.url))
        frames.append(id3.COMM(encoding=3, lang="deu", desc="", text=[tags.url]))
    if count > 1:
        frames.append(id3.TRCK(encoding=3, text=[f"{index}/{count}"]))
    ids = [f"chp{n}" for n in range(len(chapters))]
    for n, (name, start) in enumerate(chapters):
        end = chapters[n + 1][1] if n + 1 < len(chapters) else duration
        frames.append(
            id3.CHAP(
                element_id=ids[n],
                start_time=round(start * 1000),
                end_time=round(end * 1000),
                sub_frames=[id3.TIT2(encoding=3, text=[name])],
            )
        )
    if ids:
        frames.append(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=3, text=["Kapitel"])],
            )
        )
    tag = id3.ID3()
    for frame in frames:
        tag.add(frame)
    tag.save(path, v1=0, v2_version=3, padding=lambda _info: 0)


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _tag_ogg(
    path: Path, tags: AudioTags, chapters: Sequence[tuple[str, float]], *, part: tuple[int, int]
) -> None:
    """Vorbis comments, chapters as CHAPTERnnn / CHAPTERnnnNAME (the Ogg chapter extension)."""
    import mutagen.oggopus  # noqa: PLC0415 — only needed when tagging

    ogg: Any = mutagen.oggopus  # untyped
    index, count = part
    audio = ogg.OggOpus(path)
    comments = {
        "title": tags.title if count == 1 else f"{tags.title} (Teil {index}/{count})",
        "album": tags.album,
        "artist": tags.artist,
        "date": str(tags.date) if tags.date else None,
        "comment": tags.url,
        "url": tags.url,
        "tracknumber": f"{index}/{count}" if count > 1 else None,
    }
    for name, value in comments.items():
        if value:
            audio.tags[name] = [value]
    for n, (name, start) in enumerate(chapters, start=1):
        audio.tags[f"CHAPTER{n:03d}"] = [_timestamp(start)]
        audio.tags[f"CHAPTER{n:03d}NAME"] = [name]
    # No padding after the comments: RFC 7845 allows it, but ffmpeg 5.1's Ogg demuxer (Debian 12)
    # logs mutagen's default ~1 KiB of zeros as "bytes of comment header remain" on every open.
    audio.save(padding=lambda _info: 0)


def write_tags(
    path: Path,
    fmt: Literal["mp3", "ogg"],
    tags: AudioTags | None,
    chapters: Sequence[tuple[str, float]],
    *,
    duration: float,
    part: tuple[int, int],
) -> None:
    if tags is None:
        return
    if fmt == "mp3":
        _tag_mp3(path, tags, chapters, duration=duration, part=part)
    else:
        _tag_ogg(path, tags, chapters, part=part)
