"""Sources → clean Article: a page is parsed once, extracted, cleaned and its walls weighed.

The one place the CLI, the bot and the benchmarks turn a link, a page or a text into what a
listener hears. It imports nothing of synthesis, so `hoerclub extract` starts quickly.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from bot.errors import BadSchemeError, ForbiddenAddressError, NoArticleError, UsageError
from bot.limits import MIN_TEXT_WORDS
from bot.models import Article, Block, BlockKind, count_words
from bot.pipeline.clean import clean_article
from bot.pipeline.extract import extract_parsed, parse_page
from bot.pipeline.fetch import Fetcher
from bot.pipeline.language import detect_language
from bot.pipeline.walls import check_walls, explain_missing_text

logger = logging.getLogger(__name__)

# Told when the page has arrived and its extraction starts.
OnFetched = Callable[[], Awaitable[None]]
# A first line shorter than this, without a final period, is taken as the title of a text.
TITLE_MAX_CHARS: Final = 120


def article_from_html(html: str, url: str | None = None) -> Article:
    """The clean article of a page; PaywallError or NoArticleError when there is none to read."""
    page = parse_page(html)
    try:
        article = clean_article(extract_parsed(page, url))
    except NoArticleError:
        explain_missing_text(page.walls)  # a wall explains the missing text
        raise
    return check_walls(article, page.walls)


def text_to_article(text: str, title: str | None = None) -> Article:
    """Turn plain text (a .txt file, stdin, a forwarded post) into an Article."""
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text.strip())]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise NoArticleError("the text is empty")
    if title is None:
        first = paragraphs[0]
        lines = text.strip().splitlines()
        candidate = lines[0].strip() if lines else first
        if len(candidate) <= TITLE_MAX_CHARS and not candidate.endswith((".", ",", ";")):
            title = candidate
            rest = text.strip()[len(lines[0]) :]
            paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", rest)]
            paragraphs = [p for p in paragraphs if p]
        else:
            title = " ".join(first.split()[:8]).rstrip(".,;:") + " …"
    blocks = tuple(Block(BlockKind.PARAGRAPH, p) for p in paragraphs)
    language = detect_language(" ".join(paragraphs))
    article = Article(title=title, blocks=blocks, language=language)
    if count_words(" ".join(paragraphs)) < MIN_TEXT_WORDS:
        raise NoArticleError(f"fewer than {MIN_TEXT_WORDS} words of text")
    return article


class ArticleLoader:
    """Load a link, a local file (CLI only) or an HTML string as a clean Article."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    async def load(
        self, source: str, *, allow_local: bool = False, on_fetched: OnFetched | None = None
    ) -> Article:
        """Load an http(s) URL (or, for the CLI only, an .html/.txt file) as a clean Article.

        `on_fetched` is awaited between fetching and extracting a page (progress for the user).
        """
        parts = urlsplit(source.strip())
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            return await self.load_url(source.strip(), on_fetched=on_fetched)
        if not allow_local:
            if scheme == "file" or source.strip().startswith(("/", "~", ".")):
                raise ForbiddenAddressError("local files are never read", url=source)
            if scheme:
                raise BadSchemeError(f"unsupported scheme {scheme!r}", url=source)
            raise BadSchemeError("not an http(s) link", url=source)
        if scheme and len(scheme) > 1:  # "C:" on Windows is a drive, not a scheme
            raise BadSchemeError(f"unsupported scheme {scheme!r}", url=source)
        path = Path(source)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from exc
        if path.suffix.lower() in (".html", ".htm", ".xhtml"):
            return await self.load_html(data.decode("utf-8", errors="replace"), url=None)
        if path.suffix.lower() in (".txt", ".text", ".md", ""):
            return text_to_article(data.decode("utf-8", errors="replace"))
        raise UsageError(f"unsupported file type: {path.suffix} (use .html or .txt)")

    async def load_url(self, url: str, *, on_fetched: OnFetched | None = None) -> Article:
        """Fetch a page through the guarded fetcher and extract its article."""
        started = time.perf_counter()
        page = await self.fetcher.fetch(url)
        if on_fetched is not None:
            await on_fetched()
        article = await self.load_html(page.text, url=page.final_url)
        logger.info(
            "loaded %s: %d words in %.0f ms",
            urlsplit(page.final_url).hostname,
            article.words,
            (time.perf_counter() - started) * 1000,
        )
        return article

    async def load_html(self, html: str, url: str | None) -> Article:
        """Extract and clean an HTML page (CPU work, off the event loop)."""
        return await asyncio.to_thread(article_from_html, html, url)

    async def aclose(self) -> None:
        """Close the fetcher's connections."""
        await self.fetcher.aclose()
