"""Finding links in messages: entities with UTF-16 offsets, text links, bare URLs, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Chat, Message, MessageEntity

from bot.telegram.links import FoundLinks, find_links, links_in_message, strip_command
from tests.support.fake_telegram_entities import TextBuilder, detect_entities, entity


def _links(text: str, raw: list[dict[str, object]]) -> FoundLinks:
    """The links of a message with this text and these entities (offsets in UTF-16 units)."""
    entities = tuple(
        MessageEntity(str(e["type"]), int(e["offset"]), int(e["length"]), url=e.get("url"))  # type: ignore[arg-type]
        for e in raw
    )
    message = Message(
        1, dt.datetime.now(dt.UTC), Chat(1, Chat.PRIVATE), text=text, entities=entities
    )
    return links_in_message(message)


def test_url_entity_after_emoji_and_umlauts_uses_utf16_offsets() -> None:
    text = "🎧🎧 Schön: https://www.zeit.de/artikel-ä?x=1 und 👍 https://taz.de/a"
    found = _links(text, detect_entities(text))
    assert found.urls == ("https://www.zeit.de/artikel-ä?x=1", "https://taz.de/a")
    assert not found.refused


def test_entity_offsets_count_astral_characters_twice() -> None:
    text = "😀x https://a.de"
    assert _links(text, [{"type": "url", "offset": 4, "length": 12}]).urls == ("https://a.de",)


def test_text_link_entity_gives_its_url_not_its_text() -> None:
    text, raw = (
        TextBuilder()
        .plain("👉 Lies ")
        .add("diesen Artikel", "text_link", url="https://www.tagesschau.de/x.html")
        .plain(" und ")
        .add("den hier", "text_link", url="https://www.spiegel.de/y")
        .build()
    )
    found = _links(text, raw)
    assert found.urls == ("https://www.tagesschau.de/x.html", "https://www.spiegel.de/y")


def test_order_follows_the_text_and_duplicates_are_dropped() -> None:
    text = "b https://b.de/1 a https://a.de/2 again https://B.de/1#frag"
    found = _links(text, detect_entities(text))
    assert found.urls == ("https://b.de/1", "https://a.de/2")


def test_bare_urls_without_entities_are_found_and_trailing_punctuation_dropped() -> None:
    found = find_links("Siehe (https://example.org/artikel.html).")
    assert found.urls == ("https://example.org/artikel.html",)


def test_url_entity_without_scheme_gets_https() -> None:
    text = "lies example.com/artikel bitte"
    found = _links(text, [entity(text, "example.com/artikel", "url")])
    assert found.urls == ("https://example.com/artikel",)


@pytest.mark.parametrize(
    "text",
    [
        "file:///etc/passwd",
        "bitte file:///home/user/geheim.html lesen",
        "/etc/passwd",
        "~/artikel.html",
        "../../etc/shadow",
        "C:\\Users\\x\\artikel.html",
    ],
)
def test_local_files_and_paths_are_refused_as_forbidden(text: str) -> None:
    found = _links(text, detect_entities(text))
    assert found.urls == ()
    assert found.refused
    assert {reason for _, reason in found.refused} == {"forbidden"}


def test_text_link_to_a_file_url_is_refused() -> None:
    text, raw = TextBuilder().add("Artikel", "text_link", url="file:///etc/passwd").build()
    found = _links(text, raw)
    assert found.urls == ()
    assert found.refused == (("file:///etc/passwd", "forbidden"),)


def test_other_schemes_are_refused_as_bad_scheme_and_tg_links_ignored() -> None:
    text, raw = (
        TextBuilder()
        .add("ftp", "text_link", url="ftp://example.org/a")
        .plain(" ")
        .add("Nutzer", "text_link", url="tg://user?id=5")
        .build()
    )
    found = _links(text, raw)
    assert found.urls == ()
    assert found.refused == (("ftp://example.org/a", "scheme"),)


@pytest.mark.parametrize(
    "url", ["http://example.org:99999/a", "http://xn--.example/", "https://example.org:0/"]
)
def test_malformed_links_are_refused_not_crashed_on(url: str) -> None:
    found = find_links(f"Lies das: {url} bitte")
    assert found.urls == ()
    assert found.refused == ((url, "scheme"),)


def test_ordinary_slashes_are_not_paths() -> None:
    for text in ("und/oder", "50 km/h", "1/2 Liter", "Ein Text ohne Link."):
        assert not find_links(text)


def test_a_path_inside_a_long_text_is_not_a_refusal() -> None:
    text = "Ein langer Beitrag über /usr/lib und andere Verzeichnisse. " * 8
    assert not find_links(text)


def test_strip_command() -> None:
    assert strip_command("/lies@hoerclub_bot https://a.de") == "https://a.de"
    assert strip_command("/lies") == ""
