"""The fault suite runs the real bot against the local fakes, as tests/telegram does."""

from __future__ import annotations

from tests.telegram.conftest import (  # noqa: F401  (fixtures shared with the bot tests)
    _aiohttp_multipart_deprecation,
    _ptb_timedelta,
    article_url,
    articles,
    fake,
    gtts,
    start_bot,
)
from tests.telegram.test_process import bot_env, processes  # noqa: F401
