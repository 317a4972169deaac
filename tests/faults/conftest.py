"""The fault suite runs the real bot against the local fakes, as tests/telegram does."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.feeds.conftest import (  # noqa: F401  (fixtures shared with the feed tests)
    clock,
    db,
    db_url,
    feed_server,
    feed_settings,
    fetcher,
)
from tests.support.fake_gtts import FakeGTTS
from tests.telegram.conftest import (  # noqa: F401  (fixtures shared with the bot tests)
    BotUnderTest,
    StartBot,
    _aiohttp_multipart_deprecation,
    _ptb_timedelta,
    article_url,
    articles,
    fake,
    gtts,
    start_bot,
)
from tests.telegram.test_process import bot_env, processes  # noqa: F401


class SmallDisk:
    """A tmpfs of a few hundred kilobytes mounted at `path`, to be filled and freed again."""

    def __init__(self, path: Path, size_kb: int) -> None:
        self.path = path
        self.size_kb = size_kb
        self.filler = path / ".filler"

    def fill(self, leave: int = 0) -> int:
        """Write until the kernel says ENOSPC, then give `leave` bytes back; returns the bytes
        the filler holds."""
        written = 0
        with contextlib.suppress(OSError), self.filler.open("ab", buffering=0) as out:
            while True:
                written += out.write(b"\0" * 4096)
        assert shutil.disk_usage(self.path).free < 8192
        if leave:
            written -= leave
            os.truncate(self.filler, written)
        return written

    def free(self) -> None:
        """Make room again."""
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., SmallDisk]]:
    """Mount small tmpfs file systems (the data directory's parts) for the test.

    Mounting needs root (or CAP_SYS_ADMIN); elsewhere the test is skipped with the reason.
    """
    mounted: list[Path] = []

    def mount(path: Path, size_kb: int = 512) -> SmallDisk:
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"a small tmpfs cannot be mounted here ({done.stderr.strip()})")
        mounted.append(path)
        return SmallDisk(path, size_kb)

    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for a full disk needs root")
    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@pytest.fixture
def quick_bot(request: pytest.FixtureRequest) -> StartBot:
    """`start_bot` speaking with the local gTTS fake (MP3 at once) instead of espeak, for
    cases where the voice is not what fails: the suite stays quick on two cores."""
    starter: StartBot = request.getfixturevalue("start_bot")
    speech: FakeGTTS = request.getfixturevalue("gtts")

    async def start(**env: Any) -> BotUnderTest:
        values: dict[str, Any] = {
            "HOERCLUB_TTS_ENGINE": "gtts",
            "HOERCLUB_GTTS_ENDPOINT": speech.url,
        }
        values.update(env)
        return await starter(**values)

    return start
