"""A fake Telegram Bot API server on 127.0.0.1, as strict as the real one, for tests and benches.

It speaks HTTP like api.telegram.org, so the real python-telegram-bot runs against it unchanged::

    with FakeTelegram() as fake:                      # or: async with FakeTelegram() as fake:
        app = fake.application_builder().build()      # base_url/base_file_url/token set
        ...
        fake.send_text(42, "https://example.org/artikel")
        audio = await fake.wait_for_sent(42, kind="audio")

URL layout: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>``. The server runs in a
background thread with its own event loop, so it serves async tests, sync tests and a bot
running as a separate process (``fake.env()`` gives the environment variables) alike.

What it checks and answers like Telegram (see fake_telegram_api.py for the exact wording):
unknown token 401, unknown method 404 (a real method the fake lacks: 501), GET/form/JSON/
multipart parameters with files as parts named after their parameter, 413 for a file over
50 MiB, long-polling getUpdates with offset/limit/timeout/allowed_updates and 409 for the
older of two concurrent polls, "chat not found" for chats no user has written from, text and
caption limits, HTML/MarkdownV2 entity errors, "message is not modified", file_ids that only
work for the file's kind, getFile and downloads (20 MiB limit), callback query answers,
privacy mode in groups, optional flood limits, and injected failures (``fail_next``,
``drop_next``, ``stall_next``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from aiohttp import BodyPartReader, ClientError, ClientSession, ClientTimeout, hdrs, web

from tests.support.fake_telegram_api import (
    POLL_CONFLICT,
    ApiError,
    BotApiState,
    Call,
    JSONDict,
    Params,
    SentMessage,
    StoredFile,
    UploadedFile,
    decode_params,
    implemented_methods,
    real_methods,
)
from tests.support.fake_telegram_entities import (
    TextBuilder,
    detect_entities,
    entity,
    entity_text,
    utf16_len,
    utf16_offset,
    utf16_slice,
)

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import ApplicationBuilder

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Call",
    "FakeTelegram",
    "SentMessage",
    "StoredFile",
    "TextBuilder",
    "UploadedFile",
    "detect_entities",
    "entity",
    "entity_text",
    "utf16_len",
    "utf16_offset",
    "utf16_slice",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

DEFAULT_TOKEN: Final = "123456789:AAHfakeTokenForHoerclubTests-0123456789"
MAX_POLL_TIMEOUT: Final = 50  # seconds; api.telegram.org does not hold a poll longer
_READ_CHUNK: Final = 1 << 20
# Telegram waits a while for a webhook's answer and retries a failed delivery later; the fake
# gives up on one POST after this many seconds and retries after WEBHOOK_RETRY_SECONDS.
WEBHOOK_TIMEOUT: Final = 10.0
WEBHOOK_RETRY_SECONDS: Final = 0.5


@dataclass(eq=False)
class _Poll:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False


class FakeTelegram(BotApiState):
    """A fake Bot API server in a background thread; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **options: Any,
    ) -> None:
        """Options: bot_username, bot_name, upload_limit, download_limit, privacy_mode (True),
        flood_limits (False), callback_timeout, keep_uploads (True); see BotApiState."""
        super().__init__(token, **options)
        self.host = host
        self._port = port
        self._methods = implemented_methods()
        self._real_methods = real_methods()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._polls: set[_Poll] = set()
        self._poll_count = 0
        self._closing = False
        self._condition = threading.Condition()
        self._version = 0
        self._async_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._webhook_wake: asyncio.Event | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        """Start serving in a background thread; returns self once the port is bound."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._closing = False
        self._thread = threading.Thread(target=run, name="FakeTelegram", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise RuntimeError("FakeTelegram could not start") from failure[0]
        logger.info("FakeTelegram serving on %s", self.url)
        return self

    async def _startup(self) -> None:
        app = web.Application(client_max_size=self.upload_limit + 16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._webhook_wake = asyncio.Event()
        self._webhook_task = asyncio.create_task(self._deliver_to_webhook())

    def stop(self) -> None:
        """Stop the server and its thread (pending long polls answer [] first)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            self._thread = None
            self._loop = None

    async def _shutdown(self) -> None:
        self._closing = True
        self._wake_polls()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeTelegram:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- addresses and clients ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._thread is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's base_url wants: ``<url>/bot``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What python-telegram-bot's base_file_url wants: ``<url>/file/bot``."""
        return f"{self.url}/file/bot"

    def env(self) -> dict[str, str]:
        """Environment variables that point `hoerclub bot` at this server."""
        return {
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_API_BASE_URL": self.base_url,
            "TELEGRAM_FILE_BASE_URL": self.base_file_url,
        }

    def bot(self, **kwargs: Any) -> Bot:
        """A telegram.Bot pointed at this server (use it with `async with`)."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    def application_builder(self) -> ApplicationBuilder:  # type: ignore[type-arg]
        """An ApplicationBuilder with token, base_url and base_file_url set to this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    # --- state hooks -------------------------------------------------------------------------

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting right now."""
        return self._poll_count > 0

    def _changed(self) -> None:
        with self._condition:
            self._version += 1
            self._condition.notify_all()
        for loop, event in list(self._async_waiters):
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                loop.call_soon_threadsafe(event.set)

    def _updates_added(self) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_polls)

    def _wake_polls(self) -> None:
        for poll in self._polls:
            poll.event.set()
        if self._webhook_wake is not None:
            self._webhook_wake.set()

    async def _deliver_to_webhook(self) -> None:
        """POST queued updates one by one to the webhook, with its secret, while one is set."""
        wake = self._webhook_wake
        assert wake is not None
        async with ClientSession(timeout=ClientTimeout(total=WEBHOOK_TIMEOUT)) as client:
            while True:
                await wake.wait()
                wake.clear()
                while (pending := self.next_webhook_update()) is not None:
                    url, secret, update = pending
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                    try:
                        async with client.post(url, json=update, headers=headers) as response:
                            status = response.status
                    except (ClientError, TimeoutError):
                        status = 0
                    self.webhook_answered(int(update["update_id"]), status)
                    if not 200 <= status < 300:
                        await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    async def wait_until_webhook(self, timeout: float = 10.0) -> str:
        """Wait until a webhook is set; returns its URL."""
        return await self.wait_for(
            lambda fake: fake.webhook[0] or None, timeout, what="a webhook set"
        )

    # --- waiting -----------------------------------------------------------------------------

    def _describe_recent(self) -> str:
        lines = []
        for call in self.calls[-12:]:
            outcome = "ok" if call.ok else f"{call.status} {call.description}"
            lines.append(f"  {call.method} -> {outcome}")
        return "recent calls:\n" + ("\n".join(lines) or "  (none)")

    async def wait_for(
        self,
        predicate: Callable[[FakeTelegram], _T | None],
        timeout: float = 10.0,
        *,
        what: str = "condition",
    ) -> _T:
        """Wait until `predicate(self)` returns something truthy and return it.

        Re-evaluated after every request the bot makes and every injected update.
        Raises TimeoutError (listing the recent calls) after `timeout` seconds.
        """
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        self._async_waiters.add(entry)
        deadline = loop.time() + timeout
        try:
            while True:
                event.clear()
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{what} not met within {timeout} s; {self._describe_recent()}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, 0.5))
        finally:
            self._async_waiters.discard(entry)

    def wait_for_sync(
        self,
        predicate: Callable[[FakeTelegram], _T | None],
        timeout: float = 10.0,
        *,
        what: str = "condition",
    ) -> _T:
        """The blocking variant of wait_for, for sync tests (e.g. with a bot subprocess)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{what} not met within {timeout} s; {self._describe_recent()}"
                    )
                self._condition.wait(min(remaining, 0.5))

    def _sent_matching(
        self,
        chat_id: int,
        kind: str | None,
        predicate: Callable[[SentMessage], bool] | None,
        count: int,
    ) -> list[SentMessage] | None:
        found = [
            m
            for m in self.sent(chat_id)
            if (kind is None or m.kind == kind) and (predicate is None or predicate(m))
        ]
        return found if len(found) >= count else None

    async def wait_for_sent(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        kind: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> SentMessage:
        """Wait until the bot sent `count` messages to `chat_id` matching kind and predicate;
        returns the last of them (kind: text, audio, voice, document, photo)."""
        found = await self.wait_for(
            lambda fake: fake._sent_matching(chat_id, kind, predicate, count),
            timeout,
            what=f"{count} {kind or 'message'}(s) to chat {chat_id}",
        )
        return found[count - 1]

    def wait_for_sent_sync(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        kind: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> SentMessage:
        """The blocking variant of wait_for_sent."""
        found = self.wait_for_sync(
            lambda fake: fake._sent_matching(chat_id, kind, predicate, count),
            timeout,
            what=f"{count} {kind or 'message'}(s) to chat {chat_id}",
        )
        return found[count - 1]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 10.0,
    ) -> Call:
        """Wait until the bot made a (completed) call of `method` matching `predicate`."""

        def match(fake: FakeTelegram) -> Call | None:
            for call in fake.calls_to(method):
                if predicate is None or predicate(call):
                    return call
            return None

        return await self.wait_for(match, timeout, what=f"a {method} call")

    async def wait_until_polling(self, timeout: float = 10.0) -> None:
        """Wait until a getUpdates long poll is waiting (the bot is up)."""
        await self.wait_for(lambda fake: fake.polling, timeout, what="a getUpdates poll")

    def wait_until_polling_sync(self, timeout: float = 10.0) -> None:
        """The blocking variant of wait_until_polling."""
        self.wait_for_sync(lambda fake: fake.polling, timeout, what="a getUpdates poll")

    async def wait_until_consumed(self, timeout: float = 10.0) -> None:
        """Wait until every queued update was confirmed by a getUpdates offset."""
        await self.wait_for(
            lambda fake: fake.pending_updates == 0, timeout, what="all updates confirmed"
        )

    # --- HTTP --------------------------------------------------------------------------------

    @staticmethod
    def _json(body: JSONDict, status: int) -> web.Response:
        return web.json_response(
            body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False)
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return await self._download(path)
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)", path)
        if match is None:
            return self._json(ApiError(404, "Not Found").body(), 404)
        token, name = match.groups()
        if token != self.token:
            # Telegram: 401 for a well-formed unknown token, 404 for a malformed one.
            status = 401 if re.fullmatch(r"\d+:[\w-]{20,}", token) else 404
            error = ApiError(401, "Unauthorized") if status == 401 else ApiError(404, "Not Found")
            return self._json(error.body(), status)
        method = self._methods.get(name.lower(), name)
        values: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        try:
            await self._read_params(request, values, files)
            if name.lower() not in self._methods:
                if name.lower() in self._real_methods:
                    raise ApiError(501, f"Not Implemented: FakeTelegram lacks {name}; add it")
                raise ApiError(404, "Not Found")
            failure = self._take_failure(method)
            if failure is not None:
                raise failure
            values = decode_params(values)
            stall = 0.0 if method == "getUpdates" else self.take_stall(method)
            if stall:
                await asyncio.sleep(stall)
            drop = None if method == "getUpdates" else self.take_drop(method)
            if drop is not None:
                if drop:
                    self.run_method(method, values, files)
                if request.transport is not None:
                    request.transport.abort()  # no answer at all: the outcome is unknown
                return web.Response(status=500)
            if method == "getUpdates":
                updates = await self._get_updates(values)
                status, body = self.record_outcome(method, values, files, result=updates)
            else:
                status, body = self.run_method(method, values, files)
        except ApiError as error:
            status, body = self.record_outcome(method, values, files, error=error)
        return self._json(body, status)

    async def _read_params(
        self, request: web.Request, values: JSONDict, files: dict[str, UploadedFile]
    ) -> None:
        """Fill `values` and `files` from the query string and the body."""
        values.update(request.query)
        content_type = request.content_type
        if not request.body_exists:
            return
        if content_type == "multipart/form-data":
            too_big = False
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is None:
                    values[part.name] = await part.text()
                    continue
                data = bytearray()
                size = 0
                while chunk := await part.read_chunk(_READ_CHUNK):
                    size += len(chunk)
                    if size <= self.upload_limit:
                        data += chunk
                    elif data:
                        data = bytearray()
                too_big = too_big or size > self.upload_limit
                files[part.name] = UploadedFile(
                    name=part.name,
                    filename=part.filename,
                    content_type=part.headers.get(hdrs.CONTENT_TYPE),
                    data=bytes(data) if size <= self.upload_limit else b"",
                    size=size,
                )
            if too_big:
                raise ApiError(413, "Request Entity Too Large")
        elif content_type == "application/x-www-form-urlencoded":
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            values.update({key: str(value) for key, value in form.items()})
        elif content_type == "application/json":
            try:
                payload = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(payload, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            values.update(payload)

    async def _get_updates(self, values: JSONDict) -> list[JSONDict]:
        self.check_webhook()
        timeout = Params(values, {}).get_int("timeout") or 0
        timeout = min(max(timeout, 0), MAX_POLL_TIMEOUT)
        for older in self._polls:  # the newer poll wins, the older one gets 409
            older.terminated = True
            older.event.set()
        poll = _Poll()
        self._polls.add(poll)
        self._poll_count = len(self._polls)
        self._changed()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                poll.event.clear()
                if poll.terminated:
                    raise ApiError(409, POLL_CONFLICT)
                updates = self.take_updates(values)
                if updates or self._closing:
                    return updates
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.event.wait(), remaining)
        finally:
            self._polls.discard(poll)
            self._poll_count = len(self._polls)
            self._changed()

    async def _download(self, path: str) -> web.StreamResponse:
        match = re.fullmatch(r"/file/bot([^/]*)/(.+)", path)
        if match is None:
            return self._json(ApiError(404, "Not Found").body(), 404)
        token, file_path = match.groups()
        if token != self.token:
            return self._json(ApiError(401, "Unauthorized").body(), 401)
        stored = self.file_by_path(file_path)
        if stored is None or len(stored.data) > self.download_limit:
            return self._json(ApiError(404, "Not Found").body(), 404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
