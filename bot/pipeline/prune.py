"""Remove page furniture before extraction, by class and id *tokens*, without eating the article.

Rules that match substrings of class names ("share", "caption", "cookie") remove whole pages on
real sites: `<body class="cookies-not-set">`, `wp-featherlight-captions`, `socialmedia-maincolor`,
an article wrapper `entry-content no-share` or `docked-sharebar-content-container`, a `<nav>`
around the whole page. So a class or id is split into tokens and each token into its parts
("article-share-bar" → article, share, bar); a token is furniture only when a furniture concept
("share", "newsletter", "byline") is followed by nothing but furniture words ("bar", "box",
"buttons") and is not negated or a state ("no-share", "has-caption", "caption-dark"). And
whatever a rule says, an element that holds most of the page's readable text is kept: a rule that
would remove it is a rule that is wrong for this page, not an empty page.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from lxml import etree

logger = logging.getLogger(__name__)

# Furniture concepts, as one or two hyphen-separated parts of a class or id token.
CONCEPTS: Final = frozenset(
    {
        "share", "sharing", "sharebar", "shariff", "sharetools", "shares",
        "social", "socials", "socialmedia", "social-media", "social-share", "social-links",
        "newsletter", "newsletters", "newsletter-signup", "newsletterbox",
        "cookie", "cookies", "cookiebanner", "cookie-banner", "consent", "cmp",
        "breadcrumb", "breadcrumbs",
        "byline", "bylines", "author-box", "author-bio", "authorbox", "author-info",
        "credit", "credits", "copyright", "image-credit", "photo-credit",
        "caption", "captions", "figcaption", "image-caption", "photo-caption", "wp-caption-text",
        "related", "related-articles", "related-posts", "recommendations", "recommended",
        "teaser-list", "read-more", "readmore", "also-read",
        "reading-time", "readingtime", "lesezeit",
        "ad", "ads", "advert", "adverts", "advertisement", "ad-slot", "adslot", "adsense",
        "back-to-top", "backtotop", "to-top", "scroll-top", "scrolltop",
        "paywall", "paywall-box", "piano-offer", "subscription-offer",
    }
)  # fmt: skip
# Words that may follow a concept in a furniture token ("share-buttons", "newsletter-box").
SUFFIXES: Final = frozenset(
    {
        "bar", "button", "buttons", "btn", "btns", "link", "links", "box", "boxes", "tools",
        "tool", "container", "wrapper", "wrap", "icon", "icons", "panel", "menu", "widget",
        "list", "area", "block", "section", "text", "banner", "notice", "layer", "dialog",
        "modal", "overlay", "teaser", "teasers", "item", "items", "module", "inner", "outer",
        "slot", "unit", "label", "info", "signup", "form", "cta", "top", "bottom", "footer",
        "header", "holder", "placeholder", "popup", "sticky", "row", "col", "line",
    }
)  # fmt: skip
# A part right before the concept that says the element is *not* furniture but has a state:
# "no-share", "has-caption", "is-social", "hide-ads", "js-share" (a behaviour hook).
STATE_PREFIXES: Final = frozenset(
    {"no", "not", "without", "has", "is", "with", "hide", "hidden", "show", "disable", "enable"}
)
FURNITURE_TAGS: Final = frozenset({"figcaption", "aside", "nav", "footer"})
FURNITURE_ROLES: Final = frozenset({"complementary", "navigation", "contentinfo"})
# Never removed, whatever their classes say.
PROTECTED_TAGS: Final = frozenset({"html", "body", "main", "article", "head"})
# An element holding this share of the page's readable text is the page, not its furniture.
# Real furniture (menus, footers, share bars, teaser lists) holds well under a third of an
# article page's text; an article wrapper or a page-wide <nav> holds nearly all of it.
MAX_FURNITURE_SHARE: Final = 0.4

# trafilatura drops any div, p, section or span whose class or id contains these, without the
# guard that keeps its other rules from removing nearly the whole page; on an element that holds
# the article they would remove the article, so such names are taken off it.
UNGUARDED_TRIGGERS: Final = ("caption", "teaser")

_PARTS: Final = re.compile(r"[-_]+")
_INVISIBLE: Final = ("script", "style", "noscript", "template")


def _token_is_furniture(token: str) -> bool:
    parts = [p for p in _PARTS.split(token.lower()) if p]
    for start in range(len(parts)):
        for width in (1, 2):
            concept = "-".join(parts[start : start + width])
            if concept not in CONCEPTS or len(parts[start : start + width]) < width:
                continue
            rest = parts[start + width :]
            if start and parts[start - 1] in STATE_PREFIXES:
                continue
            if all(p in SUFFIXES for p in rest):
                return True
    return False


def is_furniture_class(value: str) -> bool:
    """True when any token of a class or id attribute names page furniture."""
    return any(_token_is_furniture(token) for token in value.split())


def _is_candidate(element: Any) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in PROTECTED_TAGS:
        return False
    if tag in FURNITURE_TAGS:
        return True
    if element.get("role", "").strip().lower() in FURNITURE_ROLES:
        return True
    if element.get("data-ad-slot") is not None:
        return True
    return is_furniture_class(element.get("class", "")) or is_furniture_class(element.get("id", ""))


def text_lengths(root: Any) -> dict[Any, int]:
    """Characters of visible text under every element of `root`, in one pass (scripts excluded)."""
    elements = list(root.iter())
    lengths: dict[Any, int] = {}
    for element in reversed(elements):  # children before their parents
        visible = isinstance(element.tag, str) and element.tag not in _INVISIBLE
        own = len((element.text or "").strip()) if visible else 0
        if visible:
            for child in element:
                own += lengths.get(child, 0) + len((child.tail or "").strip())
        lengths[element] = own
    return lengths


def prune_furniture(tree: Any) -> int:
    """Remove furniture elements from `tree` in place; return how many were removed."""
    root = tree.find(".//body")
    if root is None:
        root = tree
    lengths = text_lengths(root)
    page_text = lengths.get(root, 0)
    removed = 0
    for element, length in lengths.items():
        if page_text and length / page_text >= MAX_FURNITURE_SHARE and element is not root:
            _disarm(element)
    candidates = [el for el in lengths if isinstance(el.tag, str) and _is_candidate(el)]
    gone: set[Any] = set()
    for element in reversed(candidates):  # document order: outer boxes first
        if any(ancestor in gone for ancestor in element.iterancestors()):
            continue
        share = lengths[element] / page_text if page_text else 0.0
        if share >= MAX_FURNITURE_SHARE:
            logger.debug(
                "prune: kept <%s class=%r id=%r>: it holds %.0f%% of the page's text",
                element.tag,
                element.get("class"),
                element.get("id"),
                share * 100,
            )
            continue
        gone.add(element)
        drop_element(element)
        removed += 1
    return removed


def _disarm(element: Any) -> None:
    """Make an element that holds the article look like what it is: a plain container.

    A `<nav>` or `<aside>` around the whole page, or a wrapper named `caption-dark`, would be
    removed by trafilatura's own cleaning, and the article with it.
    """
    if not isinstance(element.tag, str) or element.tag in PROTECTED_TAGS:
        return
    if element.tag in FURNITURE_TAGS:
        element.tag = "div"
    if element.get("role", "").strip().lower() in FURNITURE_ROLES:
        del element.attrib["role"]
    for attribute in ("class", "id"):
        value = element.get(attribute)
        if value and any(trigger in value.lower() for trigger in UNGUARDED_TRIGGERS):
            kept = [
                token
                for token in value.split()
                if not any(trigger in token.lower() for trigger in UNGUARDED_TRIGGERS)
            ]
            element.set(attribute, " ".join(kept))


def drop_element(element: Any) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def remove_selectors(tree: Any, selectors: list[str]) -> int:
    """Remove elements matched by CSS class/id selectors (paywalled parts a page declares)."""
    removed = 0
    for selector in selectors:
        for simple in selector.split(","):
            match = re.fullmatch(r"\s*([.#])([\w-]+)\s*", simple)
            if not match:
                continue
            attr = "class" if match.group(1) == "." else "id"
            xpath = (
                f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {match.group(2)} ')]"
                if attr == "class"
                else f"//*[@id='{match.group(2)}']"
            )
            for element in tree.xpath(xpath):
                if isinstance(element, etree._Element) and element.tag not in PROTECTED_TAGS:
                    drop_element(element)
                    removed += 1
    return removed


# Block-level tags: text between them that sits in no element of its own is a paragraph.
BLOCK_TAGS: Final = frozenset(
    {
        "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
        "table", "figure", "blockquote", "header", "footer", "aside", "nav", "form", "hr", "pre",
    }
)  # fmt: skip
_TEXT_NEIGHBOURS: Final = frozenset({"h2", "h3", "h4", "h5", "h6", "p"})
_CONTAINERS: Final = ("div", "section", "article", "main", "td", "li", "blockquote")
# Fewer words than this between two blocks is a label or a separator, not a paragraph.
LOOSE_TEXT_MIN_WORDS: Final = 5
# A link whose own text has this many words is prose that happens to be linked (a press review
# quoting a commentary); trafilatura would drop its paragraph for link density.
PROSE_LINK_MIN_WORDS: Final = 8


def _words(text: str | None) -> int:
    return len((text or "").split())


def _is_block(element: Any) -> bool:
    return isinstance(element.tag, str) and element.tag in BLOCK_TAGS


def wrap_loose_text(root: Any) -> int:
    """Give text that follows a subheading without its own `<p>` a paragraph; return how many.

    `<section><h2>…</h2>Seit die Station … fahren.</section>`: trafilatura keeps only text in
    paragraph-like elements, so the sentences after the heading were lost.
    """
    wrapped = 0
    for div in list(root.iter("div")):
        # A text-only <div> right after a subheading or a paragraph is a paragraph.
        previous = div.getprevious()
        if (
            previous is not None
            and previous.tag in _TEXT_NEIGHBOURS
            and not any(_is_block(kid) for kid in div)
            and _words(div.text_content()) >= LOOSE_TEXT_MIN_WORDS
        ):
            div.tag = "p"
            wrapped += 1
    for parent in list(root.iter(*_CONTAINERS)):
        kids = list(parent)
        if not any(_is_block(kid) for kid in kids):
            continue
        loose = _words(parent.text) + sum(_words(kid.tail) for kid in kids if _is_block(kid))
        if loose < LOOSE_TEXT_MIN_WORDS:
            continue
        new: list[Any] = []
        run_text: str = parent.text or ""
        run: list[Any] = []
        parent.text = None

        for kid in kids:
            if _is_block(kid):
                wrapped += _flush(parent, new, run_text, run)
                run_text, run = kid.tail or "", []
                kid.tail = None
                new.append(kid)
            else:
                run.append(kid)
        wrapped += _flush(parent, new, run_text, run)
        for kid in kids:
            parent.remove(kid)
        parent.extend(new)
    return wrapped


def _flush(parent: Any, new: list[Any], text: str, nodes: list[Any]) -> int:
    """Append a run of loose text and inline nodes to `new`: as a paragraph when it is one."""
    words = _words(text) + sum(_words(n.text_content()) + _words(n.tail) for n in nodes)
    if words >= LOOSE_TEXT_MIN_WORDS and text.strip():
        paragraph = parent.makeelement("p", {})
        paragraph.text = text
        paragraph.extend(nodes)
        new.append(paragraph)
        return 1
    if new:
        new[-1].tail = text or None
    else:
        parent.text = text or None
    new.extend(nodes)
    return 0


def unwrap_prose_links(root: Any) -> int:
    """Replace links that carry whole sentences by their text; return how many."""
    unwrapped = 0
    for link in list(root.iter("a")):
        if _words(link.text_content()) >= PROSE_LINK_MIN_WORDS and link.getparent() is not None:
            link.drop_tag()
            unwrapped += 1
    return unwrapped
