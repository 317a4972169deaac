"""Telegram fails: flood control with retry_after, 5xx answers, timeouts, connections dropped
during an upload, 413. Every link ends in exactly one audio (or, where the outcome is unknown,
in one offer to send it again); no job is lost and none is delivered twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.audio import probe
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, audios, settle, wait_statuses_deleted

ArticleUrl = Callable[..., str]


async def _exactly_one_audio(fake: FakeTelegram, title: str, timeout: float = 60) -> None:
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=timeout)
    await settle(1.0)  # room for a duplicate to show up
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    assert audio.caption.startswith(title)


@pytest.mark.reliability("Telegram: 429 mit retry_after", sees="Audio einmal, nach der Wartezeit")
@pytest.mark.parametrize("method", ["sendAudio", "sendMessage", "editMessageText"])
async def test_flood_control_is_waited_out_and_the_audio_arrives_once(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl, method: str
) -> None:
    await quick_bot()
    fake.fail_next(method, 429, retry_after=1)
    fake.send_text(USER, article_url(f"flut-{method}", f"Flut {method}", 60, image=False))
    await _exactly_one_audio(fake, f"Flut {method}")
    calls = fake.calls_to(method)
    assert calls[0].status == 429
    retried = next(c for c in calls[1:] if c.ok)
    assert retried.at - calls[0].at >= 0.9  # Telegram's wait was honoured


@pytest.mark.reliability("Telegram: 5xx", sees="Audio einmal")
@pytest.mark.parametrize(
    ("method", "status"),
    [("sendAudio", 502), ("sendAudio", 503), ("sendAudio", 504), ("editMessageText", 500)],
)
async def test_server_errors_are_sent_again_and_the_audio_arrives_once(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl, method: str, status: int
) -> None:
    await quick_bot()
    fake.fail_next(method, status, n=2)
    title = f"Panne {method} {status}"
    fake.send_text(USER, article_url(f"panne-{method}-{status}", title, 60, image=False))
    await _exactly_one_audio(fake, title)
    assert [c.status for c in fake.calls_to(method)[:3]] == [status, status, 200]


@pytest.mark.reliability("Telegram: Zeitüberschreitung", sees="Audio einmal")
async def test_a_status_message_that_times_out_does_not_lose_the_link(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl
) -> None:
    # Past python-telegram-bot's read timeout of 5 s; the message then arrives after all.
    await quick_bot()
    fake.stall_next("sendMessage", 6.0)
    started = time.monotonic()
    fake.send_text(USER, article_url("zeit", "Zeitueberschreitung", 60, image=False))
    await _exactly_one_audio(fake, "Zeitueberschreitung", timeout=60)
    assert time.monotonic() - started >= 5


@pytest.mark.reliability(
    "Telegram: Verbindung bricht beim Senden ab", sees="Audio einmal (Status fehlt)"
)
@pytest.mark.parametrize("delivered", [True, False])
async def test_a_status_message_lost_with_its_connection_does_not_lose_the_link(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl, delivered: bool
) -> None:
    await quick_bot()
    fake.drop_next("sendMessage", delivered=delivered)
    title = f"Abbruch Status {delivered}"
    fake.send_text(USER, article_url(f"abbruch-{delivered}", title, 60, image=False))
    await _exactly_one_audio(fake, title)


@pytest.mark.reliability(
    "Telegram: Verbindung bricht beim Senden ab",
    sees="„Nochmal senden“, nie doppelt, nie verloren",
)
async def test_an_upload_cut_off_twice_is_never_sent_by_itself_and_once_on_request(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl
) -> None:
    await quick_bot()
    fake.drop_next("sendAudio", delivered=False)
    fake.send_text(USER, article_url("zweimal", "Zweimal abgebrochen", 60, image=False))
    offer = await fake.wait_for_sent(
        USER, lambda m: m.kind == "text" and "Nochmal senden" in (m.text or ""), timeout=60
    )
    await settle(1.0)
    assert audios(fake, USER) == []
    fake.fail_next("sendAudio", 502)  # the resend meets a passing error too
    fake.press_button(USER, offer.message_id, offer.button("Nochmal senden"))
    await _exactly_one_audio(fake, "Zweimal abgebrochen")


@pytest.mark.reliability("Telegram: 413 zu groß", sees="Audio in Teilen unter der Grenze")
async def test_an_upload_telegram_finds_too_large_arrives_in_parts(
    fake: FakeTelegram, quick_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await quick_bot(HOERCLUB_UPLOAD_LIMIT_MB=1)
    # Telegram's limit is lower than the bot was told: the first part is refused with 413.
    fake.upload_limit = 400_000
    fake.send_text(USER, article_url("riesig", "Sehr lang", 700, image=False))
    await fake.wait_for(
        lambda f: (
            any(not m.deleted and m.kind == "text" and "⚠️" in (m.text or "") for m in f.sent(USER))
            or len(audios(f, USER)) >= 2
            or None
        ),
        90,
        what="parts or an explanation",
    )
    await settle(2.0)
    parts = audios(fake, USER)
    assert fake.calls_to("sendAudio")[0].status == 413
    total = 0.0
    for n, part in enumerate(parts, start=1):
        assert part.file_id is not None
        path = tmp_path / f"teil{n}.mp3"
        path.write_bytes(fake.uploads[part.file_id])
        assert path.stat().st_size <= fake.upload_limit
        total += float(probe(path)["duration"])
    assert len(parts) >= 2
    assert total > 100
    await wait_statuses_deleted(fake, USER)
