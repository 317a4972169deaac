"""Fuzzing the chunker: every character of the text reaches exactly one chunk, in order.

The chunker's documented invariant: joining the chunks with single spaces gives the input
with its whitespace collapsed, except inside a word longer than the limit, whose pieces join
without a space. So nothing but whitespace may be dropped, and no chunk exceeds the limit.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.models import Script, Segment
from bot.pipeline.chunk import chunk_script, chunk_text
from tests.fuzz.bounds import EXAMPLE_SECONDS, MEGABYTE, MEGABYTE_SECONDS, within
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import hostile_text, paragraph

KIND = "fuzz: chunker"
limits = st.sampled_from([1, 2, 5, 40, 100, 200, 3000])


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _assert_chunks(text: str, chunks: list[str], max_chars: int) -> None:
    assert all(chunks), "an empty chunk is a request for nothing"
    assert all(len(c) <= max_chars for c in chunks), [c for c in chunks if len(c) > max_chars]
    assert all(c == c.strip() for c in chunks)
    # No character lost, none added, none moved.
    assert "".join(_squeeze(c) for c in chunks) == _squeeze(text)
    if all(len(token) <= max_chars for token in text.split()):
        assert " ".join(chunks) == " ".join(text.split())


@pytest.mark.reliability(KIND, sees="every word is spoken once, in order")
@fuzz(300)
@given(hostile_text(), limits)
@example("a" * 250 + "\u0301\u0301 b", 100)  # combining marks at a hard cut
@example("Ein Satz.\n\n\n\nZweiter Absatz\u2029Dritter", 5)
def test_chunk_text_keeps_every_character(text: str, max_chars: int) -> None:
    with within(EXAMPLE_SECONDS, "chunk_text"):
        chunks = chunk_text(text, max_chars)
    _assert_chunks(text, chunks, max_chars)


@pytest.mark.reliability(KIND, sees="every word is spoken once, in order")
@fuzz(200)
@given(st.text(max_size=300), limits)
def test_chunk_text_on_any_unicode(text: str, max_chars: int) -> None:
    _assert_chunks(text, chunk_text(text, max_chars), max_chars)


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    """Scripts of host and reader segments, some empty, some with chapters."""
    segments = []
    for _ in range(draw(st.integers(1, 6))):
        text = draw(st.one_of(paragraph(), hostile_text(max_tokens=20), st.just("")))
        segments.append(
            Segment(
                draw(st.sampled_from(["host", "reader", "quote"])),
                text,
                draw(st.sampled_from([0, 250, 700])),
                draw(st.one_of(st.none(), st.just("Kapitel"))),
            )
        )
    return Script(tuple(segments))


@pytest.mark.reliability(KIND, sees="every segment's words are spoken once, in order")
@fuzz(200)
@given(scripts(), st.sampled_from([5, 100, 200]), st.booleans())
def test_chunk_script_keeps_every_segment(script: Script, max_chars: int, pack: bool) -> None:
    with within(EXAMPLE_SECONDS, "chunk_script"):
        chunks = chunk_script(script, max_chars, pack_segments=pack)
    assert all(0 < len(c.text) <= max_chars for c in chunks)
    assert [c.segment_index for c in chunks] == sorted(c.segment_index for c in chunks)
    joined = "".join(_squeeze(c.text) for c in chunks)
    assert joined == "".join(_squeeze(s.text) for s in script.segments)


@pytest.mark.reliability(KIND, sees="1 MB of one character is chunked in bounded time")
@pytest.mark.parametrize("text", ["a" * MEGABYTE, "a " * (MEGABYTE // 2), ". " * (MEGABYTE // 2)])
def test_a_megabyte_is_chunked_in_bounded_time(text: str) -> None:
    with within(MEGABYTE_SECONDS, "chunk_text of 1 MB"):
        chunks = chunk_text(text, 100)
    assert "".join(_squeeze(c) for c in chunks) == _squeeze(text)
