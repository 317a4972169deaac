"""Commands, settings buttons, access and logging, with the real bot against the fake server."""

from __future__ import annotations

import logging

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, settle, texts_of


async def test_start_greets_in_german_with_example_and_commands(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    fake.send_text(USER, "/start", first_name="Anna")
    reply = await fake.wait_for_sent(USER)
    assert reply.text is not None
    assert reply.text.startswith("Hallo Anna!")
    assert "https://www.tagesschau.de/" in reply.text
    for command in ("/lies", "/einstellungen", "/status", "/abbrechen", "/hilfe"):
        assert command in reply.text


async def test_help_and_its_alias_explain_limits_in_the_users_language(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot(HOERCLUB_MAX_LINKS_PER_MESSAGE=4)
    fake.send_text(USER, "/hilfe")
    german = await fake.wait_for_sent(USER)
    assert german.text is not None
    assert "Bis zu 4 Links" in german.text
    assert "Bezahlschranken" in german.text
    fake.send_text(USER, "/help", language_code="en")
    english = await fake.wait_for_sent(USER, count=2)
    assert english.text is not None
    assert "up to 4 links" in english.text


async def test_commands_are_registered_in_german_and_english(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    german = [c["command"] for c in fake.commands_for("")]
    english = [c["command"] for c in fake.commands_for("en")]
    # Without a language model the conversation stays out of the menu.
    feeds_de = ["abo", "abos", "clubs", "kuendigen", "ruhezeit", "morgenrunde"]
    feeds_en = ["subscribe", "subscriptions", "clubs", "unsubscribe", "quiet", "roundup"]
    rest_de = ["einstellungen", "stimme", "status", "verlauf", "spaeter", "liste", "abbrechen"]
    rest_en = ["settings", "voice", "status", "history", "later", "list", "cancel"]
    rest_de += ["hilfe", "start"]
    rest_en += ["help", "start"]
    assert german == ["lies", "kurz", *feeds_de, *rest_de]
    assert english == ["read", "summary", *feeds_en, *rest_en]
    assert all(c["description"] for c in fake.commands_for(""))


async def test_settings_buttons_change_and_persist_preferences(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    bot = await start_bot()
    fake.send_text(USER, "/einstellungen")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    assert menu.text is not None
    assert "Tempo: 1,0×" in menu.text
    for label in ("Sprachnachricht", "1,5×", "Offline", "Ansage"):
        fake.press_button(USER, menu.message_id, fake.message(USER, menu.message_id).button(label))
        await fake.wait_for(lambda f: all(a is not None for a in f.callback_answers.values()))
    prefs = await bot.jobs.prefs.get(USER)
    assert prefs.format == "voice"
    assert prefs.tempo == 1.5
    assert prefs.engine == "espeak"
    assert prefs.intro is False
    shown = fake.message(USER, menu.message_id)
    assert shown.text is not None
    assert "Sprachnachricht" in shown.text
    assert "1,5×" in shown.text
    labels = [b["text"] for b in shown.buttons]
    assert "✓ Sprachnachricht" in labels
    assert "✓ 1,5×" in labels
    answers = [a for a in fake.callback_answers.values() if a]
    assert all(a.get("text") == "Gespeichert ✓" for a in answers)


async def test_status_with_an_empty_queue_and_cancel_with_nothing(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    fake.send_text(USER, "/status")
    await fake.wait_for_sent(USER)
    fake.send_text(USER, "/abbrechen")
    await fake.wait_for_sent(USER, count=2)
    assert texts_of(fake, USER) == [
        "Deine Warteschlange ist leer. Schick mir einen Link!",
        "Es läuft gerade nichts, das ich abbrechen könnte.",
    ]


async def test_message_without_link_gets_a_hint(fake: FakeTelegram, start_bot: StartBot) -> None:
    await start_bot()
    fake.send_text(USER, "Hallo, wie geht's?")
    reply = await fake.wait_for_sent(USER)
    assert reply.text is not None
    assert "keinen Link" in reply.text
    fake.send_text(USER, "/quatsch")
    reply = await fake.wait_for_sent(USER, count=2)
    assert reply.text == "Diesen Befehl kenne ich nicht. /hilfe zeigt, was ich kann."


@pytest.mark.parametrize(
    "text",
    ["file:///etc/passwd", "/etc/passwd", "/lies /etc/passwd", "/lies file:///home/a/x.html"],
)
async def test_local_files_and_paths_are_refused(
    fake: FakeTelegram, start_bot: StartBot, text: str
) -> None:
    bot = await start_bot()
    fake.send_text(USER, text)
    reply = await fake.wait_for_sent(USER)
    assert reply.text is not None
    assert reply.text.startswith("🚫 Diese Adresse lese ich nicht")
    assert await bot.jobs.list_user(USER) == []


async def test_allowlist_refuses_strangers_and_serves_members(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot(HOERCLUB_ALLOWED_USERS=f"{USER},99")
    fake.send_text(5555, "/start")
    refusal = await fake.wait_for_sent(5555)
    assert refusal.text is not None
    assert "privat" in refusal.text
    assert "5555" in refusal.text
    fake.send_text(USER, "/start")
    welcome = await fake.wait_for_sent(USER)
    assert welcome.text is not None
    assert welcome.text.startswith("Hallo")


async def test_the_token_never_appears_in_debug_logs(
    fake: FakeTelegram, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    bot = await start_bot()
    fake.send_text(USER, "/start")
    await fake.wait_for_sent(USER)
    fake.send_text(USER, "/hilfe")
    await fake.wait_for_sent(USER, count=2)
    await bot.stop()
    secret = fake.token.split(":", 1)[1]
    assert caplog.records, "nothing was logged at all"
    assert any(r.name.startswith("telegram") for r in caplog.records)
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]


async def test_unexpected_errors_reach_the_admin_chat(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    admin = 777
    fake.add_chat(admin)
    bot = await start_bot(HOERCLUB_ADMIN_CHAT_ID=admin)
    # Break the real database under the running bot: /status now fails unexpectedly.
    async with bot.db.engine.begin() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        await conn.exec_driver_sql("DROP TABLE jobs")
    fake.send_text(USER, "/status")
    apology = await fake.wait_for_sent(USER)
    assert apology.text is not None
    assert apology.text.startswith("😵")
    alert = await fake.wait_for_sent(admin)
    assert alert.text is not None
    assert "Unerwarteter Fehler" in alert.text
    assert f"user {USER}" in alert.text
    assert "'/status'" in alert.text
    assert "no such table" in alert.text
    assert fake.token.split(":", 1)[1] not in alert.text
    await settle(0.1)
