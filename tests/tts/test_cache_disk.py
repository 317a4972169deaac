"""The clip cache on a real disk: WAV stored compressed and exact, an LRU cap, a full disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.audio.wav import read_wav, wav_bytes
from bot.models import Clip
from bot.tts.cache import ClipCache, prune_cache


def speech_like_pcm(seconds: float, rate: int = 22050) -> bytes:
    """A deterministic 16-bit signal with structure (a sweep with pauses), like speech."""
    import math

    out = bytearray()
    for n in range(int(seconds * rate)):
        loud = (n // (rate // 4)) % 3 != 2  # a quarter second of quiet every three
        value = int(8000 * math.sin(2 * math.pi * (200 + n % 700) * n / rate)) if loud else 0
        out += value.to_bytes(2, "little", signed=True)
    return bytes(out)


def test_wav_clip_is_stored_compressed_and_read_back_exactly(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    pcm = speech_like_pcm(2.0)
    wav = wav_bytes(pcm, 22050)
    path = cache.put("espeak", "de", "Hallo", Clip(wav, "wav", 22050))
    assert path.name.endswith(".wav.xz")
    assert path.stat().st_size < len(wav) * 0.8
    got = cache.get("espeak", "de", "Hallo")
    assert got is not None
    assert got.data == wav
    decoded = read_wav(got.data)
    assert decoded is not None
    assert decoded.pcm == pcm


def test_plain_wav_of_an_older_release_is_still_read(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    wav = wav_bytes(speech_like_pcm(0.2), 22050)
    path = cache.put("espeak", "de", "alt", Clip(wav, "wav", 22050))
    plain = path.with_name(path.name.removesuffix(".xz"))
    path.rename(plain)
    plain.write_bytes(wav)
    got = cache.get("espeak", "de", "alt")
    assert got is not None
    assert got.data == wav


def test_damaged_compressed_entry_is_discarded(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    wav = wav_bytes(speech_like_pcm(0.2), 22050)
    path = cache.put("espeak", "de", "x", Clip(wav, "wav", 22050))
    path.write_bytes(path.read_bytes()[:40])
    assert cache.get("espeak", "de", "x") is None
    assert not path.exists()


def test_prune_keeps_the_recently_used_clips_under_the_cap(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    paths = []
    for index in range(6):
        wav = wav_bytes(speech_like_pcm(0.5 + index * 0.01), 22050)
        paths.append(cache.put("espeak", "de", f"satz {index}", Clip(wav, "wav", 22050)))
    for age, path in enumerate(reversed(paths)):  # satz 0 oldest
        stamp = time.time() - 1000 - age * 10
        os.utime(path, (stamp, stamp))
    assert cache.get("espeak", "de", "satz 0") is not None  # a hit makes it the newest
    sizes = {p: p.stat().st_size for p in paths}
    cap = sizes[paths[0]] + sizes[paths[5]] + sizes[paths[4]]
    removed, kept = prune_cache(tmp_path, cap)
    assert removed == 3
    assert kept <= cap
    left = {p for p in paths if p.exists()}
    assert left == {paths[0], paths[5], paths[4]}


def test_prune_removes_stale_temporary_files(tmp_path: Path) -> None:
    stale = tmp_path / "ab" / ".tmp-abc.wav.xz"
    stale.parent.mkdir()
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / "ab" / ".tmp-def.wav.xz"
    fresh.write_bytes(b"writing")
    prune_cache(tmp_path, 10**9)
    assert not stale.exists()
    assert fresh.exists()


FULL_DISK_SCRIPT = r"""
import asyncio, json, random, resource, signal, sys
from pathlib import Path
from bot.audio.wav import wav_bytes
from bot.errors import StorageUnavailableError
from bot.models import Clip
from bot.tts.cache import ClipCache

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
root = Path(sys.argv[1])
pcm = random.Random(7).randbytes(100_000)  # noise: compresses to no less than the limit
wav = wav_bytes(pcm, 22050)
cache = ClipCache(root)
report = {}
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
try:
    cache.put("espeak", "de", "voll", Clip(wav, "wav", 22050))
    report["put"] = "stored"
except StorageUnavailableError as exc:
    report["put"] = exc.key

async def make() -> Clip:
    return Clip(wav, "wav", 22050)

clip = asyncio.run(cache.get_or_create("espeak", "de", "rendern", make))
report["render_ok"] = clip.data == wav
report["files_while_full"] = sorted(p.name for p in root.rglob("*") if p.is_file())
report["get_while_full"] = cache.get("espeak", "de", "voll") is None
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space returns
cache.put("espeak", "de", "voll", Clip(wav, "wav", 22050))
got = cache.get("espeak", "de", "voll")
report["after"] = got is not None and got.data == wav
print(json.dumps(report))
"""


def test_full_disk_fails_clearly_leaves_nothing_half_written_and_recovers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_SCRIPT, str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {
        "put": "error.unavailable",
        "render_ok": True,
        "files_while_full": [],
        "get_while_full": True,
        "after": True,
    }
    assert done.stderr.count("could not cache a clip") == 1
