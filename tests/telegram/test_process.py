"""`hoerclub bot` as a real process: killed hard mid-synthesis, restarted, one audio arrives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.checkout import checkout_env
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, audios

ROOT = Path(__file__).resolve().parents[2]
ArticleUrl = Callable[..., str]


class BotProcess:
    """`python -m bot -v bot` with its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "-v", "bot"],
            env=env,
            cwd=log.parent,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as in a power cut."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait for a clean exit."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Make sure the process is gone and the log is closed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._out.close()


@pytest.fixture
def bot_env(fake: FakeTelegram, gtts: FakeGTTS, tmp_path: Path) -> dict[str, str]:
    """The environment of a bot process pointed at the fakes, slowed-down gTTS included."""
    # The bot's own settings come from the test; which ffmpeg and espeak-ng stays the caller's.
    keep = ("HOERCLUB_FFMPEG", "HOERCLUB_ESPEAK")
    env = checkout_env(
        {
            k: v
            for k, v in os.environ.items()
            if k in keep or not k.startswith(("HOERCLUB_", "TELEGRAM_"))
        }
    )
    env.update(fake.env())
    env.update(
        HOERCLUB_DATA_DIR=str(tmp_path / "data"),
        HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
        HOERCLUB_TTS_ENGINE="gtts",
        HOERCLUB_GTTS_ENDPOINT=gtts.url,
        HOERCLUB_TTS_CONCURRENCY="1",
        HOERCLUB_WORKERS="1",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[BotProcess]]:
    """Bot processes started by a test, all stopped afterwards."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        process.close()


@pytest.mark.reliability(
    "Prozess: SIGKILL mitten in der Arbeit", sees="nach dem Neustart genau ein Audio"
)
async def test_killed_mid_synthesis_the_restarted_bot_delivers_exactly_one_audio(
    fake: FakeTelegram,
    *,
    gtts: FakeGTTS,
    article_url: ArticleUrl,
    bot_env: dict[str, str],
    processes: list[BotProcess],
    tmp_path: Path,
) -> None:
    gtts.delay = 0.15
    url = article_url("neustart", "Trotz Neustart", 150, image=False)
    log = tmp_path / "bot.log"

    processes.append(BotProcess(bot_env, log))
    await fake.wait_until_polling(timeout=60)
    fake.send_text(USER, url)
    await fake.wait_for(lambda f: gtts.requests >= 4, timeout=60, what="synthesis under way")
    processes[0].kill()
    assert audios(fake, USER) == []
    spoken_before = gtts.requests

    processes.append(BotProcess(bot_env, log))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=90)
    assert audio.audio is not None
    assert audio.audio["title"] == "Trotz Neustart"
    assert gtts.requests > spoken_before
    await asyncio.sleep(2.5)
    assert len(audios(fake, USER)) == 1
    statuses = [m for m in fake.sent(USER) if m.kind == "text"]
    assert len(statuses) == 1
    assert statuses[0].deleted  # the restarted bot finished the first process's status message

    assert processes[1].terminate() == 0
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "DEBUG" in output
    assert fake.token.split(":", 1)[1] not in output
