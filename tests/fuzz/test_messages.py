"""Fuzzing message parsing: the links of a message, and text pasted into the bot or the CLI.

Links: every http(s) link in a message is found exactly once, in order, whatever text
surrounds it (emoji, right-to-left, controls), as text or as an entity; a local path is
never a link. Text: a pasted text or a file keeps every word (the first line may become the
title, which is said too); bytes that are not text are refused, never read as garbage.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.errors import NoArticleError
from bot.pipeline.article import decode_text, text_to_article
from bot.telegram.links import Entity, find_links, strip_command
from tests.fuzz.bounds import EXAMPLE_SECONDS, MEGABYTE, MEGABYTE_SECONDS, within
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import hostile, hostile_text, word

LINKS = "fuzz: message links"
TEXT = "fuzz: pasted text and CLI input"

links = st.builds(
    "{}://{}.{}/{}".format,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,15}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True),
    st.sampled_from(["de", "at", "ch", "com", "org"]),
    st.from_regex(r"[A-Za-z0-9_\-/%=&?]{0,30}[A-Za-z0-9_\-/%=&]", fullmatch=True),
)


def _no_link_inside(text: str) -> bool:
    return "://" not in text


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A message with links among hostile text, and the links in order."""
    pieces, found = [], []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 3)) == 0:
            link = draw(links)
            pieces.append(link + draw(st.sampled_from(["", ".", ",", ")", "!", "“"])))
            found.append(link)
        else:
            pieces.append(draw(st.one_of(word, hostile).filter(_no_link_inside)))
    separators = st.sampled_from([" ", "\n", "\t", " \u200f", "\u3000"])
    return "".join(p + draw(separators) for p in pieces), found


@pytest.mark.reliability(LINKS, sees="every link of the message is read once, in order")
@fuzz(120)
@given(messages())
@example(("Lies das 😀 https://zeitung.de/artikel. Danke", ["https://zeitung.de/artikel"]))
@example(("\u202ehttps://a.de/x\u202c https://b.de/y", ["https://b.de/y"]))
def test_every_link_is_found_once_in_order(message: tuple[str, list[str]]) -> None:
    text, expected = message
    with within(EXAMPLE_SECONDS, "find_links"):
        found = find_links(text)
    got = [u for u in found.urls if u in expected]
    unique = list(dict.fromkeys(expected))
    # Links that differ only in what normalize_url ignores count once; order is kept.
    assert [u for u in unique if u in got] == got
    assert set(got) >= {u for u in unique if not _glued(u, text)}


def _glued(link: str, text: str) -> bool:
    """A link with a bidi control glued to its front is not a link (Telegram agrees)."""
    return f"\u202e{link}" in text


@pytest.mark.reliability(LINKS, sees="a link written as an entity is read too")
@fuzz(200)
@given(hostile_text(max_tokens=15, huge=False), links, hostile_text(max_tokens=15, huge=False))
def test_a_url_entity_is_found_where_it_stands(before: str, link: str, after: str) -> None:
    before = before.replace("://", "")
    after = after.replace("://", "")
    text = f"{before} {link} {after}"
    entity = Entity("url", link, len(before) + 1)
    found = find_links(text, [entity])
    assert link in found.urls


@pytest.mark.reliability(LINKS, sees="any message: links or none, never a crash")
@fuzz(300)
@given(st.text(max_size=400))
@example("/a" + "/" * 40 + " b")  # the path pattern took 2^n steps on this (regression)
@example("file:///etc/passwd C:\\Windows \\\\server\\share ~/.ssh/id_rsa")
def test_any_text_gives_links_or_nothing_in_bounded_time(text: str) -> None:
    with within(EXAMPLE_SECONDS, "find_links"):
        found = find_links(text, [Entity("url", text, 0)])
        strip_command(text)
    for url in found.urls:
        assert url.lower().startswith(("http://", "https://"))


@pytest.mark.reliability(LINKS, sees="local paths are refused, never fetched")
@fuzz(200)
@given(st.sampled_from(["/etc/passwd", "~/.ssh/id_rsa", "../x/y", "file:///etc/shadow"]), hostile)
def test_a_local_path_is_never_a_link(path: str, noise: str) -> None:
    found = find_links(f"{noise} {path}")
    assert not [u for u in found.urls if "etc" in u or "ssh" in u or "/x/y" in u]


@pytest.mark.reliability(LINKS, sees="a megabyte message is scanned in bounded time")
@pytest.mark.parametrize("unit", ["a", "/", "http://", "h", "/a/", "😀", " "])
def test_a_megabyte_message(unit: str) -> None:
    text = unit * (MEGABYTE // len(unit))
    with within(MEGABYTE_SECONDS, f"find_links on 1 MB of {unit!r}"):
        find_links(text, [Entity("url", text[:5000], 0)])


# --- pasted text and the CLI's files and stdin -------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.reliability(TEXT, sees="the pasted text, every word of it")
@fuzz(200)
@given(st.lists(hostile_text(max_tokens=40, huge=False), min_size=1, max_size=6))
@example(["Überschrift ohne Punkt\nErster Satz des Textes " + "mit vielen Wörtern " * 20])
def test_pasted_text_keeps_every_word(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    with within(EXAMPLE_SECONDS, "text_to_article"):
        try:
            article = text_to_article(text)
        except NoArticleError:
            return  # too short, or no words: refused with its own message
    body = [w for b in article.blocks for w in _words(b.text)]
    if article.title.endswith(" …"):  # a title made from the first words: they stay in
        assert body == _words(text)
    else:
        assert _words(article.title) + body == _words(text)


@pytest.mark.reliability(TEXT, sees="bytes that are not text are refused in one line")
@fuzz(200)
@given(st.binary(max_size=3000))
@example(b"\x89PNG\r\n\x1a\n" + bytes(200))
@example("Grüße aus Köln – schön".encode("cp1252"))
@example(b"\xff\xfe" + "Text in UTF-16".encode("utf-16-le"))
def test_any_bytes_decode_or_are_refused(data: bytes) -> None:
    with within(EXAMPLE_SECONDS, "decode_text"):
        try:
            text = decode_text(data)
        except NoArticleError:
            return
    assert isinstance(text, str)
    # A text with replacement characters in most of it would be garbage read aloud.
    assert text.count("\ufffd") <= max(4, len(text) // 2)


@pytest.mark.reliability(TEXT, sees="the text of a file, whatever its encoding")
@fuzz(100)
@given(
    st.lists(st.sampled_from(["Grüße", "Straße", "Öffnung", "Bürger", "daß", "Maß"]), min_size=3),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
)
@example(["Maß", "daß", "Grüße"], "cp1252")  # was read as Farsi (cp1006)
@example(["Straße", "Straße", "Öffnung"], "cp1252")  # was read as mac-iceland "Straþe"
def test_german_text_in_any_common_encoding_decodes_to_itself(words: list[str], codec: str) -> None:
    text = " ".join(words * 4)
    decoded = decode_text(text.encode(codec))
    assert re.sub(r"\s+", " ", decoded).strip() == text


@pytest.mark.reliability(TEXT, sees="a megabyte of one character: a one-line refusal")
@pytest.mark.parametrize("char", ["a", "\x00", "😀", "\u202e", ".", "ä"])
def test_a_megabyte_of_one_character_as_input(char: str) -> None:
    data = (char * (MEGABYTE // len(char.encode()))).encode()
    # One "word", no words, or not text: each refused with its own message.
    with within(MEGABYTE_SECONDS, f"1 MB of {char!r}"), pytest.raises(NoArticleError):
        text_to_article(decode_text(data))
