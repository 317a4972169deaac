"""The listener's library: /verlauf (history, paged, one tap sends again) and "Später hören"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, StartBot, audios, settle

ArticleUrl = Callable[..., str]
OTHER = USER + 1


async def _answer(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any]:
    query_id = update["callback_query"]["id"]
    answer = await fake.wait_for(lambda f: f.callback_answers.get(query_id), 10)
    assert isinstance(answer, dict)
    return answer


async def _reply(fake: FakeTelegram, chat_id: int, needle: str) -> SentMessage:
    return await fake.wait_for_sent(
        chat_id, lambda m: m.kind == "text" and needle in (m.text or ""), timeout=15
    )


async def _deliver(
    fake: FakeTelegram, article_url: ArticleUrl, titles: list[str]
) -> list[SentMessage]:
    """One audio per title, one after the other (so the history's order is theirs)."""
    out = []
    for n, title in enumerate(titles, start=1):
        fake.send_text(USER, article_url(f"artikel-{n}", title, 60, image=False, seed=n * 7))
        out.append(await fake.wait_for_sent(USER, kind="audio", count=n, timeout=60))
    return out


async def test_history_pages_and_sends_again_by_file_id(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.send_text(USER, "/verlauf")
    assert "sobald du die erste bekommen hast" in ((await _reply(fake, USER, "🕘")).text or "")
    titles = [f"Artikel Nummer {n}" for n in range(1, 7)]
    delivered = await _deliver(fake, article_url, titles)

    fake.send_text(USER, "/verlauf")
    page = await _reply(fake, USER, "Deine letzten Aufnahmen")
    assert "(Seite 1/2)" in (page.text or "")
    labels = [b["text"] for b in page.buttons]
    # Newest first, five a page, and a way to the next page.
    assert [label.split(" · ")[0] for label in labels[:5]] == [
        f"{n}. Artikel Nummer {7 - n}" for n in range(1, 6)
    ]
    assert labels[5:] == ["▶"]

    pressed = fake.press_button(USER, page.message_id, page.button("▶"))
    await _answer(fake, pressed)
    turned = await fake.wait_for(
        lambda f: ((m := f.message(USER, page.message_id)).edit_count >= 1 and m) or None, 10
    )
    assert "(Seite 2/2)" in (turned.text or "")
    assert [b["text"].split(" · ")[0] for b in turned.buttons] == ["6. Artikel Nummer 1", "◀"]

    # One tap sends the oldest again, by file_id (no upload).
    before = len(fake.calls_to("sendAudio"))
    pressed = fake.press_button(USER, page.message_id, turned.button("Artikel Nummer 1"))
    assert (await _answer(fake, pressed)).get("text") == "Ich schicke sie dir noch einmal."
    again = await fake.wait_for_sent(USER, kind="audio", count=7, timeout=15)
    assert again.file_id == delivered[0].file_id
    call = fake.calls_to("sendAudio")[before]
    assert call.params["audio"] == delivered[0].file_id
    assert "audio" not in call.files
    assert "Artikel Nummer 1" in (again.caption or "")

    # Another user pressing a button of this history (or forging one) gets a toast, nothing else.
    data = turned.button("Artikel Nummer 1")
    forged = fake.press_button(USER, page.message_id, data, user_id=OTHER)
    assert "nicht dein Verlauf" in (await _answer(fake, forged)).get("text", "")
    turn = fake.press_button(USER, page.message_id, f"hist:p:0:{OTHER}", forged=True)
    assert "nicht dein Verlauf" in (await _answer(fake, turn)).get("text", "")
    junk = fake.press_button(USER, page.message_id, "hist:s:99999999999999999999", forged=True)
    assert "nicht dein Verlauf" in (await _answer(fake, junk)).get("text", "")
    await settle(0.5)
    assert len(audios(fake, USER)) == 7


async def test_listen_later_collects_plays_back_and_forgets(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.send_text(USER, "/liste")
    assert "ist leer" in ((await _reply(fake, USER, "Später-hören-Liste")).text or "")
    fake.send_text(USER, "/spaeter")
    assert "Antworte mit /spaeter" in ((await _reply(fake, USER, "/liste")).text or "")
    first, second = await _deliver(fake, article_url, ["Der erste Text", "Der zweite Text"])

    # The button under an audio puts it aside; twice is once.
    data = first.button("Später hören")
    answer = await _answer(fake, fake.press_button(USER, first.message_id, data))
    assert answer.get("text") == "🕒 Gemerkt! Mit /liste hörst du sie später."
    answer = await _answer(fake, fake.press_button(USER, first.message_id, data))
    assert "schon auf deiner Liste" in answer.get("text", "")
    # /spaeter as a reply to an audio does the same.
    fake.send_text(USER, "/spaeter", reply_to_message_id=second.message_id)
    await _reply(fake, USER, "Gemerkt!")

    fake.send_text(USER, "/liste")
    heading = await _reply(fake, USER, "2 Aufnahmen, die älteste zuerst")
    played = await fake.wait_for_sent(USER, kind="audio", count=4, timeout=15)
    first_again, second_again = audios(fake, USER)[2:]
    assert played.message_id == second_again.message_id
    assert (first_again.file_id, second_again.file_id) == (first.file_id, second.file_id)
    assert "Der erste Text" in (first_again.caption or "")
    heard = first_again.button("Gehört")

    # Nobody takes an audio off someone else's list.
    forged = fake.press_button(USER, first_again.message_id, heard, user_id=OTHER)
    assert "nicht zu deiner Liste" in (await _answer(fake, forged)).get("text", "")
    answer = await _answer(fake, fake.press_button(USER, first_again.message_id, heard))
    assert answer.get("text") == "Von der Liste genommen."
    gone = await fake.wait_for(
        lambda f: not f.message(USER, first_again.message_id).buttons or None, 10
    )
    assert gone

    fake.send_text(USER, "/liste")
    await _reply(fake, USER, "1 Aufnahme.")
    last = await fake.wait_for_sent(USER, kind="audio", count=5, timeout=15)
    assert last.file_id == second.file_id

    # "Liste leeren" empties it (only the owner's button counts).
    clear = heading.button("Liste leeren")
    forged = fake.press_button(USER, heading.message_id, clear, user_id=OTHER)
    assert "nicht zu deiner Liste" in (await _answer(fake, forged)).get("text", "")
    answer = await _answer(fake, fake.press_button(USER, heading.message_id, clear))
    assert answer.get("text") == "Liste geleert (1 Aufnahme)."
    fake.send_text(USER, "/liste")
    await fake.wait_for_sent(
        USER, lambda m: m.kind == "text" and "ist leer" in (m.text or ""), count=2, timeout=15
    )


async def test_english_listeners_get_the_library_in_english(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    fake.send_text(USER, "/history", language_code="en")
    assert "once you have had the first one" in ((await _reply(fake, USER, "🕘")).text or "")
    fake.send_text(USER, "/later", language_code="en")
    await _reply(fake, USER, "Reply with /later")
    fake.send_text(USER, "/list", language_code="en")
    await _reply(fake, USER, "listen-later list is empty")
    commands = fake.commands_for(language_code="en")
    names = {c["command"] for c in commands}
    assert {"history", "later", "list"} <= names
    german = {c["command"] for c in fake.commands_for()}
    assert {"verlauf", "spaeter", "liste"} <= german
