"""One `web` and three `worker` processes on PostgreSQL: 200 links from 20 chats, every audio
arrives exactly once, and a worker killed mid-render (the one holding the singleton duties) has
its job finished by another while another process takes the duties over.

Without Redis each process keeps Telegram's 30 messages a second on its own, which keeps this
run near 50 s; with the shared limiter the fleet's sends queue behind one 30/s window and the
same run takes about 90 s (the Redis tests check that window)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database
from tests.fleet.conftest import job_states
from tests.storage.dbsupport import POSTGRES_ENV, wipe
from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.fleet import WEBHOOK_SECRET, RoleProcess, fleet_env, free_port
from tests.support.pages import article_page

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set (the fleet needs it)"
)

CHATS = 20
LINKS_PER_CHAT = 10
WORDS = 15  # short articles: the test is about the fleet, not about rendering
FIRST_CHAT = 5000
DUTIES = r"singleton duties taken"


async def _held_by(url: str, pid: int) -> dict[int, str]:
    """The jobs whose lease a process holds, with their states."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                text("SELECT id, state FROM jobs WHERE lease_owner LIKE :owner"),
                {"owner": f"%:{pid}:%"},
            )
            return {int(job_id): str(state) for job_id, state in rows}
    finally:
        await db.dispose()


async def _stop_mid_render(worker: RoleProcess, url: str) -> dict[int, str]:
    """Freeze the worker at a moment it renders and delivers nothing; its jobs then."""
    for _ in range(400):
        worker.stop(signal.SIGSTOP)
        held = await _held_by(url, worker.pid)
        if held and set(held.values()) == {"running"}:
            return held
        worker.stop(signal.SIGCONT)
        await asyncio.sleep(0.05)
    raise AssertionError("the worker was never caught rendering")


async def test_a_fleet_delivers_every_audio_once_and_survives_a_killed_worker(
    fake: FakeTelegram,
    *,
    articles: ArticleServer,
    gtts: FakeGTTS,
    processes: list[RoleProcess],
    tmp_path: Path,
) -> None:
    url = os.environ[POSTGRES_ENV]
    await wipe(url)
    gtts.delay = 0.1  # renders last long enough to be caught in the middle
    port = free_port()
    common = {
        **fake.env(),
        "HOERCLUB_DATABASE_URL": url,
        "HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "HOERCLUB_TTS_ENGINE": "gtts",
        "HOERCLUB_GTTS_ENDPOINT": gtts.url,
        "HOERCLUB_MAX_WAITING_JOBS": str(LINKS_PER_CHAT),
        "HOERCLUB_HOST_INTRO": "false",
    }
    web = RoleProcess(
        "web",
        fleet_env(
            {
                **common,
                "HOERCLUB_DATA_DIR": str(tmp_path / "web"),
                "HOERCLUB_WEB_PORT": str(port),
                "HOERCLUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "HOERCLUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
        ),
        tmp_path / "web.log",
    )
    processes.append(web)
    workers = []
    for n in range(3):
        env = {
            **common,
            "HOERCLUB_DATA_DIR": str(tmp_path / f"worker{n}"),
            "HOERCLUB_WORKERS": "4",
            "HOERCLUB_JOB_LEASE_SECONDS": "10",
            "HOERCLUB_JOB_SWEEP_SECONDS": "1",
        }
        workers.append(RoleProcess("worker", fleet_env(env), tmp_path / f"worker{n}.log"))
    processes.extend(workers)
    await asyncio.to_thread(web.wait_healthy, port)
    for worker in workers:
        await asyncio.to_thread(worker.wait_logged, r"worker @\S+ ready", 60)
        await asyncio.to_thread(worker.wait_logged, "listening for new jobs", 30)

    titles: dict[int, set[str]] = {}
    for c in range(CHATS):
        chat = FIRST_CHAT + c
        titles[chat] = set()
        for n in range(LINKS_PER_CHAT):
            title = f"Meldung {c}-{n}"
            titles[chat].add(title)
            link = articles.add_route(
                f"/c{c}/a{n}.html", body=article_page(title, WORDS, seed=c * 100 + n)
            )
            fake.send_text(chat, link)

    async def wait_delivered(n: int, timeout: float) -> None:
        # Polled: reading every chat on each change of the fake would hold up its answers.
        deadline = asyncio.get_running_loop().time() + timeout
        while sum(1 for c in titles for m in fake.sent(c) if m.kind == "audio") < n:
            assert asyncio.get_running_loop().time() < deadline, f"not {n} audios in time"
            await asyncio.sleep(0.25)

    await wait_delivered(20, timeout=180)
    [holder] = [w for w in workers if w.logged(DUTIES)]
    held = await _stop_mid_render(holder, url)
    holder.kill()
    others = [w for w in workers if w is not holder]

    total = CHATS * LINKS_PER_CHAT
    await wait_delivered(total, timeout=300)
    await asyncio.sleep(1.5)  # a second copy of anything would arrive now
    for chat, expected in titles.items():
        got = [m.audio["title"] for m in fake.sent(chat) if m.kind == "audio" and m.audio]
        assert sorted(got) == sorted(expected), chat
    assert await job_states(url) == {"delivered": total}
    for job_id in held:  # the killed worker's jobs were taken up and finished by another
        assert any(w.logged(rf"job {job_id} resumed \(was running") for w in others), job_id
    deadline = asyncio.get_running_loop().time() + 30
    while not any(w.logged(DUTIES) for w in others):
        assert asyncio.get_running_loop().time() < deadline, "nobody took the duties over"
        await asyncio.sleep(0.2)
    for process in (web, *others):
        assert process.terminate() == 0
