"""Telegram's flood limits for the whole fleet: a rate limiter whose windows live in Redis.

Without HOERCLUB_REDIS_URL one process is the whole bot and PTB's AIORateLimiter holds the
limits as it always did; with it, every process takes its slots from the same windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.config import Settings
from bot.storage.shared_limits import RECONNECT_SECONDS, SharedLimiter, Window

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Telegram's FAQ: "no more than 20 messages per minute" in one group. Held as a sliding window
# of 20 in 61 s: the second more keeps two sends a minute apart when granted also a minute
# apart when they arrive, whatever the upload before them took.
GROUP_MESSAGES_PER_MINUTE: Final = 20
GROUP_WINDOW_SECONDS: Final = 61.0


@dataclass(frozen=True)
class FloodLimits:
    """How fast the bot may send: overall, spaced; per group, a sliding window."""

    overall_per_second: float
    group_messages: int = GROUP_MESSAGES_PER_MINUTE
    group_seconds: float = GROUP_WINDOW_SECONDS


class FleetRateLimiter(BaseRateLimiter[int]):
    """Flood limits shared through Redis by every process that sends as this bot.

    Like AIORateLimiter: a request with a `chat_id` takes a slot of the overall window (a
    window of one, spaced 1/overall_per_second apart, which never lets a burst through), one
    to a group (negative or @name chat_id) also a slot of that group's window; a 429 holds
    every request, here of every process, for `retry_after` + 0.1 s and is retried up to
    `max_retries` times.
    """

    def __init__(
        self,
        url: str,
        bot_id: str,
        limits: FloodLimits,
        *,
        max_retries: int,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self.limits = limits
        self.max_retries = max_retries
        self.limiter = SharedLimiter(url, reconnect_seconds=reconnect_seconds)
        # One hash tag, so a Redis Cluster keeps every key of this bot in one slot.
        self._prefix = f"hoerclub:flood:{{{bot_id}}}"
        self._overall = Window(f"{self._prefix}:all", 1, 1 / limits.overall_per_second)

    async def initialize(self) -> None:
        """Nothing to set up: Redis is connected on first use."""

    async def shutdown(self) -> None:
        """Close the connections to Redis."""
        await self.limiter.close()

    def windows(self, data: dict[str, Any]) -> list[Window]:
        """The windows a request with these parameters takes a slot in."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return []
        windows = [self._overall]
        with contextlib.suppress(TypeError, ValueError):  # "@name" stays a string
            chat_id = int(chat_id)
        if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
            key = f"{self._prefix}:chat:{chat_id}"
            windows.append(Window(key, self.limits.group_messages, self.limits.group_seconds))
        return windows

    async def process_request(  # noqa: PLR0917 - PTB's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Wait for a slot in every window that applies, send; after a 429 pause and retry."""
        max_retries = rate_limit_args or self.max_retries
        windows = self.windows(data)
        pause_key = f"{self._prefix}:pause"
        for attempt in range(max_retries + 1):
            await self.limiter.acquire(windows, pause_key)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    logger.exception("rate limit hit after maximum of %d retries", max_retries)
                    raise
                sleep = _seconds(exc.retry_after) + 0.1
                logger.info("rate limit hit on %s; every process waits %.1f s", endpoint, sleep)
                await self.limiter.pause(pause_key, sleep)
                await asyncio.sleep(sleep)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_rate_limiter(
    settings: Settings,
    *,
    overall_per_second: float,
    max_retries: int,
    limits: FloodLimits | None = None,
) -> BaseRateLimiter[int]:
    """The fleet's shared limiter when HOERCLUB_REDIS_URL is set, else AIORateLimiter as ever."""
    if settings.redis_url is None:
        return AIORateLimiter(
            overall_max_rate=1,
            overall_time_period=1 / overall_per_second,
            max_retries=max_retries,
        )
    token = settings.telegram_bot_token
    # The token's first part is the bot's id: bots sharing one Redis keep their own windows.
    bot_id = token.get_secret_value().split(":", 1)[0] if token is not None else "bot"
    return FleetRateLimiter(
        settings.redis_url,
        bot_id,
        limits or FloodLimits(overall_per_second),
        max_retries=max_retries,
    )
