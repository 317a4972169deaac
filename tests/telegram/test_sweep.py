"""Rendered audio is kept for an hour (shared with same-article jobs), then swept."""

from __future__ import annotations

import os
import time

from bot.config import Settings
from bot.telegram.audio_files import AUDIO_MAX_AGE_SECONDS, job_dir, sweep_audio


def test_old_job_directories_are_swept_and_recent_ones_kept(settings: Settings) -> None:
    old, recent = job_dir(settings, 1), job_dir(settings, 2)
    for directory in (old, recent):
        directory.mkdir(parents=True)
        (directory / "audio.mp3").write_bytes(b"ID3")
    past = time.time() - AUDIO_MAX_AGE_SECONDS - 60
    os.utime(old, (past, past))
    assert sweep_audio(settings) == 1
    assert not old.exists()
    assert (recent / "audio.mp3").is_file()


def test_sweeping_without_an_audio_directory_does_nothing(settings: Settings) -> None:
    assert sweep_audio(settings) == 0
