"""Page → Article: trafilatura with metadata, keeping headings, paragraphs, quotes and lists."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Final

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from bot.errors import NoArticleError
from bot.models import Article, Block, BlockKind
from bot.pipeline.language import detect_language

logger = logging.getLogger(__name__)

# Page parts that are never article text; pruned before trafilatura sees the page so that
# captions, credits and teaser boxes cannot leak into paragraphs. Class names seen on
# German news sites (Spiegel, Zeit, t3n, heise, chip, FAZ, regional papers).
PRUNE_XPATH: Final = [
    "//figcaption",
    "//aside",
    "//nav",
    "//footer",
    "//*[@role='complementary' or @role='navigation' or @role='contentinfo']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' credit ')]",
    "//*[contains(@class, 'copyright') or contains(@class, 'caption')]",
    "//*[contains(@class, 'share') or contains(@class, 'social')]",
    "//*[contains(@class, 'byline') or contains(@class, 'author-box')]",
    "//*[contains(@class, 'related') or contains(@class, 'teaser-list')]",
    "//*[contains(@class, 'newsletter') or contains(@class, 'cookie') or contains(@id, 'consent')]",
    "//*[contains(@class, 'breadcrumb') or contains(@class, 'reading-time')]",
    "//*[@data-ad-slot or contains(@class, 'ad-slot') or contains(@class, 'advert')]",
]

# Main content where more than this share of the words are link texts is a link list or an
# index page, not an article (article bodies measured here: under 10 %).
MAX_LINK_SHARE: Final = 0.5

_WS = re.compile(r"\s+")


def _link_share(body: etree._Element) -> float:
    total = len(" ".join(body.itertext()).split())
    linked = sum(len(" ".join(ref.itertext()).split()) for ref in body.iter("ref"))
    return linked / total if total else 1.0


def _tidy(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _element_text(element: etree._Element) -> str:
    return _tidy("".join(element.itertext()))


def _is_link_list(lines: list[str]) -> bool:
    """Many short lines without sentence ends: trafilatura's fallback on an index page."""
    if len(lines) < 4:
        return False
    short = sum(1 for line in lines if len(line.split()) <= 8 and line[-1] not in ".!?:")
    return short / len(lines) >= 0.7


def _table_blocks(table: etree._Element) -> list[Block]:
    """A table is read row by row: "Header: value, Header: value." instead of pipes."""
    rows: list[list[str]] = []
    header: list[str] = []
    for row in table.iter("row"):
        cells = [_element_text(cell) for cell in row.iter("cell")]
        if not any(cells):
            continue
        is_head = any(cell.get("role") == "head" for cell in row.iter("cell"))
        if is_head and not header and not rows:
            header = cells
            continue
        rows.append(cells)
    if not rows and header:
        rows, header = [header], []
    blocks = []
    for cells in rows:
        if header and len(header) == len(cells):
            parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=True) if c]
        else:
            parts = [c for c in cells if c]
        line = ", ".join(parts)
        if line:
            blocks.append(Block(BlockKind.LIST_ITEM, line if line[-1] in ".!?" else line + "."))
    return blocks


def _blocks_from_tree(body: etree._Element) -> list[Block]:
    blocks: list[Block] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            text = _element_text(element)
            if text:
                blocks.append(Block(BlockKind.HEADING, text))
        elif tag == "p":
            lines = [_tidy(line) for line in "".join(element.itertext()).splitlines()]
            lines = [line for line in lines if line]
            if _is_link_list(lines):
                blocks.extend(Block(BlockKind.LIST_ITEM, line) for line in lines)
            elif lines:
                blocks.append(Block(BlockKind.PARAGRAPH, " ".join(lines)))
        elif tag == "quote":
            text = _element_text(element)
            if text:
                blocks.append(Block(BlockKind.QUOTE, text))
        elif tag == "list":
            for item in element.iter("item"):
                text = _element_text(item)
                if text:
                    blocks.append(Block(BlockKind.LIST_ITEM, text))
        elif tag == "table":
            blocks.extend(_table_blocks(element))
        else:
            text = _element_text(element)
            if text:
                blocks.append(Block(BlockKind.PARAGRAPH, text))
    return blocks


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _declared_language(tree: Any) -> str | None:
    langs = tree.xpath("/html/@lang") if tree is not None else []
    return str(langs[0]) if langs else None


def _json_ld(tree: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        if isinstance(data, dict):
            graph = data.get("@graph")
            items = graph if isinstance(graph, list) else [data]
        else:
            items = data if isinstance(data, list) else []
        out.extend(item for item in items if isinstance(item, dict))
    return out


@dataclass(frozen=True)
class ParsedPage:
    """A page parsed once: the tree for extraction plus what is read before it is pruned."""

    tree: Any  # lxml document; extraction prunes it in place, so it serves one extraction
    json_ld: list[dict[str, Any]]  # schema.org objects (paywalls that declare themselves)
    declared_language: str | None  # <html lang>


def parse_page(html: str) -> ParsedPage:
    """Parse HTML once; raise NoArticleError when it cannot be parsed at all."""
    try:
        tree = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise NoArticleError("the page could not be parsed") from exc
    return ParsedPage(tree, _json_ld(tree), _declared_language(tree))


def extract_html(html: str, url: str | None = None) -> Article:
    """Extract the article from an HTML string; trafilatura never fetches anything here."""
    return extract_parsed(parse_page(html), url)


def extract_parsed(page: ParsedPage, url: str | None = None) -> Article:
    """Extract the article from a parsed page (consumes the page's tree)."""
    declared = page.declared_language
    document = trafilatura.bare_extraction(
        page.tree,  # trafilatura prunes this tree in place; metadata was read in parse_page
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,  # only to measure link density; the text keeps the link words
        with_metadata=True,
        prune_xpath=PRUNE_XPATH,
    )
    if not isinstance(document, Document) or document.body is None:
        raise NoArticleError("trafilatura found no main content")
    link_share = _link_share(document.body)
    if link_share > MAX_LINK_SHARE:
        raise NoArticleError(f"the main content is {link_share:.0%} links (navigation or a list)")
    blocks = _blocks_from_tree(document.body)
    # The title from the page's og:title/headline; trafilatura strips the " | Site" suffix.
    title = _tidy(document.title or "")
    plain = " ".join(block.text for block in blocks)
    language = detect_language(plain, declared)
    logger.debug("extracted %d blocks from %s", len(blocks), url)
    return Article(
        title=title,
        blocks=tuple(blocks),
        lead=None,
        site=_tidy(document.sitename or "") or (document.hostname or None),
        author=_tidy(document.author or "") or None,
        date=_parse_date(document.date),
        language=language,
        url=url or document.url,
        image=document.image or None,
        description=_tidy(document.description or "") or None,
    )
