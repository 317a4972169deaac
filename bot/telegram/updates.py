"""Updates in: those of different chats concurrently, those of one chat in order; an update
the bot cannot read is logged once and skipped, never fetched again and again."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any, Final

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest, HTTPXRequest, RequestData

logger = logging.getLogger(__name__)

# Plenty for a bot whose handlers only enqueue; each waits mostly on one Bot API call.
MAX_CONCURRENT_UPDATES: Final = 64


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrency across chats, so one busy chat never delays the others; order within one."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the handler coroutine while holding its chat's lock."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if self._users[chat.id] == 0:
                del self._users[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def readable_updates(payload: bytes) -> bytes:
    """A getUpdates answer with every update the bot cannot read replaced by its bare id.

    python-telegram-bot parses a batch as a whole: one malformed update (say a message without
    `date`, from a non-conformant Bot API server) fails it, the offset never moves and the same
    batch comes back forever. The bare `{"update_id": n}` still moves the offset on, and no
    handler matches it.
    """
    try:
        body = json.loads(payload)
    except ValueError:
        return payload  # PTB reports an answer that is not JSON itself
    result = body.get("result") if isinstance(body, dict) and body.get("ok") is True else None
    if not isinstance(result, list):
        return payload
    changed = False
    for index, item in enumerate(result):
        try:
            Update.de_json(item, None)
        except Exception as exc:  # any way a malformed update fails to parse
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                continue  # nothing to confirm it by: PTB's own error handling applies
            logger.warning("update %s cannot be read and is skipped: %r", update_id, exc)
            result[index] = {"update_id": update_id}
            changed = True
    return json.dumps(body).encode() if changed else payload


class UpdatesRequest(HTTPXRequest):
    """The getUpdates HTTP client: unreadable updates are skipped (see `readable_updates`)."""

    def __init__(self) -> None:
        # One long poll at a time needs one connection (python-telegram-bot's default).
        super().__init__(connection_pool_size=1)

    async def do_request(  # noqa: PLR0917 - python-telegram-bot's signature
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Fetch updates; an answer with unreadable updates comes back with them skipped."""
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == 200 and url.endswith("/getUpdates"):
            payload = readable_updates(payload)
        return code, payload
