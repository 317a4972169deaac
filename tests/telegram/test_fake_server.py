"""The fake Bot API server, driven by the real python-telegram-bot: it must behave like Telegram."""

from __future__ import annotations

import asyncio
import datetime as dtm
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReactionTypeEmoji,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.pipeline.media import ffmpeg_exe
from tests.support.fake_telegram import (
    FakeTelegram,
    TextBuilder,
    detect_entities,
    entity,
    entity_text,
    utf16_len,
)

CHAT = 4242
MIB = 1024 * 1024


@dataclass(frozen=True)
class Media:
    """Small real media files made once per session with ffmpeg."""

    mp3: bytes  # 2 s sine, mono MP3 with ID3 title/artist
    ogg: bytes  # 2 s sine, OGG/Opus
    jpeg: bytes  # 160x90 thumbnail
    big_jpeg: bytes  # 640x360, too big for a thumbnail


def _ffmpeg() -> str:
    return ffmpeg_exe()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    """MP3, OGG/Opus and JPEG bytes for upload tests."""
    out = tmp_path_factory.mktemp("media")
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-ac", "1"]
    jobs = {
        "a.mp3": [*sine, "-b:a", "32k", "-metadata", "title=Testtitel",
                  "-metadata", "artist=Testseite"],
        "a.ogg": [*sine, "-c:a", "libopus", "-b:a", "24k"],
        "t.jpg": ["-f", "lavfi", "-i", "color=red:s=160x90", "-frames:v", "1"],
        "b.jpg": ["-f", "lavfi", "-i", "color=blue:s=640x360", "-frames:v", "1"],
    }  # fmt: skip
    for name, args in jobs.items():
        subprocess.run(
            [_ffmpeg(), "-v", "error", "-y", *args, str(out / name)], check=True, timeout=60
        )
    return Media(*(Path(out / n).read_bytes() for n in ("a.mp3", "a.ogg", "t.jpg", "b.jpg")))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A running fake server with one known private chat."""
    async with FakeTelegram() as server:
        server.add_chat(CHAT)
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A real telegram.Bot pointed at the fake."""
    async with fake.bot() as client:
        yield client


def _seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --- basics ------------------------------------------------------------------------------------


async def test_get_me_answers_the_bot_user(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == fake.bot_id
    assert me.username == "hoerclub_test_bot"
    assert me.is_bot
    assert [c.method for c in fake.calls] == ["getMe", "getMe"]  # initialize() + ours


async def test_wrong_token_is_401_and_malformed_token_404(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.get(f"{fake.base_url}987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/getMe")
        malformed = await client.get(f"{fake.base_url}nonsense/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert malformed.status_code == 404
    with pytest.raises(InvalidToken):
        async with Bot("987654321:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", base_url=fake.base_url):
            pass


async def test_unknown_method_is_404(fake: FakeTelegram, bot: Bot) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{fake.base_url}{fake.token}/sendPigeon", data={"a": "1"})
    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("send_pigeon")
    # Method names are case-insensitive, as on api.telegram.org.
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{fake.base_url}{fake.token}/GETME")
    assert answer.json()["result"]["id"] == fake.bot_id


async def test_parameters_arrive_as_query_form_json_and_multipart(fake: FakeTelegram) -> None:
    endpoint = f"{fake.base_url}{fake.token}/sendMessage"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with httpx.AsyncClient() as client:
        by_query = await client.get(endpoint, params={"chat_id": CHAT, "text": "query"})
        by_form = await client.post(
            endpoint, data={"chat_id": str(CHAT), "text": "form", "reply_markup": markup}
        )
        by_json = await client.post(endpoint, json={"chat_id": CHAT, "text": "json"})
        by_multipart = await client.post(
            endpoint, data={"chat_id": str(CHAT), "text": "multi"}, files={"x": ("x", b"1")}
        )
    assert [r.status_code for r in (by_query, by_form, by_json, by_multipart)] == [200] * 4
    method, params, files = fake.calls[1]
    assert method == "sendMessage"
    assert params["chat_id"] == CHAT
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert files == {}
    assert [m.text for m in fake.sent(CHAT)] == ["query", "form", "json", "multi"]


# --- polling -----------------------------------------------------------------------------------


async def test_application_polls_an_injected_update_and_its_reply_arrives(
    fake: FakeTelegram,
) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Echo: {update.effective_message.text}")

    application = fake.application_builder().build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=dtm.timedelta(seconds=2))
        try:
            await fake.wait_until_polling()
            fake.send_text(CHAT, "Hallo Hörclub 👋")
            reply = await fake.wait_for_sent(CHAT, timeout=5)
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply.text == "Echo: Hallo Hörclub 👋"
    assert reply.from_bot
    assert fake.pending_updates == 0  # confirmed by the offset of the last getUpdates


async def test_second_poller_gets_409(fake: FakeTelegram) -> None:
    application = fake.application_builder().build()
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        try:
            await fake.wait_until_polling()
            async with fake.bot() as second:
                with pytest.raises(Conflict, match="terminated by other getUpdates request"):
                    await second.get_updates(timeout=dtm.timedelta(seconds=8))
        finally:
            await application.updater.stop()
    conflicts = [c for c in fake.calls_to("getUpdates") if c.status == 409]
    assert len(conflicts) >= 2  # the application's poll and the second poller both saw it


async def test_newer_poll_terminates_the_older_one(fake: FakeTelegram, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=dtm.timedelta(seconds=30)))
    await fake.wait_until_polling()
    async with fake.bot() as newer:  # PTB allows one getUpdates per Bot at a time
        newest = asyncio.create_task(newer.get_updates(timeout=dtm.timedelta(seconds=2)))
        with pytest.raises(Conflict):
            await older  # at once, not after its 30 s
        assert not newest.done()  # the newer poll goes on waiting
        assert await newest == ()


async def test_get_updates_honours_offset_limit_and_allowed_updates(
    fake: FakeTelegram, bot: Bot
) -> None:
    first = fake.send_text(CHAT, "eins")
    fake.send_text(CHAT, "zwei")
    sent = await bot.send_message(
        CHAT,
        "Wähle",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    fake.press_button(CHAT, sent.message_id, "a")
    batch = await bot.get_updates(limit=2)
    assert [u.update_id for u in batch] == [first["update_id"], first["update_id"] + 1]
    again = await bot.get_updates(offset=batch[-1].update_id + 1)
    assert [u.callback_query is not None for u in again] == [True]
    assert fake.pending_updates == 1  # confirmed: the two messages
    fake.send_text(CHAT, "drei")
    only_callbacks = await bot.get_updates(
        offset=again[-1].update_id + 1, allowed_updates=["callback_query"]
    )
    assert only_callbacks == ()
    # allowed_updates keeps its last value when omitted.
    assert await bot.get_updates(offset=again[-1].update_id + 1) == ()
    fake.send_text(CHAT, "vier")
    everything = await bot.get_updates(allowed_updates=[])
    assert [u.message.text for u in everything if u.message] == ["vier"]  # "drei" was dropped
    fake.edit_text(CHAT, everything[0].message.message_id, "vier (bearbeitet)")
    raw = fake.push_update({"my_chat_member": {"chat": {"id": CHAT, "type": "private"}}})
    latest = await bot.get_updates(offset=everything[-1].update_id + 1)
    assert [u.edited_message.text for u in latest if u.edited_message] == ["vier (bearbeitet)"]
    assert latest[-1].update_id == raw["update_id"]


async def test_long_poll_waits_for_an_update(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=dtm.timedelta(seconds=60)))
    await fake.wait_until_polling()
    assert not poll.done()
    fake.send_text(CHAT, "jetzt")
    updates = await asyncio.wait_for(poll, 20)  # woken by the update, not the 60 s timeout
    assert [u.message.text for u in updates if u.message] == ["jetzt"]


# --- files -------------------------------------------------------------------------------------


async def test_send_audio_upload_with_thumbnail_then_reuse_by_file_id_and_download(
    fake: FakeTelegram, bot: Bot, media: Media
) -> None:
    first = await bot.send_audio(
        CHAT,
        audio=media.mp3,
        filename="artikel.mp3",
        title="Ein Artikel",
        performer="example.org",
        duration=2,
        caption="Ein Artikel · 2 s",
        thumbnail=media.jpeg,
    )
    audio = first.audio
    assert audio is not None
    assert fake.uploads[audio.file_id] == media.mp3
    assert (audio.title, audio.performer, audio.mime_type) == (
        "Ein Artikel",
        "example.org",
        "audio/mpeg",
    )
    assert _seconds(audio.duration) == 2
    assert audio.file_size == len(media.mp3)
    assert audio.file_name == "artikel.mp3"
    assert audio.thumbnail is not None
    assert (audio.thumbnail.width, audio.thumbnail.height) == (160, 90)
    assert fake.uploads[audio.thumbnail.file_id] == media.jpeg
    # PTB names the audio part "audio" and sends the thumbnail as attach://<part name>.
    upload_call = fake.calls_to("sendAudio")[0]
    thumbnail_part = upload_call.params["thumbnail"].removeprefix("attach://")
    assert set(upload_call.files) == {"audio", thumbnail_part}
    assert upload_call.files["audio"].data == media.mp3

    second = await bot.send_audio(CHAT, audio=audio.file_id)
    assert second.audio is not None
    assert second.audio.file_unique_id == audio.file_unique_id
    reuse_call = fake.calls_to("sendAudio")[1]
    assert reuse_call.files == {}
    assert reuse_call.params["audio"] == audio.file_id

    telegram_file = await bot.get_file(audio.file_id)
    assert telegram_file.file_path is not None
    assert telegram_file.file_path.startswith(f"{fake.base_file_url}{fake.token}/music/")
    assert bytes(await telegram_file.download_as_bytearray()) == media.mp3
    assert [m.kind for m in fake.sent(CHAT)] == ["audio", "audio"]


async def test_audio_metadata_is_read_from_the_file_when_not_given(
    fake: FakeTelegram, bot: Bot, media: Media
) -> None:
    message = await bot.send_audio(CHAT, audio=media.mp3, thumbnail=media.big_jpeg)
    assert message.audio is not None
    assert _seconds(message.audio.duration) == 2
    assert (message.audio.title, message.audio.performer) == ("Testtitel", "Testseite")
    assert message.audio.thumbnail is None  # 640x360 breaks the 320 px rule: ignored
    assert any("thumbnail ignored" in note for note in fake.notes)


async def test_unknown_or_mismatched_file_id_is_refused(
    fake: FakeTelegram, bot: Bot, media: Media
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_audio(CHAT, audio="CQACAgIAAxkBAAIBnonexistent")
    voice = await bot.send_voice(CHAT, voice=media.ogg)
    assert voice.voice is not None
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await bot.send_audio(CHAT, audio=voice.voice.file_id)


async def test_voice_upload_and_format_rules(fake: FakeTelegram, bot: Bot, media: Media) -> None:
    message = await bot.send_voice(CHAT, voice=media.ogg, caption="Sprachnachricht")
    assert message.voice is not None
    assert message.voice.mime_type == "audio/ogg"
    assert _seconds(message.voice.duration) == 2
    assert fake.uploads[message.voice.file_id] == media.ogg
    # sendAudio wants MP3 or M4A; Telegram turns anything else into a document.
    other = await bot.send_audio(CHAT, audio=media.ogg, filename="a.ogg")
    assert other.audio is None
    assert other.document is not None
    fake.forbid_voice_messages(CHAT)
    with pytest.raises(BadRequest, match=r"(?i)VOICE_MESSAGES_FORBIDDEN"):
        await bot.send_voice(CHAT, voice=media.ogg)


async def test_upload_over_50_mb_is_413(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(NetworkError) as caught:
        await bot.send_document(CHAT, document=bytes(51 * MIB), filename="gross.mp3")
    assert not isinstance(caught.value, BadRequest)
    assert "Request Entity Too Large" in str(caught.value)
    call = fake.calls[-1]
    assert (call.method, call.status) == ("sendDocument", 413)
    assert call.files["document"].size == 51 * MIB
    assert fake.sent(CHAT) == []


async def test_upload_limit_is_exact() -> None:
    async with FakeTelegram(upload_limit=1000) as fake:
        fake.add_chat(CHAT)
        async with fake.bot() as bot:
            await bot.send_document(CHAT, document=bytes(1000), filename="ok.bin")
            with pytest.raises(NetworkError, match="Request Entity Too Large"):
                await bot.send_document(CHAT, document=bytes(1001), filename="zu.bin")


# --- errors ------------------------------------------------------------------------------------


async def test_429_surfaces_as_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", 429, n=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "zu schnell")
        assert _seconds(caught.value.retry_after) == 7
    assert (await bot.send_message(CHAT, "jetzt")).text == "jetzt"
    failed = fake.calls_to("sendMessage")[0]
    assert failed.status == 429
    assert failed.description == "Too Many Requests: retry after 7"


async def test_edit_that_changes_nothing_is_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Abbrechen", callback_data="x")]])
    status = await bot.send_message(CHAT, "Lade …", reply_markup=keyboard)
    await bot.edit_message_text("Spreche 50 %", CHAT, status.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Spreche 50 %", CHAT, status.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, status.message_id, reply_markup=keyboard)
    # Omitting reply_markup removes the keyboard, which is a change.
    await bot.edit_message_text("Spreche 50 %", CHAT, status.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("weg", CHAT, 999)
    snapshot = fake.message(CHAT, status.message_id)
    assert snapshot.texts == ["Lade …", "Spreche 50 %", "Spreche 50 %"]
    assert snapshot.reply_markup is None
    assert snapshot.edit_count == 2
    await bot.delete_message(CHAT, status.message_id)
    assert fake.sent(CHAT, include_deleted=False) == []
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("nach dem Löschen", CHAT, status.message_id)


async def test_text_and_caption_limits(fake: FakeTelegram, bot: Bot, media: Media) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "   ")
    # Limits count the text after entity parsing: tags are free.
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_audio(CHAT, audio=media.mp3, caption="y" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_audio(CHAT, audio=media.mp3, caption="y" * 1025)


async def test_entity_parsing_errors(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, "<b>offen", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(CHAT, "eins<br>zwei", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(CHAT, "<b>Preis</b> < 5 €", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)reserved and must be escaped"):
        await bot.send_message(CHAT, "Fertig.", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(
        CHAT, '<a href="https://x.de/a?b=1&amp;c=2">Quelle</a> &lt;3', parse_mode=ParseMode.HTML
    )
    assert ok.text == "Quelle <3"
    assert ok.entities[0].url == "https://x.de/a?b=1&c=2"
    escaped = await bot.send_message(CHAT, r"*Fertig*\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert escaped.text == "Fertig."
    assert escaped.entities[0].type == MessageEntity.BOLD


async def test_chat_must_be_known_and_not_blocked(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "Hallo?")
    fake.block_user(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(CHAT, "Hallo?")


# --- commands, buttons, groups, misc -----------------------------------------------------------


async def test_commands_are_stored_per_language_and_scope(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Begrüßung"), BotCommand("hilfe", "Hilfe")])
    await bot.set_my_commands([BotCommand("start", "Greeting")], language_code="en")
    await bot.set_my_commands(
        [BotCommand("lies", "Link vorlesen")], scope=BotCommandScopeAllGroupChats()
    )
    assert [c["command"] for c in fake.commands[""]] == ["start", "hilfe"]
    assert fake.commands["en"] == [{"command": "start", "description": "Greeting"}]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]
    assert fake.commands_for(scope={"type": "all_group_chats"})[0]["command"] == "lies"
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Einstellungen", "Großbuchstaben")])


async def test_button_press_and_callback_answer(fake: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tempo 1.5", callback_data="t:1.5")]])
    menu = await bot.send_message(CHAT, "Einstellungen", reply_markup=keyboard)
    assert fake.message(CHAT, menu.message_id).button("1.5") == "t:1.5"
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(CHAT, menu.message_id, "t:9")
    pressed = fake.press_button(CHAT, menu.message_id, "t:1.5")
    (update,) = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "t:1.5"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == menu.message_id
    await update.callback_query.answer("Tempo 1.5")
    assert fake.callback_answers[pressed["callback_query"]["id"]] is not None
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await update.callback_query.answer("zweimal")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "zu lange Daten", reply_markup=too_long)


async def test_privacy_mode_filters_group_messages(fake: FakeTelegram, bot: Bot) -> None:
    group = -100_123
    link = fake.send_text(group, "Schaut mal https://example.org/a", chat_type="supergroup")
    command = fake.send_text(group, "/lies https://example.org/b", chat_type="supergroup")
    mention = fake.send_text(group, "@hoerclub_test_bot lies das", chat_type="supergroup")
    answer = await bot.send_message(group, "Ich lese vor.")
    reply = fake.send_text(
        group, "https://example.org/c", chat_type="supergroup",
        reply_to_message_id=answer.message_id,
    )  # fmt: skip
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [command["update_id"], reply["update_id"]]
    assert "update_id" not in link
    assert "update_id" not in mention
    assert updates[1].message is not None
    assert updates[1].message.reply_to_message is not None
    assert updates[1].message.reply_to_message.message_id == answer.message_id
    assert len(fake.withheld_updates) == 2
    fake.add_chat(-100_999, "supergroup", bot_is_admin=True)  # admins see every message
    assert "update_id" in fake.send_text(-100_999, "https://example.org/d", chat_type="supergroup")
    async with FakeTelegram(privacy_mode=False) as open_fake:
        delivered = open_fake.send_text(group, "@hoerclub_test_bot hi", chat_type="supergroup")
        assert open_fake.pending_updates == 1
        assert delivered["message"]["entities"][0]["type"] == "mention"


async def test_forwarded_channel_post_and_caption(fake: FakeTelegram, bot: Bot) -> None:
    fake.send_text(CHAT, "Lesenswert: https://example.org/x", forward_from_chat=-100_777)
    fake.send_text(CHAT, caption="Bild mit Link https://example.org/y")
    forwarded, photo = await bot.get_updates()
    assert forwarded.message is not None
    assert forwarded.message.forward_origin is not None
    assert forwarded.message.forward_origin.type == "channel"
    assert photo.message is not None
    assert photo.message.caption == "Bild mit Link https://example.org/y"
    assert list(photo.message.parse_caption_entities([MessageEntity.URL]).values()) == [
        "https://example.org/y"
    ]


async def test_entity_offsets_are_utf16_and_match_ptb(fake: FakeTelegram, bot: Bot) -> None:
    text, entities = (
        TextBuilder().plain("😀 Lies ").text_link("das hier", "https://example.org/z")
        .plain(" 🇩🇪 ").url("https://example.org/u").plain(" ").bot_command("lies").build()
    )  # fmt: skip
    assert entities[0]["offset"] == 8  # the emoji is two UTF-16 units
    assert utf16_len("🇩🇪") == 4
    fake.send_text(CHAT, text, entities=entities)
    fake.send_text(CHAT, "👍🏽 https://example.org/auto, bitte")
    built, detected = await bot.get_updates()
    assert built.message is not None
    parsed = built.message.parse_entities()
    assert sorted(parsed.values()) == sorted(["das hier", "https://example.org/u", "/lies"])
    assert detected.message is not None
    assert list(detected.message.parse_entities().values()) == ["https://example.org/auto"]
    auto = detect_entities("/lies@hoerclub_test_bot www.example.de/a. info@example.org #tag")
    assert [e["type"] for e in auto] == ["bot_command", "url", "email", "hashtag"]
    assert entity_text("ä 😀 x.de", entity("ä 😀 x.de", "x.de", "url")) == "x.de"


async def test_chat_action_reaction_and_delete(fake: FakeTelegram, bot: Bot) -> None:
    incoming = fake.send_text(CHAT, "https://example.org/a")["message"]["message_id"]
    await bot.send_chat_action(CHAT, "upload_voice")
    await bot.set_message_reaction(CHAT, incoming, ReactionTypeEmoji("👀"))
    with pytest.raises(BadRequest, match=r"(?i)REACTION_INVALID"):
        await bot.set_message_reaction(CHAT, incoming, ReactionTypeEmoji("✅"))
    assert fake.chat_actions(CHAT) == ["upload_voice"]
    assert fake.message(CHAT, incoming).reactions == ({"type": "emoji", "emoji": "👀"},)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, 999)


async def test_photo_caption_edit_and_get_chat(fake: FakeTelegram, bot: Bot, media: Media) -> None:
    photo = await bot.send_photo(CHAT, photo=media.big_jpeg, caption="Vorschau")
    assert [(p.width, p.height) for p in photo.photo] == [(90, 51), (640, 360)]
    edited = await bot.edit_message_caption(CHAT, photo.message_id, caption="<i>Neu</i>",
                                            parse_mode=ParseMode.HTML)  # fmt: skip
    assert isinstance(edited, Message)
    assert edited.caption == "Neu"
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("Text", CHAT, photo.message_id)
    chat = await bot.get_chat(CHAT)
    assert (chat.id, chat.type) == (CHAT, "private")
    assert await bot.close()


async def test_flood_limits_per_group_when_enabled() -> None:
    async with FakeTelegram(flood_limits=True) as fake:
        group = -100_555
        fake.add_chat(group, "supergroup")
        async with fake.bot() as bot:
            for number in range(20):
                await bot.send_message(group, f"Nachricht {number}")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(group, "eine zu viel")
    assert 50 <= _seconds(caught.value.retry_after) <= 60


async def test_keep_uploads_false_keeps_metadata_only(media: Media) -> None:
    async with FakeTelegram(keep_uploads=False) as fake:
        fake.add_chat(CHAT)
        async with fake.bot() as bot:
            message = await bot.send_audio(CHAT, audio=media.mp3, filename="a.mp3")
    assert message.audio is not None
    assert message.audio.file_size == len(media.mp3)
    assert _seconds(message.audio.duration) == 2
    assert fake.uploads[message.audio.file_id] == b""
    assert fake.calls_to("sendAudio")[0].files["audio"].size == len(media.mp3)


def test_sync_use_from_a_thread_or_another_process() -> None:
    with FakeTelegram() as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        assert fake.env()["TELEGRAM_API_BASE_URL"] == f"{fake.url}/bot"
        probe = "import sys, httpx; print(httpx.get(sys.argv[1]).json()['result']['username'])"
        other = subprocess.run(
            [sys.executable, "-c", probe, f"{fake.base_url}{fake.token}/getMe"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        assert other.stdout.strip() == "hoerclub_test_bot"
        fake.send_text(CHAT, "Hallo")
        answer = httpx.post(
            f"{fake.base_url}{fake.token}/sendMessage", data={"chat_id": CHAT, "text": "Hi"}
        )
        assert answer.status_code == 200
        sent = fake.wait_for_sent_sync(CHAT, lambda m: m.text == "Hi", timeout=2)
        assert sent.message_id == 2
        with pytest.raises(TimeoutError, match="sendMessage -> ok"):
            fake.wait_for_sent_sync(CHAT, kind="audio", timeout=0.2)
