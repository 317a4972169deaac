"""Forged, foreign, stale and oversized button presses change nothing and get a toast.

A modified client can send any callback data on any of the bot's messages. For every kind of
button the bot draws (settings, voices, first part, variants, actions under an audio, feed
subscriptions, clubs, roundup stories), presses naming another user's job, no job, garbage and
more than Telegram's 64 bytes must each be answered with a toast (answerCallbackQuery with a
text) and must send nothing, start no job and change no setting.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram.keyboards import ACTION_CODES, VARIANT_CODES
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, audios, settle

OTHER = USER + 1
KIND = "security: forged buttons"


def _job_id(fake: FakeTelegram, chat_id: int) -> int:
    """The job id behind the buttons of a chat's last audio."""
    audio = audios(fake, chat_id)[-1]
    data = next(d for d in (b.get("callback_data") for b in audio.buttons) if d)
    return int(str(data).rsplit(":", 1)[1])


def forgeries(theirs: int, mine: int) -> list[tuple[str, str]]:
    """(what it is, callback data) for every kind of button."""
    out: list[tuple[str, str]] = []
    for code in VARIANT_CODES.values():
        out.append((f"variant {code} of another user's job", f"alt:{code}:{theirs}"))
    for code in ACTION_CODES.values():
        out.append((f"action {code} on another user's job", f"do:{code}:{theirs}"))
    out += [
        ("variant on no job", "alt:s:987654321"),
        ("action on a 40-digit job", "do:f:" + "9" * 40),
        ("action with a negative job", "do:f:-5"),
        ("unknown action", f"do:zz:{mine}"),
        ("first part of another user's job", f"first:50:{theirs}"),
        ("first part with garbage", "first:abc:def"),
        ("story of another user's job", f"rf:{theirs}:1"),
        ("story with garbage", "rf:x:y"),
        ("subscription that does not exist", "fa:x:999999"),
        ("subscription garbage", "fa:💥:\x00"),
        ("club that does not exist", "fc:no-such-club"),
        ("voice of a missing engine", "vo:e:nonexistent:"),
        ("voice that does not exist", "vo:r:espeak:no-such-voice"),
        ("voice garbage", "vo:zz::"),
        ("tempo out of range", "set:tempo:99"),
        ("tempo not a number", "set:tempo:nan"),
        ("engine that does not exist", "set:engine:nonexistent"),
        ("format that does not exist", "set:format:wav"),
        ("unknown setting", "set:zz:1"),
        ("a prefix no button has", "zz:1"),
        ("no prefix at all", "garbage"),
        ("one character", "x"),
    ]
    for prefix in ("alt", "do", "first", "rf", "fa", "fc", "vo", "set"):
        out.append((f"oversized {prefix}", f"{prefix}:" + "9" * 300))
        out.append((f"control characters in {prefix}", f"{prefix}:\x00\x1b\u202e:💥"))
    return out


async def _answer(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any] | None:
    query_id = update["callback_query"]["id"]
    await fake.wait_for(lambda f: f.callback_answers.get(query_id) or None, 10, what="toast")
    return fake.callback_answers[query_id]


@pytest.mark.reliability(KIND, sees="a toast; nothing sent, no job, no setting changed")
async def test_forged_presses_on_every_kind_of_button_change_nothing(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    bot = await start_bot()
    fake.send_text(USER, article_url("meins", "Mein Artikel", 80, image=False))
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    fake.send_text(OTHER, article_url("deins", "Dein Artikel", 80, image=False))
    await fake.wait_for_sent(OTHER, kind="audio", timeout=60)
    mine, theirs = _job_id(fake, USER), _job_id(fake, OTHER)
    await settle(0.5)
    pressed_on = audios(fake, USER)[-1].message_id
    prefs_before = await bot.jobs.prefs.get(USER)
    sent_before = {chat: len(fake.sent(chat)) for chat in (USER, OTHER)}
    history_before = [job.id for job in await bot.jobs.history(USER)]

    silent = []
    for what, data in forgeries(theirs, mine):
        update = fake.press_button(USER, pressed_on, data, forged=True)
        answer = await _answer(fake, update)
        if not answer or not str(answer.get("text") or "").strip():
            silent.append(what)
    assert silent == [], "pressed without a toast"
    await settle(1.0)
    assert {chat: len(fake.sent(chat)) for chat in (USER, OTHER)} == sent_before
    assert [job.id for job in await bot.jobs.history(USER)] == history_before
    assert await bot.jobs.list_user(USER) == []
    assert await bot.jobs.prefs.get(USER) == prefs_before


@pytest.mark.reliability(KIND, sees="a toast on a button of an old message; nothing else")
async def test_a_stale_button_on_another_message_changes_nothing(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    bot = await start_bot()
    fake.send_text(USER, article_url("alt", "Alter Artikel", 80, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    job = _job_id(fake, USER)
    fake.send_text(USER, "/start")
    greeting = await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith("Hallo"))
    sent_before = len(fake.sent(USER))
    for data in (f"alt:s:{job}", f"do:f:{job}", f"do:n:{job}"):  # this job, the wrong message
        answer = await _answer(
            fake, fake.press_button(USER, greeting.message_id, data, forged=True)
        )
        assert answer is not None
        assert str(answer.get("text", "")).startswith("Diese Schaltfläche gilt hier nicht"), data
    await settle(1.0)
    assert len(fake.sent(USER)) == sent_before
    assert len(audios(fake, USER)) == 1
    assert audio.message_id == audios(fake, USER)[0].message_id
    assert await bot.jobs.list_user(USER) == []


@pytest.mark.reliability(KIND, sees="one summary for a double tap; the replay gets a toast")
async def test_a_replayed_variant_button_makes_one_job(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    bot = await start_bot()
    fake.send_text(USER, article_url("doppelt", "Doppelt gedrückt", 300, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    data = audio.button("🎧 Kurzfassung")
    first = fake.press_button(USER, audio.message_id, data)
    replay = fake.press_button(USER, audio.message_id, data, forged=True)
    for update in (first, replay):
        answer = await _answer(fake, update)
        assert answer is not None
        assert str(answer.get("text") or "").strip()
    await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    await settle(2.0)
    assert len(audios(fake, USER)) == 2  # the article and one summary, not two
    assert await bot.jobs.list_user(USER) == []
