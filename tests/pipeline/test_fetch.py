"""The fetch stage against a real local server: the address guard, redirects, limits, charsets.

Every test that expects a refusal also checks that the server saw no request: the guard must
refuse before connecting. No test connects anywhere but 127.0.0.1 (127.0.0.2 only to be refused).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from bot.config import Settings, load_settings
from bot.errors import (
    BadLinkError,
    BadSchemeError,
    FetchTimeoutError,
    ForbiddenAddressError,
    HTTPStatusError,
    NotAnArticleError,
    SourceError,
    TooLargeError,
    TooManyRedirectsError,
    UnreachableError,
)
from bot.locales import translate
from bot.pipeline.content import (
    charset_from_content_type,
    charset_from_markup,
    detect_charset,
    normalize_charset,
    sniff_media_type,
)
from bot.pipeline.fetch import IMAGE_TYPES, MAX_REDIRECTS, Fetcher, parse_source_url
from bot.pipeline.netguard import (
    AddressGuard,
    Resolver,
    canonical_host,
    forbidden_reason,
    is_allowed,
    parse_ipv4,
    parse_networks,
)
from tests.support.article_server import (
    PAGES_DIR,
    TINY_PNG,
    ArticleServer,
    RecordedRequest,
    Route,
    client_ssl_context,
    deflate_bytes,
    endless,
    gzip_bomb,
    gzip_bytes,
    wait_until,
)

SAMPLE = "clubhouse-musk.html"
LOOPBACK = "127.0.0.0/8"
MB = 1024 * 1024

GERMAN = (
    "Die Bürgermeisterin der Gemeinde äußerte sich am Dienstag über die Größe des neuen "
    "Schwimmbads. „Wir müssen übermäßige Kosten vermeiden“, sagte sie – und fügte hinzu, "
    "dass die Öffnungszeiten für Schüler und Senioren günstiger würden. Die Straße vor dem "
    "Gebäude wird über den Sommer für den Verkehr gesperrt; Anwohner können ihre Fahrzeuge "
    "auf dem Parkplatz hinter der Grundschule abstellen. Weitere Einzelheiten möchte die "
    "Verwaltung in der nächsten Sitzung des Gemeinderats erläutern."
)


def _html(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>Test</title></head><body>{body}</body></html>"


@pytest.fixture
async def fetchers() -> AsyncIterator[Callable[..., Fetcher]]:
    """Build Fetchers with a given allow list and overrides; all are closed after the test."""
    made: list[Fetcher] = []

    def make(
        allow: str = LOOPBACK,
        *,
        resolver: Resolver | None = None,
        verify: object = True,
        **overrides: object,
    ) -> Fetcher:
        settings: Settings = load_settings(HOERCLUB_FETCH_ALLOW_NETWORKS=allow, **overrides)
        fetcher = Fetcher(settings, resolver=resolver, verify=verify)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.aclose()


class FakeDNS:
    """A resolver for names the test defines; records every lookup (the DNS boundary)."""

    def __init__(self, answers: dict[str, list[Sequence[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        queue = self.answers.get(host)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return queue.pop(0) if len(queue) > 1 else queue[0]


# --- the pure guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("010.0.0.1", "8.0.0.1"),  # octal, as browsers and inet_aton read it
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("3232235521", "192.168.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_odd_ipv4_spellings_are_read_like_browsers(spelling: str, expected: str) -> None:
    assert parse_ipv4(spelling) == ipaddress.IPv4Address(expected)


@pytest.mark.parametrize(
    "host", ["example.com", "localhost", "1.2.3.example", "0x1g", "123abc", "xn--mnchen-3ya.de"]
)
def test_domain_names_are_not_addresses(host: str) -> None:
    assert parse_ipv4(host) is None
    assert canonical_host(host) == host


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.0.0.1", "1.2.3.256", "4294967296", "08.0.0.1", "1..1", "0x1.09"]
)
def test_malformed_numeric_hosts_are_errors(host: str) -> None:
    with pytest.raises(ValueError, match="IPv4"):
        parse_ipv4(host)


def test_canonical_host_spells_addresses_one_way() -> None:
    assert canonical_host("0x7f.1") == "127.0.0.1"
    assert canonical_host("[::ffff:127.0.0.1]") == "::ffff:7f00:1"
    assert canonical_host("[0:0:0:0:0:0:0:1]") == "::1"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 form
        ("2002:7f00:1::1", "loopback"),  # 6to4 form
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.178.1", "private"),
        ("::ffff:192.168.0.1", "private"),
        ("2002:c0a8:1::", "private"),
        ("fd12:3456::1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("::ffff:a9fe:a9fe", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared"),
        ("100.127.255.254", "shared"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("255.255.255.255", "reserved"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "reserved"),
        ("198.18.0.1", "reserved"),
        ("192.0.0.9", "reserved"),
        ("2001:db8::1", "reserved"),
        ("2001::1", "reserved"),  # Teredo
        ("::7f00:1", "reserved"),  # deprecated IPv4-compatible
        ("100::1", "reserved"),
        ("fec0::1", "site-local"),
    ],
)
def test_forbidden_addresses_are_classified(address: str, reason: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2a00:1450:4001:82b::200e",
        "::ffff:93.184.216.34",
        "2002:5db8:d822::1",  # 6to4 of a public address
        "64:ff9b::5db8:d822",  # NAT64 of a public address
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None
    assert is_allowed(ipaddress.ip_address(address), ())


def test_allow_list_opens_only_the_named_networks() -> None:
    allow = parse_networks(["127.0.0.0/8"])
    assert is_allowed(ipaddress.ip_address("127.0.0.5"), allow)
    assert is_allowed(ipaddress.ip_address("::ffff:127.0.0.1"), allow)  # connects over IPv4
    assert not is_allowed(ipaddress.ip_address("::1"), allow)
    assert not is_allowed(ipaddress.ip_address("10.0.0.1"), allow)
    assert not is_allowed(ipaddress.ip_address("64:ff9b::7f00:1"), allow)  # a NAT64 gateway
    assert not is_allowed(ipaddress.ip_address("0.0.0.1"), parse_networks(["::/96"]))


async def test_guard_resolves_once_and_keeps_only_permitted_addresses() -> None:
    dns = FakeDNS({"mixed.test": [["10.0.0.1", "127.0.0.1", "127.0.0.1", "::ffff:127.0.0.1"]]})
    guard = AddressGuard(["127.0.0.0/8"], dns)
    assert await guard.resolve("mixed.test", 80) == [ipaddress.IPv4Address("127.0.0.1")]
    assert dns.calls == [("mixed.test", 80)]
    with pytest.raises(ForbiddenAddressError) as info:
        await AddressGuard([], dns).resolve("mixed.test", 80)
    assert info.value.params["reason"] == "private"
    with pytest.raises(UnreachableError):
        await guard.resolve("missing.test", 80)


# --- fetching pages ----------------------------------------------------------------------------


async def test_fetches_a_saved_page(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    url = article_server.url(f"/{SAMPLE}")
    page = await fetchers().fetch(url)
    assert page.url == url
    assert page.final_url == url
    assert page.status == 200
    assert page.content == (PAGES_DIR / SAMPLE).read_bytes()
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Clubhouse" in page.text
    assert article_server.requests == [f"/{SAMPLE}"]


async def test_sends_browser_like_headers(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/thumb.png", body=TINY_PNG, content_type="image/png")
    fetcher = fetchers()
    await fetcher.fetch(article_server.url(f"/{SAMPLE}"))
    await fetcher.fetch(article_server.url("/thumb.png"), accept=IMAGE_TYPES)
    page_request, image_request = article_server.log
    assert page_request.headers["user-agent"].startswith("Mozilla/5.0 ")
    assert page_request.headers["accept-language"].startswith("de")
    assert page_request.headers["accept"].startswith("text/html,application/xhtml+xml")
    assert "gzip" in page_request.headers["accept-encoding"]
    assert page_request.headers["host"] == f"127.0.0.1:{article_server.port}"
    assert image_request.headers["accept"].startswith("image/*")


# --- the address guard, end to end -------------------------------------------------------------

LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "127.1",
    "127.0.1",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "017700000001",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "localhost",
]


@pytest.mark.parametrize("host", [*LOOPBACK_SPELLINGS, "[::1]", "0.0.0.0", "0", "127.2"])
async def test_loopback_in_any_spelling_is_refused_without_allow_list(
    host: str, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(ForbiddenAddressError):
        await fetchers(allow="").fetch(article_server.url(f"/{SAMPLE}", host=host))
    assert article_server.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "0xa9fea9fe",
        "10.0.0.1",
        "10.1.2.3",
        "012.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "3232235521",
        "100.64.0.1",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "[fe80::1]",
        "[fd00::1]",
        "[ff02::1]",
        "[::]",
        "[::ffff:10.0.0.1]",
        "[::ffff:a9fe:a9fe]",
        "[64:ff9b::a00:1]",
        "[2002:a00:1::]",
    ],
)
async def test_non_public_addresses_are_refused_even_with_loopback_allowed(
    host: str, fetchers: Callable[..., Fetcher]
) -> None:
    started = time.perf_counter()
    with pytest.raises(ForbiddenAddressError):
        await fetchers(allow=LOOPBACK).fetch(f"http://{host}/")
    assert time.perf_counter() - started < 0.5  # refused before any connection attempt


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
async def test_allow_list_opens_loopback_in_any_spelling(
    host: str, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    page = await fetchers(allow=LOOPBACK).fetch(article_server.url(f"/{SAMPLE}", host=host))
    assert page.status == 200
    assert "Clubhouse" in page.text
    expected_host = "localhost" if host == "localhost" else "127.0.0.1"
    if host.startswith("[::ffff:"):
        expected_host = "[::ffff:7f00:1]"
    assert article_server.log[0].headers["host"] == f"{expected_host}:{article_server.port}"


async def test_allow_list_is_exact(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    fetcher = fetchers(allow="127.0.0.2/32")
    with pytest.raises(ForbiddenAddressError):
        await fetcher.fetch(article_server.url("/"))
    assert article_server.requests == []


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.1.1.1", "1.2.3.0x100"])
async def test_ambiguous_numeric_hosts_are_refused(
    host: str, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(ForbiddenAddressError):
        await fetchers().fetch(f"http://{host}/")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://127.0.0.1/artikel.html",
        "gopher://127.0.0.1:70/",
        "/etc/passwd",
        "artikel.html",
        "www.example.com/artikel",
        "javascript:alert(1)",
        "data:text/html,<p>Hallo</p>",
        "http:///kein-host",
        "",
    ],
)
async def test_only_http_and_https_links_are_read(
    url: str, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(BadSchemeError):
        await fetchers().fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",  # an unclosed IPv6 bracket
        "http://xn--.example/",  # an IDN label with nothing encoded
        "http://xn--zz.example/",  # Punycode that decodes to nothing valid
        "http://127.0.0.1:99999/x",
        "http://artikel.example:0/",
        "http://artikel.example:-1/",
        "https://artikel.example:abc/",
    ],
)
async def test_malformed_links_are_one_clean_error(
    url: str, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(BadLinkError) as caught:
        await fetchers().fetch(url)
    assert isinstance(caught.value, BadSchemeError)  # the bot and CLI treat it as a refusal
    assert caught.value.exit_code == 3
    assert "fehlerhaft" in translate(caught.value.key, "de")


def test_parse_source_url_canonicalises_numeric_hosts() -> None:
    assert str(parse_source_url("HTTP://0x7f.1:8080/a?b=c#d")) == "http://127.0.0.1:8080/a?b=c#d"
    assert str(parse_source_url("http://user@127.1/")) == "http://user@127.0.0.1/"


# --- redirects -------------------------------------------------------------------------------


async def test_redirects_are_followed(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    target = article_server.url(f"/{SAMPLE}")
    article_server.add_route("/a", redirect="/b", status=301)
    article_server.add_route("/b", redirect=article_server.url("/c", host="2130706433"))
    article_server.add_route("/c", redirect=target, status=308)
    page = await fetchers().fetch(article_server.url("/a"))
    assert page.final_url == target
    assert page.url == article_server.url("/a")
    assert article_server.requests == ["/a", "/b", "/c", f"/{SAMPLE}"]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/x",
        "http://2130706434:{port}/x",
        "http://127.1.0.1:{port}/x",
        "http://[::1]:{port}/x",
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
        "//10.0.0.1/protokollrelativ",
    ],
)
async def test_redirect_to_a_forbidden_address_is_refused(
    target: str, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/start", redirect=target.format(port=article_server.port))
    fetcher = fetchers(allow="127.0.0.1/32")
    with pytest.raises(ForbiddenAddressError):
        await fetcher.fetch(article_server.url("/start"))
    assert article_server.requests == ["/start"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://x/"])
async def test_redirect_to_another_scheme_is_refused(
    target: str, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/start", redirect=target)
    with pytest.raises(BadSchemeError):
        await fetchers().fetch(article_server.url("/start"))


async def test_five_redirects_pass_six_are_refused(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    for hop in range(MAX_REDIRECTS + 1):
        article_server.add_route(f"/hop{hop}", redirect=f"/hop{hop + 1}")
    article_server.add_route(f"/hop{MAX_REDIRECTS + 1}", body=_html("<p>Ziel</p>").encode())
    fetcher = fetchers()
    page = await fetcher.fetch(article_server.url("/hop1"))
    assert page.final_url.endswith(f"/hop{MAX_REDIRECTS + 1}")
    with pytest.raises(SourceError, match="redirects") as info:
        await fetcher.fetch(article_server.url("/hop0"))
    assert type(info.value) is TooManyRedirectsError
    assert article_server.requests[-(MAX_REDIRECTS + 1) :] == [
        f"/hop{hop}" for hop in range(MAX_REDIRECTS + 1)
    ]


async def test_redirect_loop_is_refused(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/ping", redirect="/pong")
    article_server.add_route("/pong", redirect="/ping")
    with pytest.raises(SourceError, match="redirects"):
        await fetchers().fetch(article_server.url("/ping"))
    assert len(article_server.requests) == MAX_REDIRECTS + 1


async def test_redirect_without_location_is_an_http_error(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/kaputt", status=302)
    with pytest.raises(HTTPStatusError) as info:
        await fetchers().fetch(article_server.url("/kaputt"))
    assert info.value.params["status"] == 302


async def test_cookies_live_only_within_one_redirect_chain(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    def consent(request: RecordedRequest) -> Route:
        return Route(redirect="/artikel", headers={"Set-Cookie": "consent=ja; Path=/"})

    def article(request: RecordedRequest) -> Route:
        if "consent=ja" in request.headers.get("cookie", ""):
            return Route(body=_html("<p>Der Artikel</p>").encode())
        return Route(redirect="/consent")

    article_server.add_handler("/consent", consent)
    article_server.add_handler("/artikel", article)
    fetcher = fetchers()
    page = await fetcher.fetch(article_server.url("/artikel"))
    assert "Der Artikel" in page.text
    await fetcher.fetch(article_server.url("/artikel"))
    first_of_second_fetch = article_server.log[3]
    assert first_of_second_fetch.path == "/artikel"
    assert "cookie" not in first_of_second_fetch.headers


# --- status, type and size ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 410, 451, 500, 502, 503])
async def test_http_error_statuses(
    status: int, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/fehler", status=status, body=b"<h1>Fehler</h1>")
    with pytest.raises(HTTPStatusError) as info:
        await fetchers().fetch(article_server.url("/fehler"))
    assert info.value.params["status"] == status
    assert info.value.exit_code == 3


async def test_missing_page_is_404(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(HTTPStatusError) as info:
        await fetchers().fetch(article_server.url("/gibt-es-nicht.html"))
    assert info.value.params["status"] == 404


async def test_pdf_is_not_an_article(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route(
        "/doc.pdf", body=b"%PDF-1.7\n" + bytes(1000), content_type="application/pdf"
    )
    with pytest.raises(NotAnArticleError, match="not an article page") as info:
        await fetchers().fetch(article_server.url("/doc.pdf"))
    assert info.value.key == "error.not_html"
    assert info.value.params["content_type"] == "application/pdf"


async def test_wrong_type_is_refused_before_the_body_is_read(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/riesig.pdf", body=endless(), content_type="application/pdf")
    with pytest.raises(NotAnArticleError):
        await fetchers().fetch(article_server.url("/riesig.pdf"))
    record = article_server.log[0]
    assert wait_until(lambda: record.done)
    assert not record.finished
    assert record.bytes_sent < 64 * MB


async def test_images_are_refused_as_articles_and_fetched_as_thumbnails(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/bild.png", body=TINY_PNG, content_type="image/png")
    fetcher = fetchers()
    with pytest.raises(NotAnArticleError, match="not an article page"):
        await fetcher.fetch(article_server.url("/bild.png"))
    thumb = await fetcher.fetch(article_server.url("/bild.png"), accept=IMAGE_TYPES)
    assert thumb.content == TINY_PNG
    assert thumb.content_type == "image/png"
    assert thumb.charset is None
    with pytest.raises(NotAnArticleError):
        await fetcher.fetch(article_server.url(f"/{SAMPLE}"), accept=IMAGE_TYPES)


async def test_xhtml_is_an_article_type(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Grüße</p></body></html>'
    )
    article_server.add_route("/x", body=body.encode(), content_type="application/xhtml+xml")
    page = await fetchers().fetch(article_server.url("/x"))
    assert page.content_type == "application/xhtml+xml"
    assert "Grüße" in page.text


async def test_missing_content_type_is_sniffed(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/ohne", body=_html("<p>Hallo</p>").encode(), content_type=None)
    article_server.add_route("/ohne.pdf", body=b"%PDF-1.4\n...", content_type=None)
    article_server.add_route("/ohne.png", body=TINY_PNG, content_type=None)
    fetcher = fetchers()
    assert (await fetcher.fetch(article_server.url("/ohne"))).content_type == "text/html"
    with pytest.raises(NotAnArticleError):
        await fetcher.fetch(article_server.url("/ohne.pdf"))
    thumb = await fetcher.fetch(article_server.url("/ohne.png"), accept=IMAGE_TYPES)
    assert thumb.content_type == "image/png"


def test_sniffing() -> None:
    assert sniff_media_type(b"\xef\xbb\xbf  <!DOCTYPE HTML><html>") == "text/html"
    assert sniff_media_type(b"%PDF-1.7") == "application/pdf"
    assert sniff_media_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff_media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_media_type(b"PK\x03\x04") is None


async def test_size_limit_by_content_length_reads_nothing(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    total = 32 * MB
    article_server.add_route("/gross", body=b"x" * total)
    with pytest.raises(TooLargeError) as info:
        await fetchers().fetch(article_server.url("/gross"))
    assert info.value.params["limit"] == 5 * MB
    record = article_server.log[0]
    assert wait_until(lambda: record.done)
    assert not record.finished
    assert record.bytes_sent < total


async def test_size_limit_without_content_length_stops_reading(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/endlos", body=endless())
    started = time.perf_counter()
    with pytest.raises(TooLargeError):
        await fetchers().fetch(article_server.url("/endlos"))
    assert time.perf_counter() - started < 3
    record = article_server.log[0]
    assert wait_until(lambda: record.done)
    assert not record.finished
    assert record.bytes_sent < 64 * MB


@pytest.mark.parametrize("content_length", [True, False])
async def test_size_limit_is_exact(
    content_length: bool, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    limit = 1000
    article_server.add_route("/genau", body=b"a" * limit, content_length=content_length)
    article_server.add_route("/zuviel", body=b"a" * (limit + 1), content_length=content_length)
    fetcher = fetchers(HOERCLUB_FETCH_MAX_BYTES=limit)
    assert len((await fetcher.fetch(article_server.url("/genau"))).content) == limit
    with pytest.raises(TooLargeError):
        await fetcher.fetch(article_server.url("/zuviel"))


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip_bytes),
        ("x-gzip", gzip_bytes),
        ("deflate", deflate_bytes),
        ("deflate", lambda data: deflate_bytes(data, raw=True)),
        ("identity", lambda data: data),
    ],
)
async def test_compressed_bodies_are_decoded(
    encoding: str,
    pack: Callable[[bytes], bytes],
    article_server: ArticleServer,
    fetchers: Callable[..., Fetcher],
) -> None:
    original = (PAGES_DIR / SAMPLE).read_bytes()
    article_server.add_route(
        "/komprimiert", body=pack(original), headers={"Content-Encoding": encoding}
    )
    page = await fetchers().fetch(article_server.url("/komprimiert"))
    assert page.content == original


async def test_multi_member_gzip_is_decoded(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    body = gzip_bytes(b"<html><body><p>Erster Teil, ") + gzip_bytes(
        b"zweiter Teil.</p></body></html>"
    )
    article_server.add_route("/zwei", body=body, headers={"Content-Encoding": "gzip"})
    page = await fetchers().fetch(article_server.url("/zwei"))
    assert page.text.endswith("zweiter Teil.</p></body></html>")


async def test_gzip_bomb_is_refused_without_inflating_it(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    bomb = gzip_bomb(64 * MB)
    assert len(bomb) < 128 * 1024
    article_server.add_route("/bombe", body=bomb, headers={"Content-Encoding": "gzip"})
    fetcher = fetchers()
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            await fetcher.fetch(article_server.url("/bombe"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * MB  # the 5 MB allowed plus working space, never the 64 MB


async def test_unknown_or_broken_encodings_are_refused(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/br", body=b"\x1b\x00", headers={"Content-Encoding": "br"})
    article_server.add_route(
        "/kaputt", body=b"\x1f\x8bnonsense", headers={"Content-Encoding": "gzip"}
    )
    fetcher = fetchers()
    with pytest.raises(SourceError, match="encoding"):
        await fetcher.fetch(article_server.url("/br"))
    with pytest.raises(SourceError, match="compressed"):
        await fetcher.fetch(article_server.url("/kaputt"))


# --- time ------------------------------------------------------------------------------------


async def test_dripping_server_hits_the_overall_timeout(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    # 10 bytes every 0.1 s: each read is quick, so only an overall deadline stops it.
    article_server.add_route("/tropf", body=_html("x" * 2000).encode(), drip=(10, 0.1))
    started = time.perf_counter()
    with pytest.raises(FetchTimeoutError) as info:
        await fetchers(HOERCLUB_FETCH_TIMEOUT=1.0).fetch(article_server.url("/tropf"))
    assert time.perf_counter() - started > 0.9
    assert info.value.key == "error.timeout"
    record = article_server.log[0]
    assert wait_until(lambda: record.done)
    assert not record.finished  # the whole body would have taken 20 s


async def test_silent_server_hits_the_timeout(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/still", body=b"<p>zu spaet</p>", delay=10)
    started = time.perf_counter()
    with pytest.raises(FetchTimeoutError):  # the server would answer after 10 s
        await fetchers(HOERCLUB_FETCH_TIMEOUT=1.0).fetch(article_server.url("/still"))
    assert time.perf_counter() - started > 0.9


async def test_timeout_covers_the_whole_redirect_chain(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    for hop in range(4):
        article_server.add_route(f"/langsam{hop}", redirect=f"/langsam{hop + 1}", delay=0.4)
    article_server.add_route("/langsam4", body=_html("<p>Ziel</p>").encode())
    with pytest.raises(FetchTimeoutError):
        await fetchers(HOERCLUB_FETCH_TIMEOUT=1.0).fetch(article_server.url("/langsam0"))
    assert "/langsam4" not in article_server.requests  # reached after 1.6 s without the limit


# --- charsets --------------------------------------------------------------------------------


async def test_charset_from_the_header(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    body = _html(f"<p>{GERMAN}</p>").encode("iso-8859-1", errors="replace")
    article_server.add_route("/h", body=body, content_type="text/html; charset=ISO-8859-1")
    page = await fetchers().fetch(article_server.url("/h"))
    assert page.charset == "cp1252"  # browsers read ISO-8859-1 as windows-1252
    assert "Bürgermeisterin" in page.text
    assert "Größe" in page.text


async def test_latin1_page_declared_only_in_meta(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    body = _html(f"<p>{GERMAN}</p>", head='<meta charset="ISO-8859-1">').encode("cp1252")
    article_server.add_route("/meta", body=body, content_type="text/html")
    page = await fetchers().fetch(article_server.url("/meta"))
    assert page.charset == "cp1252"
    assert GERMAN in page.text  # including „…“ and the dash, which sit in 0x80-0x9F


async def test_charset_from_http_equiv(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    body = _html(f"<p>{GERMAN}</p>", head=head).encode("cp1252")
    article_server.add_route("/equiv", body=body, content_type="text/html")
    page = await fetchers().fetch(article_server.url("/equiv"))
    assert GERMAN in page.text


async def test_undeclared_latin1_page_is_detected(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    body = _html(f"<p>{GERMAN}</p><p>{GERMAN}</p>").encode("cp1252")
    article_server.add_route("/nichts", body=body, content_type="text/html")
    page = await fetchers().fetch(article_server.url("/nichts"))
    assert page.charset is not None
    assert page.charset != "utf-8"
    assert "Bürgermeisterin" in page.text
    assert "Öffnungszeiten für Schüler" in page.text


async def test_undeclared_utf8_page_is_detected(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    article_server.add_route("/utf8", body=_html(GERMAN).encode(), content_type="text/html")
    page = await fetchers().fetch(article_server.url("/utf8"))
    assert page.charset == "utf-8"
    assert GERMAN in page.text


async def test_header_beats_meta_and_bom_beats_header(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    utf8_with_wrong_meta = _html(GERMAN, head='<meta charset="iso-8859-1">').encode()
    article_server.add_route("/header", body=utf8_with_wrong_meta)  # header says utf-8
    article_server.add_route(
        "/bom",
        body=b"\xef\xbb\xbf" + _html(GERMAN).encode(),
        content_type="text/html; charset=iso-8859-1",
    )
    fetcher = fetchers()
    assert GERMAN in (await fetcher.fetch(article_server.url("/header"))).text
    bom_page = await fetcher.fetch(article_server.url("/bom"))
    assert bom_page.charset == "utf-8"
    assert GERMAN in bom_page.text


def test_charset_helpers() -> None:
    assert normalize_charset("latin1") == "cp1252"
    assert normalize_charset("UTF8") == "utf-8"
    assert normalize_charset("x-unbekannt") is None
    assert charset_from_content_type('text/html; charset="utf-8"') == "utf-8"
    assert charset_from_content_type("text/html; charset=bogus") is None
    assert charset_from_content_type("text/html") is None
    assert charset_from_markup(b"<head><meta charset=utf-16></head>") == "utf-8"
    assert charset_from_markup(b"<?xml version='1.0' encoding='ISO-8859-15'?>") == "iso8859-15"
    assert charset_from_markup(b"<p>keine Angabe</p>") is None
    assert detect_charset(GERMAN.encode()) == "utf-8"
    assert detect_charset((GERMAN * 3).encode("cp1252")) != "utf-8"


# --- the address actually connected to -------------------------------------------------------


async def test_connects_to_the_checked_address_keeping_the_host_name(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    dns = FakeDNS({"artikel.test": [["127.0.0.1"]]})
    fetcher = fetchers(resolver=dns)
    page = await fetcher.fetch(article_server.url(f"/{SAMPLE}", host="artikel.test"))
    assert page.final_url == article_server.url(f"/{SAMPLE}", host="artikel.test")
    assert article_server.log[0].headers["host"] == f"artikel.test:{article_server.port}"
    assert dns.calls == [("artikel.test", article_server.port)]  # httpx did not resolve again


async def test_a_rebinding_name_is_resolved_once_per_hop(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    # First answer is allowed, every later one points into the private network.
    dns = FakeDNS({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    fetcher = fetchers(resolver=dns)
    page = await fetcher.fetch(article_server.url(f"/{SAMPLE}", host="rebind.test"))
    assert page.status == 200
    assert len(dns.calls) == 1
    with pytest.raises(ForbiddenAddressError):
        await fetcher.fetch(article_server.url(f"/{SAMPLE}", host="rebind.test"))
    assert len(article_server.requests) == 1


async def test_a_name_with_only_forbidden_addresses_is_refused(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    dns = FakeDNS({"intern.test": [["10.0.0.1", "fd00::1"]]})
    with pytest.raises(ForbiddenAddressError) as info:
        await fetchers(resolver=dns).fetch(article_server.url("/", host="intern.test"))
    assert info.value.params["address"] == "10.0.0.1"


async def test_permitted_addresses_are_tried_in_order(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    # 10.0.0.1 is never tried (forbidden); nothing listens on 127.0.0.2:<port>; 127.0.0.1 works.
    dns = FakeDNS({"zwei.test": [["10.0.0.1", "127.0.0.2", "127.0.0.1"]]})
    page = await fetchers(resolver=dns).fetch(article_server.url(f"/{SAMPLE}", host="zwei.test"))
    assert page.status == 200


async def test_unresolvable_name_is_unreachable(fetchers: Callable[..., Fetcher]) -> None:
    with pytest.raises(UnreachableError) as info:
        await fetchers(resolver=FakeDNS({})).fetch("http://gibt-es-nicht.test/")
    assert info.value.key == "error.unreachable"


async def test_connection_refused_is_unreachable(fetchers: Callable[..., Fetcher]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UnreachableError):
        await fetchers().fetch(f"http://127.0.0.1:{port}/")


async def test_https_keeps_sni_and_checks_the_certificate_against_the_name(
    tls_article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    dns = FakeDNS({"artikel.test": [["127.0.0.1"]], "falsch.test": [["127.0.0.1"]]})
    fetcher = fetchers(resolver=dns, verify=client_ssl_context())
    url = tls_article_server.url(f"/{SAMPLE}", host="artikel.test")
    page = await fetcher.fetch(url)
    assert page.final_url == url
    assert "Clubhouse" in page.text
    assert tls_article_server.log[0].sni == "artikel.test"
    # The certificate also names 127.0.0.1: checking it against the pinned IP would pass.
    with pytest.raises(UnreachableError, match="certificate"):
        await fetcher.fetch(tls_article_server.url("/", host="falsch.test"))


async def test_https_with_an_untrusted_certificate_is_refused(
    tls_article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    with pytest.raises(UnreachableError, match="certificate"):
        await fetchers().fetch(tls_article_server.url("/", host="localhost"))


# --- operations ------------------------------------------------------------------------------


async def test_one_log_line_per_fetch(
    article_server: ArticleServer,
    fetchers: Callable[..., Fetcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    article_server.add_route("/weiter", redirect=f"/{SAMPLE}")
    fetcher = fetchers()
    with caplog.at_level(logging.INFO, logger="bot.pipeline.fetch"):
        page = await fetcher.fetch(article_server.url("/weiter?token=geheim"))
        with pytest.raises(HTTPStatusError):
            await fetcher.fetch(article_server.url("/fehlt"))
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.pipeline.fetch"]
    assert len(lines) == 2
    assert lines[0].startswith("fetch 127.0.0.1 status=200")
    assert f"bytes={len(page.content)}" in lines[0]
    assert "redirects=1" in lines[0]
    assert "ms=" in lines[0]
    assert "geheim" not in lines[0]
    assert "status=404" in lines[1]
    assert "HTTPStatusError" in lines[1]


async def test_concurrent_fetches(
    article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    # Each answer waits until all eight requests are in: one at a time, none would be answered.
    everyone = threading.Barrier(8, timeout=30)
    route = Route(body=_html("<p>ok</p>").encode())

    def together(_request: RecordedRequest) -> Route:
        everyone.wait()
        return route

    article_server.add_handler("/langsam", together)
    fetcher = fetchers()
    pages = await asyncio.gather(*(fetcher.fetch(article_server.url("/langsam")) for _ in range(8)))
    assert all(page.status == 200 for page in pages)
    assert not everyone.broken


async def test_proxy_settings_in_the_environment_cannot_bypass_the_pin(
    article_server: ArticleServer,
    fetchers: Callable[..., Fetcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead_port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    page = await fetchers().fetch(article_server.url(f"/{SAMPLE}"))
    assert page.status == 200
    assert article_server.requests == [f"/{SAMPLE}"]


@pytest.mark.parametrize("raw", [False, True])
async def test_deflate_arriving_byte_by_byte_is_decoded(
    raw: bool, article_server: ArticleServer, fetchers: Callable[..., Fetcher]
) -> None:
    original = _html(f"<p>{GERMAN}</p>").encode()
    article_server.add_route(
        "/tropfen",
        body=deflate_bytes(original, raw=raw),
        headers={"Content-Encoding": "deflate"},
        drip=(1, 0.0),
    )
    page = await fetchers().fetch(article_server.url("/tropfen"))
    assert page.content == original
