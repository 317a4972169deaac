"""`hoerclub web` as a real process: the webhook is set with its secret; requests without it,
with a wrong one or with a body that is no update are refused and queue nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fleet.conftest import data_dir_url, job_states
from tests.support.article_server import ArticleServer
from tests.support.fake_telegram import FakeTelegram
from tests.support.fleet import WEBHOOK_SECRET, RoleProcess, fleet_env, free_port
from tests.support.pages import article_page

USER = 4242
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _message_update(update_id: int, text: str) -> dict[str, object]:
    user = {"id": USER, "is_bot": False, "first_name": "Testnutzer"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": USER, "type": "private", "first_name": "Testnutzer"},
            "from": user,
            "text": text,
        },
    }


async def test_the_webhook_wants_its_secret_and_an_update(
    fake: FakeTelegram, articles: ArticleServer, processes: list[RoleProcess], tmp_path: Path
) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = fleet_env(
        {
            **fake.env(),
            "HOERCLUB_DATA_DIR": str(data),
            "HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
            "HOERCLUB_TTS_ENGINE": "espeak",
            "HOERCLUB_WEB_PORT": str(port),
            "HOERCLUB_PUBLIC_URL": f"http://127.0.0.1:{port}/",
            "HOERCLUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    web = RoleProcess("web", env, tmp_path / "web.log")
    processes.append(web)
    await asyncio.to_thread(web.wait_healthy, port)
    assert fake.webhook == (f"http://127.0.0.1:{port}/telegram", WEBHOOK_SECRET)
    [call] = fake.calls_to("setWebhook")
    assert sorted(call.params["allowed_updates"]) == ["callback_query", "message"]

    url = articles.add_route("/geheim.html", body=article_page("Geheim", 80))
    update = json.dumps(_message_update(900_001, url)).encode()
    endpoint = f"http://127.0.0.1:{port}/telegram"
    async with httpx.AsyncClient(timeout=10) as client:
        refused = [
            await client.post(endpoint, content=update),
            await client.post(endpoint, content=update, headers={HEADER: "falsch"}),
            await client.post(endpoint, content=update, headers={HEADER: WEBHOOK_SECRET + "x"}),
        ]
        malformed = [
            await client.post(endpoint, content=b"{nope", headers={HEADER: WEBHOOK_SECRET}),
            await client.post(endpoint, content=b"[1, 2]", headers={HEADER: WEBHOOK_SECRET}),
            await client.post(
                endpoint,
                content=json.dumps({"update_id": "1", "message": {"text": url}}).encode(),
                headers={HEADER: WEBHOOK_SECRET},
            ),
            await client.post(
                endpoint,
                content=json.dumps({"update_id": 5, "message": "nope"}).encode(),
                headers={HEADER: WEBHOOK_SECRET},
            ),
        ]
        metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert [r.status_code for r in malformed] == [400, 400, 400, 400]
    assert metrics.status_code == 200
    assert 'hoerclub_jobs{state="queued"} 0.0' in metrics.text
    await asyncio.sleep(1.0)  # a queued update would have written its row by now
    assert await job_states(data_dir_url(data)) == {}
    assert fake.sent(USER) == []

    # The same link sent through Telegram arrives by webhook, with the secret: one job row.
    fake.send_text(USER, url)
    status = await fake.wait_for_sent(USER, kind="text", timeout=30)
    assert status.text
    for _ in range(100):  # the status message goes out before the row is written
        if await job_states(data_dir_url(data)):
            break
        await asyncio.sleep(0.1)
    assert await job_states(data_dir_url(data)) == {"queued": 1}
    assert [s for _, s in fake.webhook_deliveries] == [200]
    # Updates go to the webhook now: getUpdates is refused as on Telegram.
    async with httpx.AsyncClient() as client:
        polled = await client.get(f"{fake.base_url}{fake.token}/getUpdates")
    assert polled.status_code == 409
    assert web.terminate() == 0


def test_web_refuses_to_start_without_its_secret(tmp_path: Path) -> None:
    env = fleet_env(
        {
            "TELEGRAM_BOT_TOKEN": "123456789:AAHfakeTokenForHoerclubTests-0123456789",
            "HOERCLUB_DATA_DIR": str(tmp_path / "data"),
            "HOERCLUB_PUBLIC_URL": "https://bot.example.org",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "web"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    said = [line for line in done.stderr.splitlines() if line.startswith("hoerclub:")]
    assert said == ["hoerclub: HOERCLUB_WEBHOOK_SECRET is not set; `hoerclub web` needs it"]
    assert "Traceback" not in done.stderr
