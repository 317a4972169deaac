"""Finding the feed behind what a user typed: a feed URL, a site URL or a bare domain.

Every request goes through the pipeline's `Fetcher` (address guard, size and time limits). A page
that is a feed is taken as it is; an HTML page is searched for `<link rel="alternate">` feed
links, then the common feed paths of the site are tried in turn.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

from bot.errors import BadSchemeError, SourceError
from bot.feeds.parse import FEED_TYPES, Feed, parse_page
from bot.models import Page
from bot.pipeline.fetch import Fetcher

logger = logging.getLogger(__name__)

ALTERNATE_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
# Where sites commonly publish their feeds (WordPress, Hugo, Jekyll, Ghost, Drupal, news CMSs),
# most common first: each miss costs one request, so the list stays short.
COMMON_PATHS: Final = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feed/",
    "/index.rss",
    "/rss/index.xml",
    "/feed.json",
)
_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,}(?::\d+)?(?:/\S*)?$", re.IGNORECASE)


class NoFeedError(SourceError):
    """Neither the page nor the common paths of its site lead to a feed."""

    key = "error.no_feed"


@dataclass(frozen=True)
class FoundFeed:
    """A feed found for the user's input, with the page it came from."""

    url: str
    feed: Feed
    page: Page


class _AlternateLinks(HTMLParser):
    """Collects the href of every feed-typed `<link rel="alternate">` (and `<base href>`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and kind in ALTERNATE_TYPES and values.get("href"):
            self.links.append(values["href"])


def alternate_links(html: str, base_url: str) -> list[str]:
    """The absolute feed URLs a page announces with `<link rel="alternate">`, in page order."""
    parser = _AlternateLinks()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # pragma: no cover - html.parser asserts on some broken markup
        pass
    base = urljoin(base_url, parser.base) if parser.base else base_url
    return list(dict.fromkeys(urljoin(base, link.strip()) for link in parser.links))


def source_url(text: str) -> str:
    """What the user typed as an http(s) URL: a bare domain becomes `https://domain/`."""
    text = text.strip()
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        return text
    if _DOMAIN.match(text):
        return f"https://{text}" if "/" in text else f"https://{text}/"
    raise BadSchemeError(f"not a link or a domain: {text!r}", url=text)


def looks_like_source(text: str) -> bool:
    """Whether a word is a link or a domain (`heise.de`) rather than a topic word."""
    try:
        source_url(text)
    except BadSchemeError:
        return False
    return True


def _is_html(page: Page) -> bool:
    if page.content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = page.content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


async def discover_feed(fetcher: Fetcher, text: str) -> FoundFeed:
    """The feed for a feed URL, a site URL or a bare domain; raises `NoFeedError` if none."""
    url = source_url(text)
    page = await fetcher.fetch(url, accept=FEED_TYPES)
    if not _is_html(page):
        return FoundFeed(url=page.final_url, feed=_parse(page), page=page)
    tried: set[str] = {page.final_url}
    candidates = alternate_links(page.text, page.final_url)
    root = urlsplit(page.final_url)
    candidates += [f"{root.scheme}://{root.netloc}{path}" for path in COMMON_PATHS]
    for candidate in candidates:
        if candidate in tried:
            continue
        tried.add(candidate)
        try:
            feed_page = await fetcher.fetch(candidate, accept=FEED_TYPES)
            if _is_html(feed_page):
                continue
            return FoundFeed(url=feed_page.final_url, feed=_parse(feed_page), page=feed_page)
        except SourceError as exc:
            logger.debug("no feed at %s: %s", candidate, exc.detail)
    raise NoFeedError(f"no feed found for {url}", url=url)


def _parse(page: Page) -> Feed:
    return parse_page(page)
