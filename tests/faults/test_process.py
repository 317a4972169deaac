"""`hoerclub bot` killed hard (SIGKILL) while fetching, synthesising, assembling or uploading,
then started again: every link ends in exactly one audio (an upload cut off by the kill is
offered once with "Nochmal senden", never sent twice by itself), and the SQLite file passes
PRAGMA integrity_check.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.pipeline.run import Pipeline, RenderOptions
from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.pages import article_page
from tests.telegram.conftest import USER, audios
from tests.telegram.test_process import BotProcess

ArticleUrl = Callable[..., str]
RESEND = "Nochmal senden"


def _integrity(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def _offer(message: SentMessage) -> bool:
    return message.kind == "text" and RESEND in (message.text or "")


async def _kill_when(fake: FakeTelegram, ready: Callable[[], bool], process: BotProcess) -> None:
    await fake.wait_for(lambda f: ready() or None, timeout=60, what="the stage to kill in")
    process.kill()


@pytest.mark.reliability(
    "Prozess: SIGKILL mitten in der Arbeit", sees="nach dem Neustart genau ein Audio"
)
@pytest.mark.parametrize("stage", ["fetching", "synthesis", "assembly", "upload"])
async def test_killed_in_any_stage_the_restarted_bot_finishes_every_job_exactly_once(
    fake: FakeTelegram,
    *,
    gtts: FakeGTTS,
    articles: ArticleServer,
    article_url: ArticleUrl,
    bot_env: dict[str, str],
    processes: list[BotProcess],
    tmp_path: Path,
    stage: str,
) -> None:
    gtts.delay = 0.05
    if stage == "fetching":
        url = articles.add_route("/zaeh.html", body=article_page("Trotz Absturz", 150), delay=2.0)
    else:
        url = article_url(f"kill-{stage}", "Trotz Absturz", 150, image=False)
    if stage == "upload":
        # The upload reaches the server and hangs there until the process is gone.
        fake.stall_next("sendAudio", 3.0)
    log = tmp_path / "bot.log"
    processes.append(BotProcess(bot_env, log))
    await fake.wait_until_polling(timeout=60)
    fake.send_text(USER, url)

    path = urlpath(url)
    chunks = await _chunk_count(bot_env, url) if stage == "assembly" else 0
    ready: dict[str, Callable[[], bool]] = {
        "fetching": lambda: any(r.startswith(path) for r in articles.requests),
        "synthesis": lambda: gtts.requests >= 3,
        # The status may skip its "Füge … zusammen" edit (edits are throttled): the last
        # clip answered is the other sign that the join has begun.
        "assembly": lambda: (
            any("Füge die Aufnahme zusammen" in (t or "") for m in fake.sent(USER) for t in m.texts)
            or len(gtts.statuses) >= chunks
        ),
        "upload": lambda: _upload_started(fake),
    }
    await _kill_when(fake, ready[stage], processes[0])
    killed_with = len(audios(fake, USER))
    assert killed_with == 0

    processes.append(BotProcess(bot_env, log))
    await fake.wait_until_polling(timeout=60)
    first = await fake.wait_for(
        lambda f: audios(f, USER) or [m for m in f.sent(USER) if _offer(m)] or None,
        timeout=90,
        what="an audio or the offer to send it again",
    )
    await asyncio.sleep(4.5 if stage == "upload" else 1.0)  # a duplicate would show by now
    offers = [m for m in fake.sent(USER) if _offer(m)]
    if stage == "upload" or offers:
        # At most once: the cut-off upload is not repeated by itself, the user may ask.
        assert len(offers) == 1
        if not audios(fake, USER):
            fake.press_button(USER, offers[0].message_id, offers[0].button(RESEND))
            await fake.wait_for_sent(USER, kind="audio", timeout=60)
            await asyncio.sleep(1.5)
    assert first
    assert len(audios(fake, USER)) == 1
    audio = audios(fake, USER)[0]
    assert audio.audio is not None
    assert audio.audio["duration"] > 10

    assert processes[1].terminate() == 0
    assert _integrity(tmp_path / "data" / "hoerclub.sqlite3") == [("ok",)]


def _upload_started(fake: FakeTelegram) -> bool:
    """Whether the bot has said it is sending (the upload follows at once)."""
    return any("📤 Sende" in (t or "") for m in fake.sent(USER) for t in m.texts)


async def _chunk_count(env: dict[str, str], url: str) -> int:
    """How many clips the bot asks gTTS for when it reads `url` (its own chunking)."""
    values = {k: v for k, v in env.items() if k.startswith("HOERCLUB_")}
    values["HOERCLUB_DATA_DIR"] += "-probe"
    settings = load_settings(**values)
    pipeline = Pipeline(settings)
    try:
        article = await pipeline.load(url)
        return len(pipeline.prepare(article, RenderOptions(engine="gtts")).chunks)
    finally:
        await pipeline.aclose()


def urlpath(url: str) -> str:
    """The path of a URL on the article server."""
    return "/" + url.split("/", 3)[3]
