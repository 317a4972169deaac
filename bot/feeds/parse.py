"""Feed bytes become a typed `Feed`: RSS and Atom through feedparser, JSON Feed as plain JSON.

feedparser's home module. feedparser never fetches anything here: it gets the bytes our
`Fetcher` brought (wrapped in a stream, because a bare string that looks like a URL or a file
name would make feedparser open it) and the response headers for the charset and base URL.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import io
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import courlan
import feedparser

from bot.errors import SourceError
from bot.feeds.match import fold
from bot.models import Page

logger = logging.getLogger(__name__)

# What a feed may be served as: feed types, generic XML and JSON, HTML (a site page to discover
# from), and the text/plain or octet-stream some servers send feeds with.
FEED_TYPES: Final = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
    "application/json",
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/octet-stream",
)
# Query parameters German publishers add for their own tracking, beyond courlan's list (utm_ …).
_TRACKING_PARAMS: Final = re.compile(r"^(?:wt_|ns_|at_|xtor$|cmp$|icid$|ref$|referrer$)", re.I)
# A summary is a teaser: longer text is cut here (the article itself is fetched for the audio).
SUMMARY_MAX_CHARS: Final = 2000
# The teaser text that takes part in an entry's content key: enough to tell two daily columns of
# the same title apart, short enough that a re-edited ending does not make a new story.
CONTENT_KEY_SUMMARY_CHARS: Final = 160
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class MalformedFeedError(SourceError):
    """The body is neither RSS, Atom nor JSON Feed."""

    key = "error.feed_malformed"


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, with its link normalised and its text plain."""

    id: str
    link: str
    title: str
    summary: str
    published: dt.datetime | None

    @property
    def link_key(self) -> str:
        """The link as an identity: no scheme, no `www.`, no fragment (empty without a link)."""
        return link_key(self.link)

    @property
    def content_key(self) -> str:
        """A hash of the folded title and teaser start: the same story under another id or link."""
        basis = fold(self.title) + "\n" + fold(self.summary)[:CONTENT_KEY_SUMMARY_CHARS]
        return hashlib.sha1(basis.encode("utf-8"), usedforsecurity=False).hexdigest()

    @property
    def entry_key(self) -> str:
        """The feed's id for the entry, else its link, else its content key."""
        return self.id or self.link or self.content_key


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its title, the site it belongs to and its entries in feed order."""

    title: str
    link: str
    entries: tuple[FeedEntry, ...]


def normalize_link(url: str, base: str = "") -> str:
    """An absolute, normalised link with tracking parameters removed (courlan plus a few)."""
    url = url.strip()
    if not url:
        return ""
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    try:
        normalised = courlan.normalize_url(url)
    except ValueError:
        normalised = url
    parts = urlsplit(normalised)
    query = [(k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING_PARAMS.match(k)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def link_key(url: str) -> str:
    """`url` as an identity: host without `www.`, path and query; no scheme, no fragment."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def plain_text(markup: str) -> str:
    """Markup as one line of plain text (tags dropped, entities decoded, spaces collapsed)."""
    text = html.unescape(_TAG.sub(" ", markup))
    return _SPACE.sub(" ", text).strip()


def parse_feed(body: bytes, *, url: str = "", content_type: str = "") -> Feed:
    """Parse RSS, Atom or JSON Feed bytes; `url` resolves relative links."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")) or "json" in content_type.lower():
        return _parse_json_feed(stripped, url)
    return _parse_xml_feed(body, url, content_type)


def parse_page(page: Page) -> Feed:
    """Parse a fetched feed page, with its Content-Type (charset) and final URL (base)."""
    content_type = page.headers.get("content-type", "") or page.content_type
    return parse_feed(page.content, url=page.final_url, content_type=content_type)


def _parse_xml_feed(body: bytes, url: str, content_type: str) -> Feed:
    headers: dict[str, str] = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    meta: Mapping[str, Any] = parsed.feed
    base = str(meta.get("link") or url)
    entries = [_xml_entry(item, base or url) for item in parsed.entries]
    kept = tuple(entry for entry in entries if entry is not None)
    # A document that broke off before its first entry is an error, not an empty feed.
    if not kept and (not version or parsed.get("bozo")):
        reason = parsed.get("bozo_exception")
        raise MalformedFeedError(f"not a feed: {reason or 'no RSS, Atom or JSON Feed found'}")
    return Feed(
        title=plain_text(str(meta.get("title") or "")),
        link=normalize_link(str(meta.get("link") or ""), url),
        entries=kept,
    )


def _xml_entry(item: Mapping[str, Any], base: str) -> FeedEntry | None:
    link = normalize_link(str(item.get("link") or ""), base)
    title = plain_text(str(item.get("title") or ""))
    summary = plain_text(str(item.get("summary") or ""))[:SUMMARY_MAX_CHARS]
    if not (link or title):
        return None
    published = None
    for key in ("published_parsed", "updated_parsed"):
        stamp = item.get(key)
        if stamp:
            published = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)
            break
    return FeedEntry(
        id=str(item.get("id") or "").strip(),
        link=link,
        title=title,
        summary=summary,
        published=published,
    )


def _parse_json_feed(body: bytes, url: str) -> Feed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedFeedError(f"not a JSON Feed: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise MalformedFeedError("not a JSON Feed: no items")
    if not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise MalformedFeedError("not a JSON Feed: no jsonfeed.org version")
    base = str(data.get("home_page_url") or url)
    entries = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = normalize_link(str(item.get("url") or item.get("external_url") or ""), base)
        title = plain_text(str(item.get("title") or ""))
        teaser = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        if not (link or title):
            continue
        entries.append(
            FeedEntry(
                id=str(item.get("id") or "").strip(),
                link=link,
                title=title,
                summary=plain_text(str(teaser))[:SUMMARY_MAX_CHARS],
                published=_iso_date(item.get("date_published") or item.get("date_modified")),
            )
        )
    return Feed(
        title=plain_text(str(data.get("title") or "")),
        link=normalize_link(str(data.get("home_page_url") or ""), url),
        entries=tuple(entries),
    )


def _iso_date(value: object) -> dt.datetime | None:
    """An RFC 3339 date as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
