"""The fake Bot API with a webhook: it refuses plain HTTP elsewhere than loopback, POSTs each
update with the secret, retries a failed delivery, and refuses getUpdates meanwhile (409)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from tests.support.fake_telegram import FakeTelegram

USER = 4242


class Receiver:
    """A webhook endpoint on 127.0.0.1 that fails its first `failures` requests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[tuple[str | None, int]] = []  # (secret header, update_id)
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body["update_id"])
        )
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running receiver (failing its first request)."""
    hook = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield hook
    finally:
        await runner.cleanup()


async def test_updates_go_to_the_webhook_with_the_secret(
    fake: FakeTelegram, receiver: Receiver
) -> None:
    api = f"{fake.base_url}{fake.token}"
    async with httpx.AsyncClient(timeout=10) as client:
        plain = await client.post(f"{api}/setWebhook", json={"url": "http://example.org/hook"})
        assert plain.status_code == 400
        bad = await client.post(
            f"{api}/setWebhook", json={"url": receiver.url, "secret_token": "nicht erlaubt!"}
        )
        assert bad.status_code == 400
        ok = await client.post(
            f"{api}/setWebhook",
            json={"url": receiver.url, "secret_token": "s3cret", "allowed_updates": ["message"]},
        )
        assert ok.json() == {"ok": True, "result": True}
        sent = fake.send_text(USER, "hallo")
        await fake.wait_for(lambda f: f.pending_updates == 0 or None, timeout=10, what="delivery")
        assert receiver.seen == [("s3cret", sent["update_id"])] * 2  # failed once, then retried
        assert [status for _, status in fake.webhook_deliveries] == [500, 200]
        assert (await client.get(f"{api}/getUpdates")).status_code == 409
        info = (await client.get(f"{api}/getWebhookInfo")).json()["result"]
        assert info["url"] == receiver.url
        assert info["pending_update_count"] == 0

        assert (await client.post(f"{api}/deleteWebhook")).json()["result"] is True
        assert fake.webhook == ("", "")
        fake.send_text(USER, "wieder da")
        polled = (await client.get(f"{api}/getUpdates")).json()["result"]
        assert [u["message"]["text"] for u in polled] == ["wieder da"]
    await asyncio.sleep(0.3)
    assert len(receiver.seen) == 2  # nothing more went to the deleted webhook
