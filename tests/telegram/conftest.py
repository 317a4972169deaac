"""The real bot (Application, JobService, Pipeline, SQLite) against the fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.config import Settings, load_settings
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.storage.db import Database
from bot.telegram.factory import BotApplication, start_application
from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.pages import article_page, png_image

USER = 4242  # a private chat's id is the user's id
GROUP = -100777


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's int durations warn (warnings are errors here); the bot opts into timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(autouse=True)
def _aiohttp_multipart_deprecation() -> Iterator[None]:
    """aiohttp's multipart reader (inside the fake server's thread) calls its own deprecated
    `unread_data` on some chunk boundaries; with warnings as errors the fake answered 500."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unread_data", DeprecationWarning)
        yield


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def articles() -> Iterator[ArticleServer]:
    """A local article server (saved pages plus routes added by the test)."""
    with ArticleServer() as server:
        yield server


@pytest.fixture
def gtts() -> Iterator[FakeGTTS]:
    """The local fake of Google's TTS endpoint."""
    server = FakeGTTS().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class BotUnderTest:
    """A running bot with its services, for assertions on the database side too."""

    fake: FakeTelegram
    services: Services
    stopped: bool = field(default=False)

    @property
    def settings(self) -> Settings:
        """The bot's settings."""
        return self.services.settings

    @property
    def app(self) -> BotApplication:
        """The python-telegram-bot Application."""
        return self.services.app

    @property
    def jobs(self) -> JobService:
        """The durable job service."""
        return self.services.jobs

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline the workers render with."""
        return self.services.pipeline

    @property
    def db(self) -> Database:
        """The bot's database."""
        return self.services.db

    async def stop(self) -> None:
        """Stop polling and workers, close the pipeline and the database."""
        if self.stopped:
            return
        self.stopped = True
        await self.services.close()


StartBot = Callable[..., Awaitable[BotUnderTest]]


@pytest.fixture
async def start_bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[StartBot]:
    """Start the real bot against `fake`; keyword arguments are environment settings (and
    `retry_delays`, the job queue's waits between attempts)."""
    running: list[BotUnderTest] = []

    async def start(*, retry_delays: tuple[float, ...] = (0.2,), **env: Any) -> BotUnderTest:
        values: dict[str, Any] = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
            "HOERCLUB_TTS_ENGINE": "espeak",
            "HOERCLUB_DATA_DIR": tmp_path / "data",
            "HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
            "HOERCLUB_WORKERS": 2,
        }
        values.update(env)
        settings = load_settings(**values)
        services = await open_services(settings, poll_seconds=0.2, retry_delays=retry_delays)
        bot = BotUnderTest(fake, services)
        running.append(bot)
        await start_application(services.app)
        await fake.wait_until_polling()
        return bot

    yield start
    for bot in reversed(running):
        with contextlib.suppress(Exception):
            await bot.stop()


@pytest.fixture
def article_url(articles: ArticleServer) -> Callable[..., str]:
    """Serve a generated article (with its image) and return its URL."""

    def make(name: str, title: str, words: int = 120, *, image: bool = True, seed: int = 0) -> str:
        image_url = None
        if image:
            image_url = articles.add_route(
                f"/bilder/{name}.png", body=png_image(), content_type="image/png"
            )
        return articles.add_route(
            f"/{name}.html", body=article_page(title, words, seed=seed, image=image_url)
        )

    return make


def texts_of(fake: FakeTelegram, chat_id: int) -> list[str]:
    """Every version of every text message the bot sent to a chat, oldest first."""
    out: list[str] = []
    for message in fake.sent(chat_id):
        if message.kind == "text":
            out.extend(t for t in message.texts if t)
    return out


def audios(fake: FakeTelegram, chat_id: int, kind: str = "audio") -> list[SentMessage]:
    """The audio (or voice) messages the bot sent to a chat."""
    return [m for m in fake.sent(chat_id) if m.kind == kind]


async def settle(seconds: float = 0.5) -> None:
    """Give the bot a moment in which nothing more should happen."""
    await asyncio.sleep(seconds)


async def wait_statuses_deleted(fake: FakeTelegram, chat_id: int, timeout: float = 10.0) -> None:
    """Wait until every status (text) message in the chat is deleted; the delete follows the
    upload, and on a loaded machine it can take longer than a fixed settle time."""
    await fake.wait_for(
        lambda f: all(m.deleted for m in f.sent(chat_id) if m.kind == "text") or None,
        timeout,
        what=f"status messages in chat {chat_id} deleted",
    )
