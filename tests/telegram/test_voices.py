"""`/stimme`: engine and voices for reader and host, Stimmprobe rendered once then by file_id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.telegram.voices import parse_voice, voice_data
from tests.support.fake_edge import FakeEdge
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, audios

KATJA = "de-DE-KatjaNeural"
CONRAD = "de-DE-ConradNeural"


def _short(long_name: str) -> str:
    """ "Microsoft Server Speech … (de-DE, KatjaNeural)" → "de-DE-KatjaNeural"."""
    locale, name = long_name.rsplit("(", 1)[1].rstrip(")").split(", ")
    return f"{locale}-{name}"


@pytest.fixture
def edge() -> Iterator[FakeEdge]:
    """The local fake of Microsoft's edge-tts service."""
    with FakeEdge() as server:
        yield server


async def _press(fake: FakeTelegram, message_id: int, data: str) -> None:
    fake.press_button(USER, message_id, data)
    await fake.wait_for(lambda f: all(a is not None for a in f.callback_answers.values()), 20)


async def test_voice_menu_sets_reader_and_host_and_renders_use_them(
    fake: FakeTelegram, start_bot: StartBot, edge: FakeEdge
) -> None:
    bot = await start_bot(HOERCLUB_TTS_ENGINE="edge", HOERCLUB_EDGE_ENDPOINT=edge.url)
    fake.send_text(USER, "/stimme")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    labels = [b["text"] for b in menu.buttons]
    # German voices come first, after the engine row; English ones follow.
    first_voice = next(i for i, b in enumerate(menu.buttons) if b["callback_data"][3] == "r")
    assert "Katja" in labels[first_voice]
    assert labels.index(next(x for x in labels if "Ava" in x)) > labels.index(
        next(x for x in labels if "Leni" in x)
    )
    await _press(fake, menu.message_id, voice_data("r", "edge", CONRAD))
    await _press(fake, menu.message_id, voice_data("h", "edge", KATJA))
    prefs = await bot.jobs.prefs.get(USER)
    assert (prefs.engine, prefs.voice, prefs.host_voice) == ("edge", CONRAD, KATJA)
    # The answer comes before the menu is redrawn.
    shown = await fake.wait_for(
        lambda f: "Moderation: Katja" in (f.message(USER, menu.message_id).text or ""), 10
    )
    assert shown
    assert "Vorleser: Conrad" in (fake.message(USER, menu.message_id).text or "")

    words = " ".join(["Die Stadt baut eine neue Straßenbahn durch das Zentrum."] * 12)
    fake.send_text(USER, words)
    await fake.wait_for(lambda f: audios(f, USER), 60)
    spoken = {_short(r.voice) for r in edge.requests}
    assert CONRAD in spoken
    assert KATJA in spoken
    assert spoken <= {CONRAD, KATJA}


async def test_sample_is_rendered_once_then_sent_by_file_id(
    fake: FakeTelegram, start_bot: StartBot, edge: FakeEdge
) -> None:
    await start_bot(HOERCLUB_TTS_ENGINE="edge", HOERCLUB_EDGE_ENDPOINT=edge.url)
    fake.send_text(USER, "/voice")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    await _press(fake, menu.message_id, voice_data("p", "edge", "de-AT-JonasNeural"))
    first = await fake.wait_for(lambda f: audios(f, USER), 60)
    assert first[0].file_id is not None
    assert {_short(r.voice) for r in edge.requests} == {"de-AT-JonasNeural"}
    asked = len(edge.requests)
    await _press(fake, menu.message_id, voice_data("p", "edge", "de-AT-JonasNeural"))
    both = await fake.wait_for(lambda f: len(audios(f, USER)) == 2 and audios(f, USER), 20)
    assert both[1].file_id == first[0].file_id
    assert len(edge.requests) == asked  # nothing rendered again


async def test_settings_row_opens_the_voice_menu_and_garbage_is_refused(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    fake.send_text(USER, "/einstellungen")
    settings = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    await _press(fake, settings.message_id, voice_data("menu"))
    menu = await fake.wait_for_sent(USER, lambda m: m.text is not None and "Vorleser" in m.text)
    assert any("Probe" in b["text"] for b in menu.buttons)
    assert parse_voice(voice_data("r", "edge", "de-DE-NobodyNeural")) is None
    assert parse_voice("vo:r:nosuch:x") is None
    assert parse_voice(voice_data("p", "espeak", "de")) is not None
