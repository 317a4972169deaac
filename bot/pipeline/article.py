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
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.errors import (
    BadLinkError,
    BadSchemeError,
    ForbiddenAddressError,
    NoArticleError,
    NotAnArticleError,
    NotTextError,
    NoWordsError,
    TooLargeError,
    UsageError,
)
from bot.limits import MIN_TEXT_WORDS
from bot.models import Article, Block, BlockKind, count_words
from bot.pipeline.clean import clean_article
from bot.pipeline.content import (
    DETECT_BYTES,
    charset_from_bom,
    charset_from_markup,
    detect_charset,
    sniff_media_type,
)
from bot.pipeline.extract import extract_parsed, parse_page
from bot.pipeline.fetch import HTML_TYPES, Fetcher
from bot.pipeline.isolate import run_isolated
from bot.pipeline.language import detect_language
from bot.pipeline.pdf import PDF_TYPES, article_from_pdf, is_pdf
from bot.pipeline.walls import check_walls, explain_missing_text

logger = logging.getLogger(__name__)

# Told when the page has arrived and its extraction starts.
OnFetched = Callable[[], Awaitable[None]]
# A first line shorter than this, without a final period, is taken as the title of a text.
TITLE_MAX_CHARS: Final = 120
# Control characters (other than whitespace) in the first DETECT_BYTES decoded: German text,
# HTML and Markdown files have none; random or compressed bytes read as windows-1252 give
# about 11 % (28 of 256 byte values), so 1 % tells them apart with room either way.
MAX_CONTROL_SHARE: Final = 0.01
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML_START: Final = re.compile(r"\s*<(!doctype|html|head|body)", re.IGNORECASE)
_UTF16: Final = ("utf-16-le", "utf-16-be")
# What a link may answer with: a page, or a PDF (some servers label PDFs as bare bytes: the
# magic decides those).
ACCEPTED_TYPES: Final = (*HTML_TYPES, *PDF_TYPES, "application/octet-stream")

Kind = Literal["html", "text", "auto"]


def decode_text(data: bytes, *, markup: bool = False) -> str:
    """Bytes of a file or stdin as text, the charset found as for a fetched page (BOM, for
    markup <meta charset>, else detection); NotTextError for images, PDFs and other binaries."""
    sniffed = sniff_media_type(data)
    if sniffed is not None and sniffed != "text/html":
        raise NotTextError(f"binary data ({sniffed}), not text")
    charset = charset_from_bom(data)
    if charset not in _UTF16 and b"\x00" in data:
        raise NotTextError("binary data (NUL bytes), not text")
    if charset is None and markup:
        charset = charset_from_markup(data)
    if charset is None:
        charset = detect_charset(data)
    text = data.decode(charset, errors="replace")
    head = text[:DETECT_BYTES]
    if head and len(_CONTROL.findall(head)) > MAX_CONTROL_SHARE * len(head):
        raise NotTextError("binary data (control characters), not text")
    return text.removeprefix("\ufeff")


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
    body = " ".join(paragraphs)
    if not any(ch.isalnum() for ch in body):
        raise NoWordsError("no words in the text, only symbols")
    language = detect_language(body)
    article = Article(title=title, blocks=blocks, language=language)
    # Emoji and dashes are not words a listener hears.
    spoken = " ".join(token for token in body.split() if any(ch.isalnum() for ch in token))
    if count_words(spoken) < MIN_TEXT_WORDS:
        raise NoArticleError(f"fewer than {MIN_TEXT_WORDS} words of text")
    return article


class ArticleLoader:
    """Load a link, a local file (CLI only) or an HTML string as a clean Article."""

    def __init__(self, fetcher: Fetcher, *, extract_timeout: float | None = None) -> None:
        self.fetcher = fetcher
        # None: a thread without a deadline (`hoerclub extract`: a one-shot run, stopped by Ctrl-C).
        self.extract_timeout = extract_timeout

    async def load(
        self, source: str, *, allow_local: bool = False, on_fetched: OnFetched | None = None
    ) -> Article:
        """Load an http(s) URL (or, for the CLI only, an .html/.txt file) as a clean Article.

        `on_fetched` is awaited between fetching and extracting a page (progress for the user).
        """
        try:
            parts = urlsplit(source.strip())
        except ValueError as exc:  # "http://[::1" — an unclosed IPv6 bracket
            raise BadLinkError(f"not a valid link: {exc}", url=source) from exc
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
        suffix = path.suffix.lower()
        kind: Kind
        if suffix in (".html", ".htm", ".xhtml"):
            kind = "html"
        elif suffix == ".pdf":
            kind = "auto"  # the magic tells
        elif suffix in (".txt", ".text", ".md", ""):
            kind = "text"
        else:
            raise UsageError(f"unsupported file type: {path.suffix} (use .html or .txt)")
        try:
            data = await asyncio.to_thread(_read_at_most, path, self.max_bytes + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from exc
        return await self.load_bytes(data, kind)

    @property
    def max_bytes(self) -> int:
        """The most bytes read from a file or stdin: the limit of a fetched page."""
        return self.fetcher.max_bytes

    async def load_bytes(self, data: bytes, kind: Kind = "auto") -> Article:
        """A local file's or stdin's bytes (HTML or plain text; "auto" looks) as an Article."""
        if len(data) > self.max_bytes:
            raise TooLargeError(f"larger than {self.max_bytes} bytes", limit=self.max_bytes)
        if is_pdf(data):
            return await self.load_pdf(data)
        text = await asyncio.to_thread(decode_text, data, markup=kind != "text")
        if kind == "html" or (kind == "auto" and _HTML_START.match(text)):
            return await self.load_html(text, url=None)
        return await asyncio.to_thread(text_to_article, text)

    async def load_url(self, url: str, *, on_fetched: OnFetched | None = None) -> Article:
        """Fetch a page through the guarded fetcher and extract its article."""
        started = time.perf_counter()
        page = await self.fetcher.fetch(url, accept=ACCEPTED_TYPES)
        if on_fetched is not None:
            await on_fetched()
        if page.content_type in PDF_TYPES or is_pdf(page.content):
            article = await self.load_pdf(page.content, url=page.final_url)
        elif page.content_type not in HTML_TYPES:
            raise NotAnArticleError(
                f"not an article page ({page.content_type})", content_type=page.content_type
            )
        else:
            article = await self.load_html(page.text, url=page.final_url)
        logger.info(
            "loaded %s: %d words in %.0f ms",
            urlsplit(page.final_url).hostname,
            article.words,
            (time.perf_counter() - started) * 1000,
        )
        return article

    async def load_html(self, html: str, url: str | None) -> Article:
        """Extract and clean an HTML page (CPU work, off the event loop, under the deadline).

        With a deadline the work runs in a worker process that is killed when the deadline
        passes or the job is cancelled (a thread could not be stopped): ExtractTimeoutError.
        """
        if self.extract_timeout is None:
            return await asyncio.to_thread(article_from_html, html, url)
        # Every page, small ones too: the hop to a warm worker costs 0.6 ms on the 7 kB sample
        # page (4.5 ms against 3.9 ms in-process, bench.bench_extract), too little for a split.
        return await run_isolated(article_from_html, html, url, deadline=self.extract_timeout)

    async def load_pdf(
        self, data: bytes, url: str | None = None, name: str | None = None
    ) -> Article:
        """The article in a PDF's text, under the same size limit and deadline as a page."""
        if len(data) > self.max_bytes:
            raise TooLargeError(f"larger than {self.max_bytes} bytes", limit=self.max_bytes)
        if self.extract_timeout is None:
            return await asyncio.to_thread(article_from_pdf, data, url, name)
        return await run_isolated(article_from_pdf, data, url, name, deadline=self.extract_timeout)

    async def aclose(self) -> None:
        """Close the fetcher's connections."""
        await self.fetcher.aclose()


def _read_at_most(path: Path, limit: int) -> bytes:
    """Up to `limit` bytes of a file: a huge file, a device or a pipe is never read whole."""
    with path.open("rb") as handle:
        return handle.read(limit)
