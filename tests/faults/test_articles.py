"""Article servers that misbehave: slow drips, endless bodies, gzip bombs, lying content types,
broken encodings, redirect loops, error statuses and answers that are not HTTP at all. The user
gets one clear message within the fetch time limit, and the bot's memory stays bounded.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.support.article_server import ArticleServer, endless, gzip_bomb, gzip_bytes
from tests.support.fake_telegram import FakeTelegram
from tests.support.pages import article_page
from tests.telegram.conftest import USER, StartBot, audios, settle

ArticleUrl = Callable[..., str]
FETCH_TIMEOUT = 2.0  # seconds; the bot's limit for one page in these tests
MAX_BYTES = 300_000


class GarbageServer:
    """A TCP server on 127.0.0.1 that answers every connection with bytes that are not HTTP."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """A link to this server."""
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/artikel.html"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                try:
                    conn.recv(4096)
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop serving."""
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def garbage() -> Iterator[Callable[[bytes], GarbageServer]]:
    """Start servers that speak no HTTP; all closed afterwards."""
    servers: list[GarbageServer] = []

    def start(answer: bytes) -> GarbageServer:
        server = GarbageServer(answer)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


PAGE = article_page("Ein ordentlicher Artikel", 80, seed=3)
LATIN1 = (
    PAGE.decode()
    .replace("ordentlicher", "größerer Übermut")
    .replace('charset="utf-8"', "")
    .encode("latin-1", "replace")
)

# route → (how the server answers, how the final status begins)
CASES: dict[str, tuple[dict[str, object], str]] = {
    "tropfen": ({"body": b"<p>" + b"x" * 50_000, "drip": (64, 0.05)}, "⌛ Die Seite hat zu lange"),
    "stumm": ({"body": b"<p>spaet</p>", "delay": FETCH_TIMEOUT * 3}, "⌛ Die Seite hat zu lange"),
    "endlos": ({"body": endless()}, "⚠️ Die Seite ist zu groß"),
    "gzipbombe": (
        {"body": gzip_bomb(200 * 1024 * 1024), "headers": {"Content-Encoding": "gzip"}},
        "⚠️ Die Seite ist zu groß",
    ),
    # The bytes say PDF whatever the header says; these are not a readable one.
    "pdf-als-html": (
        {"body": b"%PDF-1.7\n" + bytes(range(256)) * 40},
        "⚠️ Dieses PDF ist beschädigt",
    ),
    "bild-als-html": (
        {"body": bytes.fromhex("89504e470d0a1a0a") + b"\0" * 4000},
        "🤷 Auf dieser Seite",
    ),
    "html-als-bild": ({"body": PAGE, "content_type": "image/png"}, "⚠️ Hinter diesem"),
    "falsches-gzip": (
        {"body": b"das ist kein gzip" * 50, "headers": {"Content-Encoding": "gzip"}},
        "⚠️",
    ),
    "unbekannte-kodierung": (
        {"body": PAGE, "headers": {"Content-Encoding": "zstd-x"}},
        "⚠️",
    ),
    "schleife": ({"redirect": "/schleife"}, "🔁 Dieser Link leitet mehr als"),
    "404": ({"status": 404, "body": b"<h1>weg</h1>"}, "🔎 Die Seite gibt es nicht"),
    "410": ({"status": 410, "body": b"<h1>weg</h1>"}, "🔎 Die Seite gibt es nicht"),
    "451": ({"status": 451, "body": b"<h1>gesperrt</h1>"}, "⚠️"),
    "503": ({"status": 503, "body": b"<h1>bald</h1>"}, "⚠️"),
}


@pytest.mark.reliability(
    "Artikelserver: feindliche Antworten", sees="eine klare Meldung in der Zeit"
)
@pytest.mark.parametrize("route", list(CASES))
async def test_a_hostile_article_server_gets_one_clear_message_in_time(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer, route: str
) -> None:
    answer, expected = CASES[route]
    url = articles.add_route(f"/{route}", **answer)  # type: ignore[arg-type]
    await start_bot(HOERCLUB_FETCH_TIMEOUT=FETCH_TIMEOUT, HOERCLUB_FETCH_MAX_BYTES=MAX_BYTES)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    fake.send_text(USER, url)
    status = await fake.wait_for_sent(
        USER,
        lambda m: (
            m.kind == "text"
            and (m.text or "")[:1] in "⌛⚠🔎🚫🤷🔒🔁"
            and not (m.text or "").startswith("🔎 Lade")
        ),
        timeout=FETCH_TIMEOUT * 10,
    )
    took = time.monotonic() - started
    await settle(0.5)
    assert status.text is not None
    assert status.text.startswith(expected), status.text
    assert "unerwartet" not in status.text
    # One try with its retries, each within the fetch limit, plus the queue's overhead.
    assert took < FETCH_TIMEOUT * 4 + 5, took
    assert audios(fake, USER) == []
    assert len([m for m in fake.sent(USER) if m.kind == "text"]) == 1
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, grown_mb  # nothing inflated or buffered without a limit


@pytest.mark.reliability("Artikelserver: kein HTTP", sees="„nicht erreichbar“")
@pytest.mark.parametrize(
    "answer",
    [b"\x16\x03\x01\x02\x00" + bytes(range(256)), b"SSH-2.0-OpenSSH_9.6\r\n", b""],
    ids=["tls-bytes", "ssh-banner", "closed"],
)
async def test_a_server_that_speaks_no_http_is_unreachable_in_time(
    fake: FakeTelegram,
    start_bot: StartBot,
    garbage: Callable[[bytes], GarbageServer],
    answer: bytes,
) -> None:
    server = garbage(answer)
    await start_bot(HOERCLUB_FETCH_TIMEOUT=FETCH_TIMEOUT)
    started = time.monotonic()
    fake.send_text(USER, server.url)
    status = await fake.wait_for_sent(
        USER, lambda m: m.kind == "text" and (m.text or "").startswith("⚠️"), timeout=30
    )
    assert time.monotonic() - started < FETCH_TIMEOUT * 4 + 5
    assert status.text is not None
    assert "unerwartet" not in status.text
    assert server.connections >= 1
    await settle(0.3)
    assert audios(fake, USER) == []


@pytest.mark.reliability("Artikelserver: falsche Zeichenkodierung", sees="Audio mit Umlauten")
@pytest.mark.parametrize("declared", ["utf-8", "none", "gzip-latin1"])
async def test_a_page_in_the_wrong_or_no_declared_encoding_is_still_read(
    fake: FakeTelegram, quick_bot: StartBot, articles: ArticleServer, declared: str
) -> None:
    headers: dict[str, str] = {}
    body = LATIN1
    content_type = {"utf-8": "text/html; charset=utf-8", "none": "text/html"}.get(
        declared, "text/html"
    )
    if declared == "gzip-latin1":
        body = gzip_bytes(LATIN1)
        headers["Content-Encoding"] = "gzip"
    url = articles.add_route(
        f"/kodierung-{declared}", body=body, content_type=content_type, headers=headers
    )
    bot = await quick_bot()
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(0.5)
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    article = await bot.pipeline.load(url)
    text = " ".join(block.text for block in article.blocks)
    assert "\ufffd" not in article.title + text or declared == "utf-8"
    assert len(text.split()) >= 60
