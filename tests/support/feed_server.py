"""A local feed server whose feeds change while a test runs, on top of `ArticleServer`.

    with FeedServer() as server:
        feed = server.feed("/news.xml", title="Nachrichten")      # RSS 2.0 with ETag
        feed.add("Erste Meldung")                                 # newest first, like real feeds
        url = server.url("/news.xml")
        ...
        feed.status = 503                                         # errors until reset to None
        feed.malformed = True                                     # a broken body
        feed.moved_to = "/neu.xml"                                # 301 to another path
        server.fetches("/news.xml")                               # how often it was requested

Feeds answer conditional requests: `If-None-Match` with the current ETag (a digest of the body)
or `If-Modified-Since` with the current Last-Modified gives 304. Kinds: "rss", "atom", "json".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from email.utils import format_datetime
from types import TracebackType
from xml.sax.saxutils import escape

from tests.support.article_server import ArticleServer, RecordedRequest, Route

BASE_TIME = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
JSON_TYPE = "application/feed+json"


@dataclass
class FakeEntry:
    """One item as the feed publishes it."""

    guid: str
    title: str
    link: str
    summary: str
    published: dt.datetime


@dataclass
class FakeFeed:
    """A feed's current state; change it between polls."""

    server: FeedServer
    path: str
    title: str
    kind: str = "rss"
    etag: bool = True
    last_modified: bool = False
    entries: list[FakeEntry] = field(default_factory=list)  # newest first
    status: int | None = None
    malformed: bool = False
    moved_to: str | None = None
    version: int = 0  # bumped on every change: the Last-Modified clock
    counter: int = 0

    def add(
        self,
        title: str,
        *,
        summary: str = "",
        link: str | None = None,
        guid: str | None = None,
        published: dt.datetime | None = None,
    ) -> FakeEntry:
        """Publish a new entry at the top of the feed."""
        self.counter += 1
        number = self.counter
        slug = f"{self.path.strip('/').replace('/', '-')}-{number}"
        entry = FakeEntry(
            guid=guid or f"urn:hoerclub-test:{slug}",
            title=title,
            link=link or self.server.url(f"/artikel/{slug}.html"),
            summary=summary or f"Kurzfassung von {title}.",
            published=published or BASE_TIME + dt.timedelta(minutes=10 * number),
        )
        self.entries.insert(0, entry)
        self.version += 1
        return entry

    def republish_with_new_ids(self) -> None:
        """Put every entry out again under a fresh guid (a CMS migration gone wrong)."""
        for entry in self.entries:
            entry.guid = entry.guid + "-neu"
        self.version += 1

    def trim(self, keep: int) -> None:
        """Keep only the newest `keep` entries, as feeds do."""
        del self.entries[keep:]
        self.version += 1

    def body(self) -> bytes:
        """The feed document as it is now."""
        if self.malformed:
            return b"<rss><channel><title>kaputt</title><item><title>halb"
        if self.kind == "json":
            return self._json()
        if self.kind == "atom":
            return self._atom()
        return self._rss()

    def _rss(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link>"
            f"<guid isPermaLink='false'>{escape(e.guid)}</guid>"
            f"<description>{escape(e.summary)}</description>"
            f"<pubDate>{format_datetime(e.published)}</pubDate></item>"
            for e in self.entries
        )
        return (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{escape(self.title)}</title><link>{self.server.url('/')}</link>"
            f"<description>Testfeed</description>{items}</channel></rss>"
        ).encode()

    def _atom(self) -> bytes:
        items = "".join(
            f"<entry><title>{escape(e.title)}</title><link href='{escape(e.link)}'/>"
            f"<id>{escape(e.guid)}</id><summary>{escape(e.summary)}</summary>"
            f"<updated>{e.published.isoformat()}</updated></entry>"
            for e in self.entries
        )
        return (
            "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>{escape(self.title)}</title><link href='{self.server.url('/')}'/>"
            f"<id>urn:hoerclub-test:{self.path}</id><updated>{BASE_TIME.isoformat()}</updated>"
            f"{items}</feed>"
        ).encode()

    def _json(self) -> bytes:
        return json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": self.title,
                "home_page_url": self.server.url("/"),
                "items": [
                    {
                        "id": e.guid,
                        "url": e.link,
                        "title": e.title,
                        "summary": e.summary,
                        "date_published": e.published.isoformat(),
                    }
                    for e in self.entries
                ],
            }
        ).encode()

    def answer(self, request: RecordedRequest) -> Route:
        """The route for one request, honouring validators."""
        if self.moved_to is not None:
            return Route(status=301, redirect=self.moved_to, body=b"")
        if self.status is not None:
            return Route(status=self.status, body=b"Fehler")
        body = self.body()
        headers: dict[str, str] = {}
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        modified = format_datetime(BASE_TIME + dt.timedelta(minutes=self.version), usegmt=True)
        if self.etag:
            headers["ETag"] = etag
        if self.last_modified:
            headers["Last-Modified"] = modified
        if (self.etag and request.headers.get("if-none-match") == etag) or (
            self.last_modified and request.headers.get("if-modified-since") == modified
        ):
            return Route(status=304, body=b"", headers=headers, content_type=None)
        kind = {"json": JSON_TYPE, "atom": ATOM_TYPE}.get(self.kind, RSS_TYPE)
        return Route(body=body, headers=headers, content_type=kind)


class FeedServer:
    """Feeds and site pages on 127.0.0.1 (see the module docstring)."""

    def __init__(self) -> None:
        self.http = ArticleServer()
        self.feeds: dict[str, FakeFeed] = {}

    def start(self) -> FeedServer:
        """Start serving."""
        self.http.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.http.stop()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str = "/") -> str:
        """The absolute URL of a path on this server."""
        return self.http.url(path)

    def feed(self, path: str, *, title: str = "Testfeed", **options: object) -> FakeFeed:
        """A new feed served at `path` (options: kind, etag, last_modified)."""
        feed = FakeFeed(self, path, title, **options)  # type: ignore[arg-type]
        self.feeds[path] = feed
        self.http.add_handler(path, feed.answer)
        return feed

    def page(self, path: str, html: str) -> str:
        """Serve an HTML page at `path`; returns its URL."""
        return self.http.add_route(path, body=html.encode())

    def fetches(self, path: str) -> int:
        """How many requests reached `path` so far."""
        return sum(1 for requested in self.http.requests if requested.split("?")[0] == path)

    def not_modified(self, path: str) -> int:
        """How many requests to `path` carried a validator."""
        return sum(
            1
            for record in self.http.log
            if record.path == path
            and ("if-none-match" in record.headers or "if-modified-since" in record.headers)
        )


class FakeClock:
    """A clock the test moves by hand: `clock()` is now, `clock.advance(seconds)` moves on."""

    def __init__(self, start: dt.datetime = BASE_TIME) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        """Move the clock forward and return the new time."""
        self.now += dt.timedelta(seconds=seconds)
        return self.now
