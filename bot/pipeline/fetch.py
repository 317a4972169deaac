"""The fetch stage: a URL becomes a `Page` through the address guard, within size and time limits.

This is the only module that talks HTTP for articles, feeds and thumbnails (httpx's home module).
Every hop of a redirect chain is resolved once, checked by `AddressGuard`, and then connected to
exactly that address (`_PinnedTransport`), so a name that re-resolves elsewhere (DNS rebinding)
cannot reach a forbidden address. The body is decompressed here, never beyond the size limit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import ssl
import time
import zlib
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from bot.config import Settings
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
from bot.models import Page
from bot.pipeline.content import (
    charset_from_bom,
    charset_from_content_type,
    charset_from_markup,
    detect_charset,
    is_accepted,
    is_text_type,
    media_type_of,
    sniff_media_type,
)
from bot.pipeline.netguard import AddressGuard, Resolver, canonical_host

logger = logging.getLogger(__name__)

HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
IMAGE_TYPES: Final = ("image/",)
# Every redirect hop is re-checked, at most 5 of them: browsers allow 20, articles need 1-3.
MAX_REDIRECTS: Final = 5
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
# A current Firefox ESR on Linux, plus our name: some German news sites serve bare bots a
# consent or "unsupported browser" page instead of the article.
USER_AGENT: Final = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 Hoerclub/0.1"
)
ACCEPT_LANGUAGE: Final = "de-DE,de;q=0.9,en;q=0.5"
# Only the codings `_BoundedDecoder` can inflate within the limit (no brotli/zstd dependency).
ACCEPT_ENCODING: Final = "gzip, deflate"
# TCP ports are 16-bit and port 0 cannot be connected to (RFC 793, RFC 6335).
MAX_PORT: Final = 65535
# Connection attempts per hop when a name has several permitted addresses (IPv6 then IPv4, ...).
MAX_ADDRESS_ATTEMPTS: Final = 3


# Where a redirect's Location waits for our loop: httpx builds its own next request from a
# Location header before returning the response, and raises on one it cannot parse (a `data:`
# or `javascript:` target, an octal host), which would end the fetch with no reason a user can
# read; our loop parses every hop itself (`parse_source_url`), so httpx must not see it.
_LOCATION: Final = "x-hoerclub-location"


async def _take_location(response: httpx.Response) -> None:
    """Move a redirect's Location header out of httpx's sight (see _LOCATION)."""
    location = response.headers.get("location")
    if location is not None:
        del response.headers["location"]
        response.headers[_LOCATION] = location


def _no_cookies() -> CookieJar:
    """A jar that refuses to store anything, so no cookie outlives a fetch or crosses users."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def parse_source_url(url: str) -> httpx.URL:
    """Validate an http(s) link and spell its host canonically (`127.1` becomes `127.0.0.1`)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise BadLinkError(f"not a valid link: {exc}", url=url) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadSchemeError(
            f"only http and https links are read, not {scheme or 'a bare path'}", scheme=scheme
        )
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]") + 1
        host, rest = hostport[:end], hostport[end:]
    else:
        host, colon, port = hostport.partition(":")
        rest = colon + port
    if not host:
        raise BadSchemeError("the link has no host", url=url)
    try:
        canonical = canonical_host(host)
    except ValueError as exc:
        raise ForbiddenAddressError(
            f"ambiguous numeric host {host!r}", host=host, reason="malformed"
        ) from exc
    if canonical != host:
        bracketed = f"[{canonical}]" if ":" in canonical else canonical
        text = urlunsplit(parts._replace(netloc=f"{userinfo}{at}{bracketed}{rest}"))
    try:
        parsed = httpx.URL(text)
        parsed.host  # noqa: B018 — decodes IDN labels: "xn--" alone is not one
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise BadLinkError(f"not a valid link: {exc}", url=url) from exc
    if parsed.port is not None and not 0 < parsed.port <= MAX_PORT:
        raise BadLinkError(f"port {parsed.port} out of range", url=url)
    return parsed


def _accept_header(accept: tuple[str, ...]) -> str:
    items = [prefix + "*" if prefix.endswith("/") else prefix for prefix in accept]
    return ",".join([*items, "*/*;q=0.8"])


class _BoundedDecoder:
    """Undoes gzip/deflate Content-Encoding without ever producing more than it is allowed."""

    def __init__(self, content_encoding: str) -> None:
        codings = [
            coding.strip().lower()
            for coding in content_encoding.split(",")
            if coding.strip().lower() not in ("", "identity")
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise SourceError(
                f"unsupported content encoding {content_encoding!r}", encoding=content_encoding
            )
        self._coding = codings[0] if codings else None
        self._zlib = self._new() if self._coding else None
        self._started = False
        self._prefix = b""  # input so far while nothing came out: replayed on the deflate retry

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if raw:
            return zlib.decompressobj(-zlib.MAX_WBITS)
        if self._coding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes, budget: int) -> bytes:
        """Decode `data`, stopping as soon as `budget` bytes (at least 1) have come out."""
        if self._zlib is None:
            return data
        if not self._started:
            self._prefix += data
        try:
            return self._feed(data, budget)
        except zlib.error as exc:
            if self._coding == "deflate" and not self._started:
                # Some servers send raw deflate although HTTP's "deflate" means zlib-wrapped.
                self._coding = "raw-deflate"
                self._zlib = self._new(raw=True)
                try:
                    return self._feed(self._prefix, budget)
                except zlib.error as exc2:
                    raise SourceError(f"broken compressed body: {exc2}") from exc2
            raise SourceError(f"broken compressed body: {exc}") from exc

    def _feed(self, data: bytes, budget: int) -> bytes:
        out: list[bytes] = []
        produced = 0
        inflater = self._zlib
        while inflater is not None and data and produced < budget:
            piece = inflater.decompress(data, budget - produced)
            if piece and not self._started:
                self._started, self._prefix = True, b""
            out.append(piece)
            produced += len(piece)
            if inflater.eof:
                data = inflater.unused_data
                if self._coding not in ("gzip", "x-gzip") or not data.startswith(b"\x1f\x8b"):
                    break  # bytes after the end of the stream are ignored, as httpx does
                inflater = self._zlib = self._new()  # next member of a multi-member gzip file
            elif not piece and data == inflater.unconsumed_tail:
                break
            else:
                data = inflater.unconsumed_tail
        return b"".join(out)

    def flush(self) -> bytes:
        """What the decompressor still holds once the body has ended (a truncated stream's tail)."""
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise SourceError(f"broken compressed body: {exc}") from exc


class _PinnedTransport(httpx.AsyncBaseTransport):
    """Resolves and checks each request's host, then connects to exactly the checked address.

    The URL handed to the connection pool carries the IP; the Host header and the TLS server
    name (SNI and certificate check, via httpcore's `sni_hostname` extension) keep the name.
    """

    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport) -> None:
        self._guard = guard
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` to the first permitted address of its host that accepts a connection."""
        url = request.url
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await self._guard.resolve(host, port)
        failure: httpx.ConnectError | None = None
        for address in addresses[:MAX_ADDRESS_ATTEMPTS]:
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=address.compressed),
                headers=request.headers,  # includes Host: the name the user asked for
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:
                logger.debug("connect to %s (%s) failed: %s", host, address, exc)
                failure = exc
        raise failure or httpx.ConnectError(f"no address to connect to for {host}")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._inner.aclose()


@dataclass
class _Trace:
    """What the operator's log line says about one fetch."""

    host: str
    status: int | None = None
    size: int = 0
    redirects: int = 0


class Fetcher:
    """Fetches article pages, feeds and images from the public web, and nothing else."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._timeout = settings.fetch_timeout
        self._max_bytes = settings.fetch_max_bytes
        self.max_bytes = settings.fetch_max_bytes  # local files and stdin share the limit
        self._guard = AddressGuard(settings.fetch_allow_networks, resolver)
        inner = httpx.AsyncHTTPTransport(
            verify=verify,
            retries=0,
            # No keep-alive: a pooled connection is keyed by IP, and reusing one opened for
            # another name on the same IP would skip that name's certificate check.
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._client = httpx.AsyncClient(
            transport=_PinnedTransport(self._guard, inner),
            follow_redirects=False,  # every hop goes through our checks below
            trust_env=False,  # a proxy from the environment would bypass the address pin
            timeout=httpx.Timeout(self._timeout),
            cookies=_no_cookies(),
            event_hooks={"response": [_take_location]},
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Language": ACCEPT_LANGUAGE,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    async def fetch(
        self,
        url: str,
        *,
        accept: tuple[str, ...] = HTML_TYPES,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Page:
        """Fetch `url` (redirects followed and re-checked) and return the page if `accept`ed.

        With `etag` or `last_modified` the request is conditional, and a 304 comes back as a
        `Page` with status 304 and no content (feeds poll this way).
        """
        started = time.perf_counter()
        trace = _Trace(host=_host_for_log(url))
        outcome = "ok"
        validators: dict[str, str] = {}
        if etag:
            validators["If-None-Match"] = etag
        if last_modified:
            validators["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                return await self._fetch(url, accept, trace, validators)
        except TimeoutError as exc:
            outcome = "timeout"
            raise FetchTimeoutError(
                f"no complete answer within {self._timeout:g} s", timeout=self._timeout
            ) from exc
        except SourceError as exc:
            outcome = f"{type(exc).__name__}: {exc.detail}"
            raise
        except BaseException:
            outcome = "aborted"
            raise
        finally:
            logger.info(
                "fetch %s status=%s bytes=%d redirects=%d ms=%d %s",
                trace.host,
                trace.status,
                trace.size,
                trace.redirects,
                (time.perf_counter() - started) * 1000,
                outcome,
            )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _fetch(
        self,
        url: str,
        accept: tuple[str, ...],
        trace: _Trace,
        validators: dict[str, str] | None = None,
    ) -> Page:
        current = parse_source_url(url)
        cookies = httpx.Cookies()  # lives for this redirect chain only
        headers = {"Accept": _accept_header(accept), **(validators or {})}
        hops: list[int] = []
        for hop in range(MAX_REDIRECTS + 1):
            trace.host = current.host
            request = self._client.build_request("GET", current, headers=headers)
            cookies.set_cookie_header(request)
            response = await self._send(request)
            try:
                trace.status = response.status_code
                cookies.extract_cookies(response)
                if response.status_code == 304 and validators:
                    return Page(
                        url=url,
                        final_url=str(current),
                        status=304,
                        headers=httpx.Headers(response.headers),
                        content=b"",
                        content_type="",
                        redirects=tuple(hops),
                    )
                if response.status_code not in REDIRECT_STATUSES:
                    page = await self._page(url, current, response, accept, trace)
                    return dataclasses.replace(page, redirects=tuple(hops))
                location = response.headers.get(_LOCATION)
                if not location:
                    raise HTTPStatusError(
                        f"HTTP {response.status_code} without a Location",
                        status=response.status_code,
                    )
                if hop == MAX_REDIRECTS:
                    raise TooManyRedirectsError(
                        f"more than {MAX_REDIRECTS} redirects", limit=MAX_REDIRECTS, url=url
                    )
                current = parse_source_url(urljoin(str(current), location))
                hops.append(response.status_code)
                trace.redirects += 1
            finally:
                await response.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchTimeoutError(f"{request.url.host}: {exc!r}", timeout=self._timeout) from exc
        except httpx.TransportError as exc:
            raise UnreachableError(
                f"cannot connect to {request.url.host}: {exc}", host=request.url.host
            ) from exc

    async def _page(
        self,
        url: str,
        current: httpx.URL,
        response: httpx.Response,
        accept: tuple[str, ...],
        trace: _Trace,
    ) -> Page:
        status = response.status_code
        if not 200 <= status < 300:
            raise HTTPStatusError(f"HTTP {status}", status=status)
        content_type = response.headers.get("content-type", "")
        media_type = media_type_of(content_type)
        if media_type and not is_accepted(media_type, accept):
            raise NotAnArticleError(f"not an article page ({media_type})", content_type=media_type)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise TooLargeError(
                f"{length} bytes announced, limit {self._max_bytes}", limit=self._max_bytes
            )
        content = await self._read_body(response, trace)
        if not media_type:
            media_type = sniff_media_type(content) or "application/octet-stream"
            if not is_accepted(media_type, accept):
                raise NotAnArticleError(
                    f"not an article page ({media_type}, sniffed)", content_type=media_type
                )
        charset = None
        if is_text_type(media_type):
            charset = (
                charset_from_bom(content)
                or charset_from_content_type(content_type)
                or charset_from_markup(content)
                or await asyncio.to_thread(detect_charset, content)
            )
        return Page(
            url=url,
            final_url=str(current),
            status=status,
            headers=httpx.Headers(response.headers),
            content=content,
            charset=charset,
            content_type=media_type,
        )

    async def _read_body(self, response: httpx.Response, trace: _Trace) -> bytes:
        limit = self._max_bytes
        decoder = _BoundedDecoder(response.headers.get("content-encoding", ""))
        parts: list[bytes] = []
        wire = 0
        try:
            async for raw in response.aiter_raw():
                wire += len(raw)
                piece = decoder.feed(raw, limit - trace.size + 1)
                parts.append(piece)
                trace.size += len(piece)
                if trace.size > limit or wire > limit:
                    raise TooLargeError(f"larger than {limit} bytes", limit=limit)
        except httpx.TimeoutException as exc:
            raise FetchTimeoutError(f"body: {exc!r}", timeout=self._timeout) from exc
        except httpx.TransportError as exc:
            raise UnreachableError(f"connection broke during the body: {exc}") from exc
        tail = decoder.flush()
        trace.size += len(tail)
        if trace.size > limit:
            raise TooLargeError(f"larger than {limit} bytes", limit=limit)
        parts.append(tail)
        return b"".join(parts)


def _host_for_log(url: str) -> str:
    """The host part of a URL for the log (never the path or query, which may carry tokens)."""
    try:
        return urlsplit(url.strip()).hostname or "-"
    except ValueError:
        return "-"
