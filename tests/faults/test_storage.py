"""The machine's storage fails under a running bot: a full or read-only disk, a damaged or
deleted database. The user is told in plain German, the operator in one log line, the bot keeps
answering, and once the disk has room again the work is done; nothing half-written is served.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults.conftest import SmallDisk
from tests.support.audio import probe
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, StartBot, audios, settle, wait_statuses_deleted

ArticleUrl = Callable[..., str]
MakeDisk = Callable[..., SmallDisk]
NO_ROOM = "💾"  # how the disk messages begin
RETRYING = "Ich versuche es gleich noch einmal"
UNAVAILABLE = "🧰 Hörclub ist gerade nicht verfügbar"


def _status_with(fake: FakeTelegram, words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.kind == "text" and words in (m.text or "")


def _leftovers(root: Path) -> list[str]:
    """Audio or partial files a failed write left behind; a kept article must be whole."""
    left = []
    for path in root.rglob("*"):
        if not path.is_file() or path.name == ".filler":
            continue
        if path.name == "article.json":
            json.loads(path.read_text(encoding="utf-8"))  # whole, or it would not be there
            continue
        left.append(path.name)
    return sorted(left)


async def _one_whole_audio(fake: FakeTelegram, tmp_path: Path) -> float:
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    assert audio.file_id is not None
    path = tmp_path / "got.mp3"
    path.write_bytes(fake.uploads[audio.file_id])
    info = probe(path)
    assert info["decode_errors"] == []
    return float(info["duration"])


@pytest.mark.reliability(
    "Speicher voll beim Zusammensetzen",
    sees="„kein Speicherplatz, ich versuche es gleich“, dann Audio",
)
# espeak's PCM goes through ffmpeg, gTTS's MP3 frames are written by Python: both must see it.
@pytest.mark.parametrize("engine", ["espeak", "gtts"])
async def test_a_full_disk_during_assembly_is_told_and_the_job_finishes_when_space_returns(
    fake: FakeTelegram,
    *,
    start_bot: StartBot,
    quick_bot: StartBot,
    engine: str,
    article_url: ArticleUrl,
    small_disk: MakeDisk,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    disk = small_disk(tmp_path / "data" / "audio", 1024)
    disk.fill(leave=32 * 1024)  # room for the kept article, not for the audio
    bot = await (start_bot if engine == "espeak" else quick_bot)(retry_delays=(2.0,))
    fake.send_text(USER, article_url("voll", "Volle Platte", 60, image=False))
    notice = await fake.wait_for_sent(USER, _status_with(fake, RETRYING), timeout=60)
    assert notice.text is not None
    assert notice.text.startswith(NO_ROOM)
    assert "Speicherplatz" in notice.text
    assert audios(fake, USER) == []
    assert _leftovers(disk.path) == []  # nothing half-written to serve later
    operator = [r for r in caplog.records if "no room to write" in r.getMessage()]
    assert operator
    assert operator[0].levelno == logging.ERROR
    assert "audio.mp3" in operator[0].getMessage()  # it was the assembly that found no room
    assert operator[0].exc_info is None  # one line, no traceback

    disk.free()  # space returns: the queued retry makes the audio
    assert await _one_whole_audio(fake, tmp_path) > 15
    assert await bot.jobs.list_user(USER) == []  # nothing left waiting
    texts = [m for m in fake.sent(USER) if m.kind == "text"]
    assert len(texts) == 1  # one status message, reused for the notice and the progress
    assert "unerwartet" not in " ".join(t or "" for t in texts[0].texts)


@pytest.mark.reliability(
    "Speicher voll beim Zusammensetzen", sees="„kein Speicherplatz, später noch einmal“"
)
async def test_a_disk_that_stays_full_ends_the_job_clearly_and_the_link_works_later(
    fake: FakeTelegram,
    quick_bot: StartBot,
    article_url: ArticleUrl,
    small_disk: MakeDisk,
    tmp_path: Path,
) -> None:
    disk = small_disk(tmp_path / "data" / "audio", 1024)
    disk.fill()
    await quick_bot()
    url = article_url("immervoll", "Immer noch voll", 60, image=False)
    fake.send_text(USER, url)
    final = await fake.wait_for_sent(
        USER, _status_with(fake, "schick mir den Link später"), timeout=60
    )
    assert final.text is not None
    assert final.text.startswith(NO_ROOM)
    assert audios(fake, USER) == []
    # The bot keeps answering while the disk is full.
    before = len(fake.sent(USER))
    fake.send_text(USER, "/hilfe")
    await fake.wait_for(lambda f: len(f.sent(USER)) > before or None, 20, what="the help")
    assert _leftovers(disk.path) == []

    disk.free()
    fake.send_text(USER, url)
    assert await _one_whole_audio(fake, tmp_path) > 15


@pytest.mark.reliability(
    "Datenverzeichnis schreibgeschützt",
    sees="„kein Speicherplatz frei (oder schreibgeschützt), ich versuche es gleich“, dann Audio",
)
async def test_a_read_only_audio_directory_is_told_and_recovers_when_writable_again(
    fake: FakeTelegram,
    quick_bot: StartBot,
    article_url: ArticleUrl,
    small_disk: MakeDisk,
    tmp_path: Path,
) -> None:
    disk = small_disk(tmp_path / "data" / "audio", 4096)
    subprocess.run(["mount", "-o", "remount,ro", str(disk.path)], check=True)
    await quick_bot(retry_delays=(2.0,))
    fake.send_text(USER, article_url("nurlesen", "Nur lesen", 60, image=False))
    notice = await fake.wait_for_sent(USER, _status_with(fake, RETRYING), timeout=60)
    assert notice.text is not None
    assert notice.text.startswith(NO_ROOM)
    subprocess.run(["mount", "-o", "remount,rw", str(disk.path)], check=True)
    assert await _one_whole_audio(fake, tmp_path) > 15


@pytest.mark.reliability("Clip-Cache voll", sees="Audio wie immer (nur nicht zwischengespeichert)")
async def test_a_full_clip_cache_still_gives_the_audio(
    fake: FakeTelegram,
    quick_bot: StartBot,
    article_url: ArticleUrl,
    small_disk: MakeDisk,
    tmp_path: Path,
) -> None:
    disk = small_disk(tmp_path / "data" / "cache", 256)
    disk.fill()
    await quick_bot()
    fake.send_text(USER, article_url("cachevoll", "Cache voll", 60, image=False))
    assert await _one_whole_audio(fake, tmp_path) > 15
    assert _leftovers(disk.path) == []
    texts = [t for m in fake.sent(USER) if m.kind == "text" for t in m.texts]
    assert not any("unerwartet" in (t or "") for t in texts)


def _damage(path: Path) -> None:
    """Overwrite every page of a SQLite file, header included, as a failing disk would."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(b"\xa5" * size)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.write_bytes(b"\xa5" * extra.stat().st_size)


@pytest.mark.reliability(
    "Datenbank kaputt oder gelöscht im Betrieb", sees="„gerade nicht verfügbar“"
)
@pytest.mark.parametrize("how", ["damaged", "deleted"])
async def test_a_database_that_breaks_under_the_running_bot_is_told_not_unexpected(
    fake: FakeTelegram,
    *,
    quick_bot: StartBot,
    article_url: ArticleUrl,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    await quick_bot()
    fake.send_text(USER, article_url("vorher", "Vorher", 60, image=False))
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await wait_statuses_deleted(fake, USER)  # the job is booked as delivered
    await settle(0.5)
    path = tmp_path / "data" / "hoerclub.sqlite3"
    if how == "damaged":
        _damage(path)
    else:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    caplog.clear()
    for n in range(3):
        fake.send_text(USER, article_url(f"nachher{n}", f"Nachher {n}", 60, image=False, seed=n))
    await fake.wait_for(
        lambda f: len([m for m in f.sent(USER) if UNAVAILABLE in (m.text or "")]) >= 3 or None,
        30,
        what="three answers that the bot is unavailable",
    )
    await asyncio.sleep(2.0)  # the workers poll the broken database meanwhile
    texts = [t or "" for m in fake.sent(USER) if m.kind == "text" for t in m.texts]
    assert not any("unerwartet" in t for t in texts)
    assert len(audios(fake, USER)) == 1
    said = [r for r in caplog.records if "database cannot be used" in r.getMessage()]
    assert 1 <= len(said) <= 2, [r.getMessage() for r in said]
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert len(tracebacks) <= 2, [r.getMessage() for r in tracebacks]
