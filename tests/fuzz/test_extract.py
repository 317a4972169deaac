"""Fuzzing the extractor: generated article pages keep every paragraph; monsters end in time.

"No lost text" for extraction: every distinct paragraph of the page's article (prose of a
sentence or more inside <article>) comes out whole, whatever wraps it (deep nesting,
navigation, scripts, comments) and whatever characters it holds. What extraction drops on
purpose is not generated here (navigation, teasers, credits) or stated per case: characters
XML forbids (controls but tab and newlines, U+FFFE/U+FFFF) are removed, and a vertical tab
or form feed separates words like a space.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.config import load_settings
from bot.errors import ExtractTimeoutError, NoArticleError
from bot.locales import translate
from bot.models import Article
from bot.pipeline.article import ArticleLoader, article_from_html
from bot.pipeline.fetch import Fetcher
from bot.pipeline.isolate import STARTUP_SECONDS
from tests.fuzz.bounds import EXAMPLE_SECONDS, MEGABYTE, within
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import paragraph

KIND = "fuzz: extractor"
_FORBIDDEN = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff]")


def expected_text(text: str) -> str:
    """What extraction must keep of a paragraph: the documented drops applied, spaces tidied."""
    text = _FORBIDDEN.sub("", re.sub(r"[\x0b\x0c]", " ", text))
    return " ".join(text.split())


def body_text(article: Article) -> str:
    """The article's lead and blocks as one line."""
    parts = ([article.lead] if article.lead else []) + [b.text for b in article.blocks]
    return " ".join(" ".join(parts).split())


NOISE = [
    "<nav><ul>"
    + "".join(f"<li><a href='/r{i}'>Rubrik {i}</a></li>" for i in range(8))
    + "</ul></nav>",
    "<script>var x = '<p>kein Text</p>'; for (;;) {}</script>",
    "<style>p { color: red }</style>",
    "<!-- <p>auskommentiert</p> -->",
    "<footer><p>© Verlag</p><a href='/impressum'>Impressum</a></footer>",
    "<aside><a href='/a'>Mehr zum Thema</a></aside>",
]


@st.composite
def article_pages(draw: st.DrawFn) -> tuple[str, list[str]]:
    """An article page and the paragraphs it holds."""
    paragraphs = draw(st.lists(paragraph(), min_size=4, max_size=9, unique=True))
    paragraphs = [p for p in paragraphs if len(p.split()) >= 8] or ["Zu kurz."]
    depth = draw(st.integers(0, 40))
    wrapper = draw(st.sampled_from(["div", "section", "main", "span"]))
    noise = draw(st.lists(st.sampled_from(NOISE), max_size=4))
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    inner = f"<article><h1>Eine Überschrift</h1>{body}</article>"
    page = (
        "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>"
        "<title>Eine Überschrift | Zeitung</title></head><body>"
        + "".join(noise[:2])
        + f"<{wrapper}>" * depth
        + inner
        + f"</{wrapper}>" * depth
        + "".join(noise[2:])
        + "</body></html>"
    )
    return page, paragraphs


@pytest.mark.reliability(KIND, sees="the whole article, every paragraph")
@fuzz(60)
@given(article_pages())
@example(
    (
        "<html lang='de'><body><article>"
        + "".join(
            f"<p>Absatz {i}: Die Straße ist ge\x0bsperrt\x1b und die Verwaltung "
            "will in der nächsten Sitzung darüber reden, sagte sie.</p>"
            for i in range(5)
        )
        + "</article></body></html>",
        [
            f"Absatz {i}: Die Straße ist ge\x0bsperrt\x1b und die Verwaltung "
            "will in der nächsten Sitzung darüber reden, sagte sie."
            for i in range(5)
        ],
    )
)  # one control character in a page lost the whole article
def test_every_paragraph_of_a_generated_page_is_kept(page: tuple[str, list[str]]) -> None:
    source, paragraphs = page
    with within(EXAMPLE_SECONDS, "article_from_html"):
        try:
            article = article_from_html(source)
        except NoArticleError:
            # Only a page without enough running text may be refused.
            assert sum(len(p.split()) for p in paragraphs) < 60, paragraphs
            return
    text = body_text(article)
    missing = [p for p in paragraphs if expected_text(p) not in text]
    assert missing == [], text


@pytest.mark.reliability(KIND, sees="any markup: an article or a one-line refusal")
@fuzz(150)
@given(st.text(max_size=2000))
@example("<" * 5000)
@example("<html><body>" + "<p>" * 3000)
@example("\x00" * 100)
def test_any_text_as_html_gives_an_article_or_a_refusal(source: str) -> None:
    with within(EXAMPLE_SECONDS, "article_from_html"):
        try:
            article = article_from_html(source)
        except NoArticleError:
            return
    assert article.words > 0


@pytest.fixture
async def loader() -> AsyncIterator[ArticleLoader]:
    """The production loader: extraction in a worker process under the extraction deadline."""
    settings = load_settings()
    pages = ArticleLoader(Fetcher(settings), extract_timeout=settings.extract_timeout)
    yield pages
    await pages.aclose()


def _nested(count: int, tag: str) -> str:
    text = "Die Bürgermeisterin sprach über das neue Schwimmbad und die Kosten. " * 20
    opened, closed = f"<{tag}>" * count, f"</{tag}>" * count
    return f"<html lang='de'><body>{opened}<p>{text}</p>{closed}</body></html>"


MONSTERS = {
    "100,000 nested divs": _nested(100_000, "div"),
    "100,000 nested spans": _nested(100_000, "span"),
    # Siblings cost trafilatura about 65 µs each here (100,000: 6.5 s), so 20,000 of them.
    "20,000 unclosed paragraphs": "<html><body>" + "<p>Wort " * 20_000 + "</body></html>",
    "20,000 sibling divs": "<html><body>" + "<div>Wort</div>" * 20_000 + "</body></html>",
    "1 MB of one letter": "<html><body><p>" + "a" * MEGABYTE + "</p></body></html>",
    "1 MB of one letter, bare": "a" * MEGABYTE,
    "1 MB of <": "<" * MEGABYTE,
    "1 MB of &": "<html><body><p>" + "&amp;" * (MEGABYTE // 5) + "</p></body></html>",
    "1 MB of emoji": "<html><body><p>" + "😀" * (MEGABYTE // 4) + "</p></body></html>",
    "1 MB of right-to-left": "<html><body><p>"
    + "\u202eשלום " * (MEGABYTE // 6)
    + "</p></body></html>",
}


@pytest.mark.reliability(KIND, sees="an article or a one-line refusal within the deadline")
@pytest.mark.parametrize("name", sorted(MONSTERS))
async def test_monster_pages_end_within_the_extraction_deadline(
    loader: ArticleLoader, name: str
) -> None:
    """An article, a refusal, or (on a machine too busy) the deadline's message: in time."""
    started = time.monotonic()
    outcome: Article | NoArticleError | ExtractTimeoutError
    try:
        outcome = await loader.load_html(MONSTERS[name], url=None)
    except (NoArticleError, ExtractTimeoutError) as exc:
        outcome = exc
    # The deadline, plus starting a fresh worker process after one was stopped.
    assert time.monotonic() - started < (loader.extract_timeout or 0) + STARTUP_SECONDS
    if isinstance(outcome, Article):
        assert outcome.words > 0
    else:
        assert translate(outcome.key, "de", **outcome.params)


@pytest.mark.reliability(KIND, sees="the whole article, however deep its markup")
@pytest.mark.parametrize("depth", [255, 300, 1000, 2000])
def test_deep_nesting_loses_no_text_inside_or_after_it(depth: int) -> None:
    """libxml2 dropped the whole document from 255 levels on (regression)."""
    inside = "Die Bürgermeisterin sprach über das neue Schwimmbad und die Kosten. " * 10
    after = "Danach redete der Kämmerer lange über den Haushalt der Gemeinde. " * 10
    source = (
        f"<html lang='de'><body>{'<div>' * depth}<p>{inside}</p>{'</div>' * depth}"
        f"<p>{after}</p></body></html>"
    )
    text = body_text(article_from_html(source))
    assert expected_text(inside) in text
    assert expected_text(after) in text
