"""No secret in a log record or a message: the bot token and the model's API key.

The Bot API URL carries the token, and a server (or a proxy in front of it) may echo that URL
in an error answer, which then travels on as an exception message: into PTB's log, our own
loggers' tracebacks, a retry warning. Each case makes such answers and reads every record of
the run, tracebacks included.
"""

from __future__ import annotations

import logging

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, settle, texts_of

API_KEY = "sk-hoerclub-geheim-0123456789abcdef"
KIND = "security: secrets in logs"


def _everything(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) for record in caplog.records]


@pytest.mark.reliability(KIND, sees="the error in the log, the token as [REDACTED]")
@pytest.mark.parametrize("status", [400, 500])
async def test_a_bot_api_error_echoing_the_url_leaves_no_token_in_the_log(
    fake: FakeTelegram,
    start_bot: StartBot,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await start_bot(
        HOERCLUB_LLM_API_KEY=API_KEY,
        HOERCLUB_LLM_BASE_URL="http://127.0.0.1:9/v1",  # never asked here
        HOERCLUB_LLM_MODEL="modell",
    )
    token = bot.settings.telegram_bot_token
    assert token is not None
    secret = token.get_secret_value()
    echoed = f"Error at {fake.base_url}{secret}/sendMessage (key {API_KEY})"
    fake.fail_next("sendMessage", status, n=6, description=echoed)
    fake.send_text(USER, "/start")
    await fake.wait_for(lambda f: len(f.calls_to("sendMessage")) >= 2 or None, 30)
    await settle(1.0)
    lines = _everything(caplog)
    assert any(
        echoed.split(" at ", maxsplit=1)[0] in line for line in lines
    )  # the error was logged
    leaks = [line for line in lines if secret in line or API_KEY in line]
    assert leaks == []
    # Nor in anything the users saw.
    assert not [t for t in texts_of(fake, USER) if secret in t or API_KEY in t]


@pytest.mark.reliability(KIND, sees="the traceback in the log, the token as [REDACTED]")
async def test_a_traceback_through_a_bot_api_call_is_redacted(
    fake: FakeTelegram, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = await start_bot()
    token = bot.settings.telegram_bot_token
    assert token is not None
    secret = token.get_secret_value()
    try:
        await bot.app.bot.send_message(USER, "x", reply_markup=None, message_thread_id=-1)
        raise AssertionError("unreachable: the fake refuses an unknown chat")
    except Exception as exc:  # what any handler's error path does with it
        wrapped = RuntimeError(f"call to {fake.base_url}{secret}/sendMessage failed: {exc}")
        logging.getLogger("bot.telegram.handlers").exception("failed", exc_info=wrapped)
        logging.getLogger("asyncio").error("Task exception was never retrieved: %s", wrapped)
    lines = _everything(caplog)
    assert any("[REDACTED]" in line for line in lines)
    assert [line for line in lines if secret in line] == []
