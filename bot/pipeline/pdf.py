"""PDF → Article: the text layer of a PDF (a link or a sent file), read like a page.

The only module that imports pypdf. A PDF's text comes as lines per page: running headers and
footers (the same line at the top or bottom of most pages, page numbers) are dropped, words
hyphenated at a line end are joined again, and lines are put back together into paragraphs
and headings by their shape, since a PDF has no paragraph marks.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError

from bot.errors import NoArticleError, PdfBrokenError, PdfEncryptedError, PdfScannedError
from bot.models import Article, Block, BlockKind
from bot.pipeline.clean import clean_article
from bot.pipeline.language import detect_language

logger = logging.getLogger(__name__)

PDF_MAGIC: Final = b"%PDF-"
# The header may follow some junk; readers look in the first kilobyte (PDF 1.7, annex H.3).
MAGIC_WINDOW: Final = 1024
PDF_TYPES: Final = ("application/pdf", "application/x-pdf")
# A line at the top or bottom of at least this share of the pages is furniture: a running
# title or a footer. 60 % keeps a line that merely recurs on a few pages (a repeated heading).
REPEAT_SHARE: Final = 0.6
# How many lines at each end of a page a header or footer may take.
EDGE_LINES: Final = 3
# Fewer letters than this in the whole file: no text layer worth reading (a scan, or images).
MIN_LETTERS: Final = 80
# The text's width is the line length at this percentile; a heading is shorter than this
# share of it (a heading that fills the line is rare, a paragraph's last words often are short).
WIDTH_PERCENTILE: Final = 0.95
HEADING_WIDTH_SHARE: Final = 0.8
# A heading: a short line of its own, without the punctuation that ends or continues a sentence.
HEADING_MAX_WORDS: Final = 12
HEADING_MAX_CHARS: Final = 90
TITLE_MAX_CHARS: Final = 150
# A hyphen before these words is a shortened compound ("Bus- und Bahnverkehr"), not a break.
_KEEP_HYPHEN_BEFORE: Final = frozenset({"und", "oder", "bzw", "bzw.", "sowie", "bis", "als"})
_SENTENCE_END: Final = re.compile(r"[.!?:…][\"“”»«')]*$")
_NO_HEADING_END: Final = re.compile(r"[.,;:!?…-]$")
_PAGE_NUMBER: Final = re.compile(
    r"^(?:seite|page|s\.)?\s*[-–—]?\s*#+\s*(?:(?:/|\||von|of)\s*#+)?\s*[-–—]?$", re.IGNORECASE
)
_JUNK_TITLE: Final = re.compile(
    r"^(?:untitled|unbenannt|document|dokument|microsoft word\b.*|.*\.(?:docx?|odt|pdf|indd|rtf))$",
    re.IGNORECASE,
)


def is_pdf(data: bytes) -> bool:
    """Whether the bytes are a PDF (its magic in the first kilobyte)."""
    return PDF_MAGIC in data[:MAGIC_WINDOW]


def article_from_pdf(data: bytes, url: str | None = None, name: str | None = None) -> Article:
    """The article in a PDF's text layer; PdfEncryptedError, PdfScannedError or PdfBrokenError
    when there is none to read. `name` (a sent file's name) is the title of last resort."""
    reader = _open(data)
    try:
        pages = [_page_lines(page.extract_text() or "") for page in reader.pages]
        meta_title = _meta_title(reader)
    except PdfEncryptedError:
        raise
    # pypdf raises many kinds of errors on damaged files (KeyError, TypeError, ValueError …).
    except Exception as exc:
        raise PdfBrokenError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    lines = [line for page in drop_running_lines(pages) for line in page]
    letters = sum(ch.isalpha() for line in lines for ch in line)
    if letters < MIN_LETTERS:
        raise PdfScannedError(f"{len(pages)} page(s) with {letters} letters of text")
    blocks = blocks_from_lines(lines)
    title = meta_title
    if blocks and len(blocks[0].text) <= TITLE_MAX_CHARS:
        first = blocks[0].text
        if title is None:
            title, blocks = first, blocks[1:]
        elif _same(first, title):
            blocks = blocks[1:]  # the title printed on the first page, said once
    if title is None:
        title = re.sub(r"\.pdf$", "", name or "", flags=re.IGNORECASE).strip() or "PDF"
    if not blocks:
        raise NoArticleError("the PDF holds only a title")
    body = " ".join(block.text for block in blocks)
    host = urlsplit(url).hostname if url else None
    article = Article(
        title=title,
        blocks=tuple(blocks),
        language=detect_language(body),
        url=url,
        site=host.removeprefix("www.") if host else None,
    )
    return clean_article(article)


def _open(data: bytes) -> PdfReader:
    """The reader, decrypted when only an owner password guards the file (it opens without)."""
    if not is_pdf(data):
        raise PdfBrokenError("no PDF header")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # an algorithm pypdf cannot do without extra packages
                raise PdfEncryptedError(f"encrypted PDF: {exc}") from exc
            if opened == PasswordType.NOT_DECRYPTED:
                raise PdfEncryptedError("encrypted PDF: a password is needed")
    except PdfReadError as exc:
        raise PdfBrokenError(f"unreadable PDF: {exc}") from exc
    return reader


def _meta_title(reader: PdfReader) -> str | None:
    """The document's title from its metadata, unless it is a file name or a placeholder."""
    meta: Any = reader.metadata
    raw = meta.title if meta is not None else None
    title = " ".join(str(raw).split()) if raw else ""
    if not title or len(title) > TITLE_MAX_CHARS or _JUNK_TITLE.match(title):
        return None
    return title


def _page_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _norm(line: str) -> str:
    """A line as a running header compares: page numbers and dates vary, the words do not."""
    return re.sub(r"\d+", "#", line.lower())


def drop_running_lines(pages: Sequence[list[str]]) -> list[list[str]]:
    """The pages without their running headers and footers and without page numbers."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_norm(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    needed = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    running = {key for key, count in counts.items() if count >= needed}
    out: list[list[str]] = []
    for lines in pages:
        kept: list[str] = []
        for index, line in enumerate(lines):
            edge = index < EDGE_LINES or index >= len(lines) - EDGE_LINES
            key = _norm(line)
            if edge and (key in running or _PAGE_NUMBER.match(key)):
                continue
            kept.append(line)
        out.append(kept)
    return out


def join_lines(first: str, second: str) -> str:
    """Two lines of one paragraph as one: a word hyphenated at the line end is joined again."""
    if not first.endswith("-") or len(first) < 2 or not first[-2].isalpha():
        return f"{first} {second}"
    next_word = second.split(" ", 1)[0]
    if next_word.lower() in _KEEP_HYPHEN_BEFORE:
        return f"{first} {second}"  # "Bus- und Bahnverkehr"
    if next_word[:1].islower() and first[-2].islower():
        return first[:-1] + second  # "Verkehrs-" + "planung"
    return first + second  # "CDU-" + "Fraktion": the hyphen belongs to the word


def _fits(line: str, after: str | None, width: int) -> bool:
    """Whether the next line's first word would have fitted on this one: then the line was
    ended on purpose (the reflow rule; justified and ragged text alike)."""
    if after is None:
        return True
    return len(line) + 1 + len(after.split(" ", 1)[0]) <= width


def _ends_paragraph(line: str, after: str | None, width: int) -> bool:
    return bool(_SENTENCE_END.search(line)) and _fits(line, after, width)


def _is_heading(line: str, before: str | None, after: str | None, width: int) -> bool:
    if after is None or (before is not None and not _ends_paragraph(before, line, width)):
        return False
    if len(line) > HEADING_MAX_CHARS or len(line.split()) > HEADING_MAX_WORDS:
        return False
    if _NO_HEADING_END.search(line) or not (line[:1].isupper() or line[:1].isdigit()):
        return False
    return len(line) < width * HEADING_WIDTH_SHARE


def blocks_from_lines(lines: Sequence[str]) -> list[Block]:
    """Paragraphs and headings rebuilt from the lines of the text, in order."""
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    # The text's width: nearly the longest line (one overlong line, a URL say, does not count).
    width = lengths[math.ceil(WIDTH_PERCENTILE * (len(lengths) - 1))]
    blocks: list[Block] = []
    current = ""
    previous: str | None = None
    for index, line in enumerate(lines):
        after = lines[index + 1] if index + 1 < len(lines) else None
        if not current and _is_heading(line, previous, after, width):
            blocks.append(Block(BlockKind.HEADING, line))
            previous = None  # a heading ends its block like a paragraph does
            continue
        current = join_lines(current, line) if current else line
        previous = line
        if _ends_paragraph(line, after, width):
            blocks.append(Block(BlockKind.PARAGRAPH, current))
            current = ""
    if current:
        blocks.append(Block(BlockKind.PARAGRAPH, current))
    return blocks


def _same(a: str, b: str) -> bool:
    """Whether a first line says the title (the metadata's is often longer or shorter)."""
    first, title = (" ".join(text.lower().split()) for text in (a, b))
    return first == title or first in title or title in first
