"""Page → Article: trafilatura with metadata, keeping headings, paragraphs, quotes and lists."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Final

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from bot.errors import NoArticleError
from bot.models import Article, Block, BlockKind
from bot.pipeline.language import detect_language, language_code
from bot.pipeline.prune import (
    drop_element,
    prune_furniture,
    remove_selectors,
    unwrap_prose_links,
    wrap_loose_text,
)
from bot.pipeline.walls import WallSigns, paywall_boxes, read_wall_signs

logger = logging.getLogger(__name__)

# Class/id parts that mark a page's lead (teaser) paragraph, which some pages keep outside the
# element that trafilatura takes for the body.
_LEAD_PARTS: Final = frozenset({"lead", "intro", "standfirst", "abstract", "teasertext"})
# An index page: most blocks are the texts of links (teaser headlines), and what is not a link
# is too little to be an article. Link-rich prose is unaffected: its blocks are sentences
# around the links, not the link texts themselves.
INDEX_LINK_LINE_SHARE: Final = 0.6
INDEX_MAX_OTHER_WORDS: Final = 100
LINK_LINE_MAX_WORDS: Final = 25
LEAD_MIN_WORDS: Final = 8
LEAD_MAX_WORDS: Final = 120

_WS = re.compile(r"\s+")
# Characters XML forbids: lxml keeps them in the parsed tree, but trafilatura's copies of it
# fail on them and it then finds no content at all, so a single vertical tab, form feed or
# escape character in a page lost the whole article. Form feed and vertical tab separate
# words; the other controls and the noncharacters U+FFFE/U+FFFF are dropped.
_XML_SPACES: Final = re.compile(r"[\x0b\x0c]")
_XML_FORBIDDEN: Final = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff]")


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


def _list_blocks(element: etree._Element) -> list[Block]:
    """A list's items in reading order; a nested list's items follow the words before it."""
    blocks: list[Block] = []
    for item in element.iterchildren("item"):
        parts = [item.text or ""]
        for child in item:
            if child.tag == "list":
                text = _tidy(" ".join(parts))
                if text:
                    blocks.append(Block(BlockKind.LIST_ITEM, text))
                blocks.extend(_list_blocks(child))
                parts = []
            else:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        text = _tidy(" ".join(parts))
        if text:
            blocks.append(Block(BlockKind.LIST_ITEM, text))
    return blocks


def _table_blocks(table: etree._Element) -> list[Block]:
    """A table is read as its header once ("Produkt, Preis, vorher."), then row by row with
    the first cell as the row's label ("Weizenbrötchen: 35 Cent, vorher 30 Cent."), not the
    header before every cell of every row."""
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
    labelled = bool(header) and all(len(cells) == len(header) for cells in rows)
    if labelled and any(header):
        blocks.append(Block(BlockKind.LIST_ITEM, ", ".join(h for h in header if h) + "."))
    for cells in rows:
        if labelled and len(cells) > 1 and cells[0]:
            rest = [
                f"{h} {c}" if h and k > 1 else c
                for k, (h, c) in enumerate(zip(header, cells, strict=True))
                if c and k > 0
            ]
            parts = [f"{cells[0]}: {rest[0]}", *rest[1:]] if rest else [cells[0]]
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
            blocks.extend(_list_blocks(element))
        elif tag == "table":
            blocks.extend(_table_blocks(element))
        else:
            text = _element_text(element)
            if text:
                blocks.append(Block(BlockKind.PARAGRAPH, text))
    return blocks


def _link_texts(tree: Any) -> set[str]:
    """The texts of the page's links of two words or more, case-folded."""
    texts = set()
    for link in tree.iter("a"):
        text = _tidy(link.text_content()).casefold()
        if len(text.split()) >= 2:
            texts.add(text)
    return texts


def _refuse_index_page(blocks: list[Block], link_texts: set[str]) -> None:
    """NoArticleError when the blocks are mostly link texts with too little else around them."""
    body = [b for b in blocks if b.kind is not BlockKind.HEADING]
    if not body or not link_texts:
        return
    lines = 0
    other_words = 0
    for block in body:
        text = block.text.casefold()
        words = len(text.split())
        if words <= LINK_LINE_MAX_WORDS and (
            text in link_texts or any(text.startswith(link) for link in link_texts)
        ):
            lines += 1
        else:
            other_words += words
    if lines >= INDEX_LINK_LINE_SHARE * len(body) and other_words < INDEX_MAX_OTHER_WORDS:
        raise NoArticleError(f"{lines} of {len(body)} blocks are link texts: an index page")


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _declared_language(tree: Any, json_ld: list[dict[str, Any]]) -> str | None:
    """The page's own word on its language: <html lang>, og:locale, JSON-LD inLanguage."""
    candidates: list[str] = [str(v) for v in tree.xpath("/html/@lang | /html/@xml:lang")]
    candidates += [
        str(v) for v in tree.xpath("//meta[@property='og:locale' or @name='language']/@content")
    ]
    candidates += [str(i["inLanguage"]) for i in json_ld if isinstance(i.get("inLanguage"), str)]
    for value in candidates:
        code = language_code(value)
        if code:
            return code
    return None


def _lead_candidate(tree: Any) -> str | None:
    """The page's marked lead paragraph (class or id part "lead", "intro", ...), if any."""
    scopes = tree.xpath("//article | //main") or [tree]
    for element in scopes[0].iter():
        if not isinstance(element.tag, str) or element.tag not in ("p", "div", "span", "h2"):
            continue
        names = f"{element.get('class', '')} {element.get('id', '')}".lower()
        parts = set(re.split(r"[-_\s]+", names))
        if not parts & _LEAD_PARTS:
            continue
        text = _element_text(element)
        words = len(text.split())
        if LEAD_MIN_WORDS <= words <= LEAD_MAX_WORDS and text[-1] in '.!?…“"»':
            return text
    return None


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
    declared_language: str | None  # <html lang>, og:locale or JSON-LD inLanguage
    walls: WallSigns = field(default_factory=WallSigns)
    lead: str | None = None  # the page's marked lead paragraph


def parse_page(html: str) -> ParsedPage:
    """Parse HTML once; raise NoArticleError when it cannot be parsed at all."""
    html = _XML_FORBIDDEN.sub("", _XML_SPACES.sub(" ", html))
    try:
        # libxml2 drops the WHOLE document past 255 levels of nesting unless told the tree
        # may be huge (then past a few thousand); a parser per call, as lxml's are not shared
        # between threads.
        tree = lxml_html.document_fromstring(html, parser=lxml_html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise NoArticleError("the page could not be parsed") from exc
    json_ld = _json_ld(tree)
    return ParsedPage(
        tree,
        json_ld,
        _declared_language(tree, json_ld),
        read_wall_signs(tree, json_ld),
        _lead_candidate(tree),
    )


def extract_parsed(page: ParsedPage, url: str | None = None) -> Article:
    """Extract the article from a parsed page (consumes the page's tree)."""
    if page.walls.paywalled_selectors:
        # The page names its paid part; we read only what it gives away.
        remove_selectors(page.tree, list(page.walls.paywalled_selectors))
    if page.walls.paywall:
        for box in paywall_boxes(page.tree):  # the offer is not the article
            drop_element(box)
    removed = prune_furniture(page.tree)
    wrap_loose_text(page.tree)
    unwrap_prose_links(page.tree)
    link_texts = _link_texts(page.tree)
    document = trafilatura.bare_extraction(
        page.tree,  # trafilatura prunes this tree in place; metadata was read in parse_page
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        # Kept links cut a paragraph at an inline link such as "(PDF)" and drop its rest.
        include_links=False,
        with_metadata=True,
    )
    if not isinstance(document, Document) or document.body is None:
        raise NoArticleError("trafilatura found no main content")
    blocks = _blocks_from_tree(document.body)
    _refuse_index_page(blocks, link_texts)
    # The title from the page's og:title/headline; trafilatura strips the " | Site" suffix.
    title = _tidy(document.title or "")
    plain = " ".join(block.text for block in blocks)
    language = detect_language(plain, page.declared_language)
    logger.debug(
        "extracted %d blocks from %s (%d furniture elements pruned)", len(blocks), url, removed
    )
    return Article(
        title=title,
        blocks=tuple(blocks),
        lead=page.lead,
        site=_tidy(document.sitename or "") or (document.hostname or None),
        author=_tidy(document.author or "") or None,
        date=_parse_date(document.date),
        language=language,
        url=url or document.url,
        image=document.image or None,
        description=_tidy(document.description or "") or None,
    )
