"""The real bot against the fake Bot API, as in the Telegram tests (their fixtures, reused)."""

from __future__ import annotations

from tests.telegram.conftest import (
    _aiohttp_multipart_deprecation,
    _ptb_timedelta,
    article_url,
    articles,
    fake,
    gtts,
    start_bot,
)

__all__ = [
    "_aiohttp_multipart_deprecation",
    "_ptb_timedelta",
    "article_url",
    "articles",
    "fake",
    "gtts",
    "start_bot",
]
