"""Where a job's audio and thumbnail are written, and the sweeping of old ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from pathlib import Path
from typing import Final

from bot.config import Settings
from bot.jobs.service import SHARED_RESULT_MAX_AGE

logger = logging.getLogger(__name__)

# Rendered files are kept this long, then swept: the job service offers a rendered result to
# jobs for the same article for as long, so the files must outlive delivery by that much.
AUDIO_MAX_AGE_SECONDS: Final = SHARED_RESULT_MAX_AGE.total_seconds()
# How often a running bot sweeps old audio.
AUDIO_SWEEP_INTERVAL: Final = 600


def job_dir(settings: Settings, job_id: int) -> Path:
    """Where a job's audio and thumbnail are written."""
    return settings.data_dir / "audio" / f"job-{job_id}"


async def sweep_audio_forever(settings: Settings) -> None:
    """Sweep old audio now and every AUDIO_SWEEP_INTERVAL seconds (a task of the running bot)."""
    while True:
        removed = await asyncio.to_thread(sweep_audio, settings)
        if removed:
            logger.info("removed %d old audio directories", removed)
        await asyncio.sleep(AUDIO_SWEEP_INTERVAL)


def sweep_audio(settings: Settings, max_age: float = AUDIO_MAX_AGE_SECONDS) -> int:
    """Delete job directories older than `max_age` seconds; returns how many went."""
    root = settings.data_dir / "audio"
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age
    removed = 0
    for child in root.iterdir():
        with contextlib.suppress(OSError):
            if child.is_dir() and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
    return removed
