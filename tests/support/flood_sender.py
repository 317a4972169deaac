"""Another process of the fleet: a PTB Application that sends as fast as its rate limiter lets it.

    python -m tests.support.flood_sender --chats 1,2,3 --seconds 4 [--group -100 --group-seconds 2]

Reads TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL and HOERCLUB_REDIS_URL from the environment
(FakeTelegram.env() plus the Redis URL); prints "sent N" on stdout when done, and logs to
stderr so a test can count the limiter's lines.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from typing import Any

from bot.config import load_settings
from bot.telegram.flood import FleetRateLimiter, FloodLimits, build_rate_limiter

# What the factory passes (bot.telegram.factory).
OVERALL_PER_SECOND = 29
RETRIES = 5


def build_app(
    group_seconds: float | None = None, reconnect: float | None = None, **overrides: Any
) -> Any:
    """An Application against the fake server of the environment, with the fleet's limiter."""
    from telegram.ext import ApplicationBuilder

    settings = load_settings(**overrides)
    limits = FloodLimits(OVERALL_PER_SECOND)
    if group_seconds is not None:
        limits = FloodLimits(OVERALL_PER_SECOND, group_seconds=group_seconds)
    limiter = build_rate_limiter(
        settings, overall_per_second=OVERALL_PER_SECOND, max_retries=RETRIES, limits=limits
    )
    if reconnect is not None and isinstance(limiter, FleetRateLimiter):
        limiter.limiter.reconnect_seconds = reconnect
    token = settings.telegram_bot_token
    assert token is not None
    return (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(limiter)
        .build()
    )


async def send_for(app: Any, chats: list[int], seconds: float, concurrency: int = 8) -> int:
    """Send to `chats` in turn from `concurrency` tasks until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    sent = 0

    async def sender(offset: int) -> None:
        nonlocal sent
        index = offset
        while time.monotonic() < deadline:
            await app.bot.send_message(chats[index % len(chats)], f"Nachricht {index}")
            sent += 1
            index += concurrency

    await asyncio.gather(*(sender(i) for i in range(concurrency)))
    return sent


async def send_all(app: Any, messages: list[int]) -> None:
    """Send one message to each chat of `messages` (repeats allowed), all at once."""
    await asyncio.gather(
        *(app.bot.send_message(chat, f"Nachricht {n}") for n, chat in enumerate(messages))
    )


async def _main(args: argparse.Namespace) -> None:
    app = build_app(args.group_seconds, args.reconnect)
    chats = [int(c) for c in args.chats.split(",") if c]
    async with app:
        print("ready", flush=True)
        sent = 0
        if args.group is not None:
            await send_all(app, [args.group] * args.group_messages)
            sent += args.group_messages
        if args.seconds:
            sent += await send_for(app, chats, args.seconds)
        elif chats:
            await send_all(app, chats)
            sent += len(chats)
    print(f"sent {sent}", flush=True)


def main() -> None:
    """Parse the arguments and send."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", default="")
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--group", type=int)
    parser.add_argument("--group-messages", type=int, default=0)
    parser.add_argument("--group-seconds", type=float)
    parser.add_argument("--reconnect", type=float)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s %(message)s")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
