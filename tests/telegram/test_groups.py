"""Groups: only /lies, mentions and replies to the bot count, never every link."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.fake_telegram import FakeTelegram, TextBuilder
from tests.telegram.conftest import GROUP, StartBot, audios, settle

ArticleUrl = Callable[..., str]
MEMBER = 31337


def _join(fake: FakeTelegram) -> None:
    # As an admin the bot sees every group message (privacy mode does not hide them), so the
    # tests prove that the bot itself ignores plain links.
    fake.add_chat(GROUP, "supergroup", title="Lesekreis", bot_is_admin=True)


async def test_a_plain_link_in_a_group_is_ignored(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    _join(fake)
    bot = await start_bot()
    url = article_url("gruppe-still", "Nicht für mich", 60, image=False)
    fake.send_text(GROUP, f"Habt ihr das gelesen? {url}", chat_type="supergroup", user_id=MEMBER)
    fake.send_text(GROUP, "Lang und ohne Link. " * 30, chat_type="supergroup", user_id=MEMBER)
    await fake.wait_until_consumed()
    await settle(1.0)
    assert fake.sent(GROUP) == []
    assert await bot.jobs.list_user(MEMBER) == []


async def test_lies_with_a_link_reads_it_in_the_group(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    _join(fake)
    await start_bot()
    url = article_url("gruppe-lies", "Für die Gruppe", 60, image=False)
    fake.send_text(GROUP, f"/lies@hoerclub_test_bot {url}", chat_type="supergroup", user_id=MEMBER)
    audio = await fake.wait_for_sent(GROUP, kind="audio", timeout=60)
    assert audio.audio is not None
    assert audio.audio["title"] == "Für die Gruppe"


async def test_read_as_a_reply_reads_the_replied_message_and_bare_read_explains_usage(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    _join(fake)
    await start_bot()
    url = article_url("gruppe-antwort", "Aus der Antwort", 60, image=False)
    shared = fake.send_text(GROUP, f"Schaut mal: {url}", chat_type="supergroup", user_id=MEMBER)
    fake.send_text(
        GROUP,
        "/read",
        chat_type="supergroup",
        user_id=MEMBER + 1,
        reply_to_message_id=shared["message"]["message_id"],
        language_code="en",
    )
    audio = await fake.wait_for_sent(GROUP, kind="audio", timeout=60)
    assert audio.audio is not None
    assert audio.audio["title"] == "Aus der Antwort"
    fake.send_text(GROUP, "/lies", chat_type="supergroup", user_id=MEMBER)
    usage = await fake.wait_for_sent(
        GROUP, lambda m: (m.text or "").startswith("Bitte gib einen Link an")
    )
    assert usage.text is not None
    assert "/lies https://www.beispiel.de/artikel" in usage.text


async def test_a_mention_or_a_reply_to_the_bot_with_a_link_is_read(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    _join(fake)
    await start_bot()
    first = article_url("gruppe-erwaehnt", "Erwähnt", 60, image=False, seed=1)
    second = article_url("gruppe-erwidert", "Erwidert", 60, image=False, seed=2)
    fake.send_text(
        GROUP, f"@hoerclub_test_bot lies bitte {first}", chat_type="supergroup", user_id=MEMBER
    )
    audio = await fake.wait_for_sent(GROUP, kind="audio", timeout=60)
    text, entities = TextBuilder().plain("und das hier ").add("🔗", "text_link", url=second).build()
    fake.send_text(
        GROUP,
        text,
        entities=entities,
        chat_type="supergroup",
        user_id=MEMBER,
        reply_to_message_id=audio.message_id,
    )
    await fake.wait_for_sent(GROUP, kind="audio", count=2, timeout=60)
    titles = [m.audio["title"] for m in audios(fake, GROUP) if m.audio]
    assert titles == ["Erwähnt", "Erwidert"]
