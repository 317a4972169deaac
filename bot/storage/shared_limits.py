"""Rate limits every process of the fleet shares: sliding windows in Redis, checked by one script.

A request names the windows it needs (the bot's overall window, a group's minute); the Lua
script takes a slot in all of them at one instant or in none and says how long to wait. When
Redis cannot be reached the same windows are kept in this process instead (the limits then
hold per process), with one log line, and Redis is tried again every few seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# How often Redis is tried again while it is away: one failed connect every 5 s costs nothing,
# and the fleet shares its limits again within 5 s of Redis coming back.
RECONNECT_SECONDS: Final = 5.0
# A Redis that answers within a second is healthy (a script call takes well under 1 ms on
# loopback); one that does not is treated as away rather than delaying every send.
REDIS_TIMEOUT_SECONDS: Final = 1.0
# Waits up to this long are slept holding this process's turn, so one request per process asks
# Redis at a time (the overall window frees a slot every ~34 ms); longer waits (a group's
# minute, a 429 pause) let other requests of the process go ahead.
SHORT_WAIT_SECONDS: Final = 0.5

# KEYS[1]: the pause key (set after a 429); KEYS[2..]: one sorted set per window.
# ARGV[1]: a unique member; ARGV[2k], ARGV[2k+1]: limit and window (µs) of KEYS[k+1].
# Returns 0 when a slot was taken in every window, else the µs until one could be.
_ACQUIRE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = redis.call('PTTL', KEYS[1])
if pause > 0 then return pause * 1000 end
local wait = 0
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 * i - 2])
  local window = tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local free = tonumber(oldest[2]) + window - now
    if free > wait then wait = free end
  end
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i - 1]) / 1000) + 1)
end
return 0
"""


@dataclass(frozen=True)
class Window:
    """At most `limit` acquisitions under `key` in any `seconds`-long sliding window."""

    key: str
    limit: int
    seconds: float


class LocalWindows:
    """The same sliding windows kept in this process (what a lone process needs)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._taken: dict[str, deque[float]] = {}
        self._paused_until = 0.0

    def try_acquire(self, windows: Sequence[Window]) -> float:
        """Take a slot in every window and return 0, or return the seconds until one frees."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        wait = 0.0
        for window in windows:
            taken = self._taken.setdefault(window.key, deque())
            while taken and now - taken[0] >= window.seconds:
                taken.popleft()
            if len(taken) >= window.limit:
                wait = max(wait, taken[0] + window.seconds - now)
        if wait > 0:
            return wait
        for window in windows:
            self._taken[window.key].append(now)
        self._forget_idle(now)
        return 0.0

    def pause(self, seconds: float) -> None:
        """Hold every acquisition for `seconds` (Telegram asked to wait)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _forget_idle(self, now: float) -> None:
        # Group windows come and go with the chats; drop empty ones now and then.
        if len(self._taken) > 1024:
            for key in [k for k, taken in self._taken.items() if not taken]:
                del self._taken[key]


def redacted(url: str) -> str:
    """The URL without its password, for log lines."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _client(url: str) -> Redis:
    # No retries inside the client: a failed call falls back at once, and the probe every
    # RECONNECT_SECONDS is the retry.
    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


async def ping_redis(url: str) -> None:
    """Raise ConnectionError unless the Redis at `url` answers PING (for health checks, which
    cannot catch the client's own errors outside this module)."""
    client = _client(url)
    try:
        if not await client.ping():
            raise ConnectionError("PING was not answered with PONG")
    except RedisError as exc:
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        await client.aclose()


class SharedLimiter:
    """Sliding windows in Redis shared by every process, falling back to this process's own."""

    def __init__(
        self,
        url: str,
        *,
        reconnect_seconds: float = RECONNECT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.reconnect_seconds = reconnect_seconds
        self._clock = clock
        self._redis = _client(url)
        self._script = self._redis.register_script(_ACQUIRE)
        self.local = LocalWindows(clock)
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._turn = asyncio.Lock()
        self._ids = itertools.count()
        self._me = f"{os.getpid()}-{os.urandom(4).hex()}"

    @property
    def shared(self) -> bool:
        """Whether the limits are currently kept in Redis (False while it is away)."""
        return self._down_since is None

    async def acquire(self, windows: Sequence[Window], pause_key: str) -> None:
        """Wait until a slot is free in every window (and no pause holds), then take them."""
        while not windows:  # nothing to queue for (an answer to a button): only a pause holds
            wait = await self.try_acquire(windows, pause_key)
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, self.reconnect_seconds))
        while True:
            async with self._turn:
                wait = await self.try_acquire(windows, pause_key)
                while 0 < wait <= SHORT_WAIT_SECONDS:
                    await asyncio.sleep(wait)
                    wait = await self.try_acquire(windows, pause_key)
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, self.reconnect_seconds))

    async def pause(self, pause_key: str, seconds: float) -> None:
        """Hold every process's acquisitions for `seconds` (after Telegram's 429)."""
        self.local.pause(seconds)
        if not self._redis_due():
            return
        try:
            await self._redis.set(pause_key, b"1", px=max(1, round(seconds * 1000)))
        except (RedisError, OSError) as exc:
            self._went_away(exc)
        else:
            self._came_back()

    async def close(self) -> None:
        """Close the connections to Redis."""
        await self._redis.aclose()

    def _redis_due(self) -> bool:
        return self._down_since is None or self._clock() >= self._next_probe

    async def try_acquire(self, windows: Sequence[Window], pause_key: str) -> float:
        """Take a slot in every window and return 0, or return the seconds until one frees."""
        if not self._redis_due():
            return self.local.try_acquire(windows)
        keys = [pause_key, *(w.key for w in windows)]
        args: list[str | int] = [f"{self._me}-{next(self._ids)}"]
        for window in windows:
            args += [window.limit, round(window.seconds * 1_000_000)]
        try:
            micros = await self._script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            self._went_away(exc)
            return self.local.try_acquire(windows)
        self._came_back()
        return int(micros) / 1_000_000

    def _went_away(self, exc: BaseException) -> None:
        self._next_probe = self._clock() + self.reconnect_seconds
        if self._down_since is None:
            self._down_since = self._clock()
            logger.warning(
                "Redis at %s unreachable (%s): rate limits now hold per process; "
                "trying again every %.0f s",
                redacted(self.url),
                exc,
                self.reconnect_seconds,
            )

    def _came_back(self) -> None:
        if self._down_since is not None:
            logger.warning(
                "Redis at %s is back after %.0f s: rate limits are shared again",
                redacted(self.url),
                self._clock() - self._down_since,
            )
            self._down_since = None
