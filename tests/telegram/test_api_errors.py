"""Bot API errors lose nothing: a "not now" answer is sent again, an unknown outcome is offered
to the user once, and an update the bot cannot read is skipped."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from bot.jobs.api import DELIVERY_RESENT_KEY
from bot.telegram.api_retry import answered_error
from bot.telegram.keyboards import action_data
from bot.telegram.updates import readable_updates
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, audios, settle

ArticleUrl = Callable[..., str]


@pytest.mark.reliability("Telegram: 5xx", sees="Audio einmal")
async def test_a_500_on_the_first_status_message_still_brings_the_audio(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.fail_next("sendMessage", 500)
    fake.send_text(USER, article_url("status500", "Status mit Panne", 60, image=False))
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    sends = fake.calls_to("sendMessage")
    assert [c.status for c in sends[:2]] == [500, 200]
    status = next(m for m in fake.sent(USER) if m.kind == "text")
    assert status.texts[0] == "⏳ In der Warteschlange …"


@pytest.mark.reliability("Telegram: 5xx", sees="Audio einmal (Status fehlt)")
async def test_a_status_message_telegram_never_takes_does_not_drop_the_link(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.fail_next("sendMessage", 502, n=4)  # more than the retries
    fake.send_text(USER, article_url("ohnestatus", "Ohne Statusnachricht", 60, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    assert audio.caption.startswith("Ohne Statusnachricht")


@pytest.mark.reliability("Telegram: 5xx", sees="Audio einmal")
async def test_a_500_on_send_audio_is_sent_again_and_arrives_once(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.fail_next("sendAudio", 500)
    fake.send_text(USER, article_url("audio500", "Audio mit Panne", 60, image=False))
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.5)
    assert len(audios(fake, USER)) == 1
    assert [c.status for c in fake.calls_to("sendAudio")] == [500, 200]
    status = next(m for m in fake.sent(USER) if m.kind == "text")
    assert status.deleted  # done: no error was shown


@pytest.mark.reliability("Telegram: 5xx", sees="Audio einmal")
async def test_an_upload_refused_with_500_again_and_again_is_left_to_the_queue(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    # Four 500s use up the quick retries of one attempt; the job's next attempt sends it.
    await start_bot()
    fake.fail_next("sendAudio", 500, n=4)
    fake.send_text(USER, article_url("audio500x4", "Viermal Panne", 60, image=False))
    await fake.wait_for_sent(USER, kind="audio", timeout=90)
    await settle(1.5)
    assert len(audios(fake, USER)) == 1
    assert [c.status for c in fake.calls_to("sendAudio")] == [500, 500, 500, 500, 200]


@pytest.mark.reliability(
    "Telegram: Verbindung bricht beim Senden ab",
    sees="„Nochmal senden“, nie doppelt, nie verloren",
)
@pytest.mark.parametrize("delivered", [True, False])
async def test_a_connection_lost_after_the_upload_offers_one_resend(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, delivered: bool
) -> None:
    bot = await start_bot()
    fake.drop_next("sendAudio", delivered=delivered)
    fake.send_text(USER, article_url("abbruch", "Abgebrochene Lieferung", 60, image=False))
    status = await fake.wait_for_sent(
        USER,
        lambda m: m.kind == "text" and (m.text or "").startswith("⚠️ Das Senden"),
        timeout=60,
    )
    await settle(1.5)
    # At most once: never sent again by itself, whether or not it arrived.
    assert len(audios(fake, USER)) == (1 if delivered else 0)
    assert len(fake.calls_to("sendAudio")) == (1 if delivered else 0)  # a lost one: unrecorded
    assert status.text is not None
    assert "Nochmal senden" in status.text
    data = status.button("🔁 Nochmal senden")
    job_id = int(data.rsplit(":", 1)[1])

    # A double tap: the second (or a replayed one) changes nothing and gets a toast.
    fake.press_button(USER, status.message_id, data)
    replay = fake.press_button(USER, status.message_id, data, forged=True)
    replay_id = replay["callback_query"]["id"]
    await fake.wait_for(
        lambda f: len(audios(f, USER)) == (2 if delivered else 1) or None, 60, what="resent"
    )
    await settle(1.5)
    assert len(audios(fake, USER)) == (2 if delivered else 1)
    resent = audios(fake, USER)[-1]
    assert resent.caption is not None
    assert resent.caption.startswith("Abgebrochene Lieferung")
    failed = await bot.jobs.get_job(job_id)
    assert failed is not None
    assert failed.error_key == DELIVERY_RESENT_KEY
    answer = fake.callback_answers[replay_id]
    assert answer is not None
    assert answer.get("text") == "Die habe ich schon noch einmal geschickt."


async def test_a_resend_naming_another_job_changes_nothing(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.send_text(USER, article_url("fremd", "Ganz normal geliefert", 60, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    job_id = int(audio.button("⏩ Schneller").rsplit(":", 1)[1])
    update = fake.press_button(USER, audio.message_id, action_data("resend", job_id), forged=True)
    query_id = update["callback_query"]["id"]
    await fake.wait_for(lambda f: f.callback_answers.get(query_id) or None, 10, what="toast")
    answer = fake.callback_answers[query_id]
    assert answer is not None
    assert (answer.get("text") or "").startswith("Diese Schaltfläche gilt hier nicht")
    await settle(1.0)
    assert len(audios(fake, USER)) == 1


@pytest.mark.reliability("Telegram: unlesbares Update", sees="übersprungen, Bot antwortet weiter")
async def test_an_update_without_date_is_logged_once_and_skipped(
    fake: FakeTelegram, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot()
    caplog.set_level(logging.WARNING, logger="bot.telegram.updates")
    chat = {"id": USER, "type": "private", "first_name": "Testnutzer"}
    sender = {"id": USER, "is_bot": False, "first_name": "Testnutzer"}
    broken = fake.push_update(
        {"message": {"message_id": 900, "chat": chat, "from": sender, "text": "/hilfe"}}
    )
    fake.send_text(USER, "/hilfe")
    help_text = await fake.wait_for_sent(USER, kind="text", timeout=20)
    await fake.wait_until_consumed()
    await settle(1.0)
    assert help_text.text
    assert len([m for m in fake.sent(USER) if m.kind == "text"]) == 1  # the broken one: nothing
    skipped = [r for r in caplog.records if "cannot be read and is skipped" in r.getMessage()]
    assert len(skipped) == 1
    assert str(broken["update_id"]) in skipped[0].getMessage()
    assert len(fake.calls_to("getUpdates")) < 10  # no tight loop over the same batch


@pytest.mark.parametrize(
    ("code", "payload", "explicit"),
    [
        (500, b'{"ok": false, "error_code": 500, "description": "Internal Server Error"}', True),
        (502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}', True),
        (429, b'{"ok": false, "error_code": 429, "description": "Too Many Requests"}', True),
        # Telegram's own wait is the rate limiter's to honour.
        (429, b'{"ok": false, "description": "x", "parameters": {"retry_after": 3}}', False),
        # A proxy's page or a cut-off body is not Telegram's answer: the outcome is unknown.
        (502, b"<html><body>Bad Gateway</body></html>", False),
        (500, b'{"ok": false, "descr', False),
        (400, b'{"ok": false, "description": "Bad Request: chat not found"}', False),
        (200, b'{"ok": true, "result": true}', False),
    ],
)
def test_only_telegrams_explicit_not_now_answers_are_sent_again(
    code: int, payload: bytes, explicit: bool
) -> None:
    assert (answered_error(code, payload) is not None) is explicit


def test_readable_updates_keeps_good_updates_and_bares_the_broken_one() -> None:
    good = {
        "update_id": 7,
        "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}},
    }
    broken = {"update_id": 8, "message": {"message_id": 2, "chat": {"id": 1, "type": "private"}}}
    body = {"ok": True, "result": [good, broken]}
    fixed = json.loads(readable_updates(json.dumps(body).encode()))
    assert fixed["result"] == [good, {"update_id": 8}]
    untouched = json.dumps({"ok": True, "result": [good]}).encode()
    assert readable_updates(untouched) is untouched
