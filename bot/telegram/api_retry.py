"""Bot API calls that Telegram answered with a server error are sent again, with a backoff.

An explicit error answer (HTTP 5xx, or 429 without `retry_after`, with Telegram's JSON error
body) means the call did nothing, so sending it again can never make a duplicate. A connection
lost before any answer is different: the call may have gone through, and it is left to the
caller (an upload is then never repeated by itself).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any, Final

from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.metrics import TELEGRAM_ERRORS, telegram_code

logger = logging.getLogger(__name__)

# Waits before the 2nd, 3rd and 4th attempt. A 5xx from the Bot API is a front end restarting
# or overloaded for a moment; 3.5 s in all keeps a status message prompt, and a call still
# refused then is left to the job queue's own (longer) retries.
ANSWER_RETRY_DELAYS: Final = (0.5, 1.0, 2.0)
# Statuses whose JSON error answer says "not done, try later" (429 with `retry_after` is left
# to the rate limiter, which waits as long as Telegram asks).
_RETRIED_STATUS_MIN: Final = 500
_TOO_MANY_REQUESTS: Final = 429
_FIRST_ERROR_STATUS: Final = 400


class AnsweredError(NetworkError):
    """Telegram answered with an error that says nothing was done (5xx or a bare 429)."""


def answered_error(code: int, payload: bytes) -> str | None:
    """Telegram's description when the answer is an explicit "not done" error, else None."""
    if code < _RETRIED_STATUS_MIN and code != _TOO_MANY_REQUESTS:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None  # not Telegram's answer (a proxy's page, a cut-off body): unknown outcome
    if not isinstance(body, dict) or body.get("ok") is not False:
        return None
    parameters = body.get("parameters")
    if isinstance(parameters, dict) and parameters.get("retry_after"):
        return None
    description = body.get("description")
    return f"{description or 'error'} ({code})"


class RetryingRequest(HTTPXRequest):
    """The bot's HTTP client: explicit server errors are retried a few times with a backoff."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        retry_delays: Sequence[float] = ANSWER_RETRY_DELAYS,
    ) -> None:
        super().__init__(connection_pool_size=connection_pool_size)
        self.retry_delays = tuple(retry_delays)

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
        """Send the call; on an explicit error answer wait and send it again (bounded)."""
        api_method = url.rsplit("/", 1)[-1]  # never the URL: it holds the token
        for attempt, delay in enumerate((*self.retry_delays, None), start=1):
            code, payload = await super().do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
            if code >= _FIRST_ERROR_STATUS:  # every error answer, retried here or not
                TELEGRAM_ERRORS.labels(code=telegram_code(code)).inc()
            error = answered_error(code, payload)
            if error is None:
                return code, payload
            if delay is None:
                raise AnsweredError(f"{api_method}: {error}")
            logger.warning(
                "%s answered %s (attempt %d); sending it again in %.1f s",
                api_method,
                error,
                attempt,
                delay,
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")
