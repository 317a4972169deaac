"""A real HTTP(S) server on 127.0.0.1 for tests: saved pages plus programmable routes.

Standard library only, so any test package can use it::

    server = ArticleServer()            # serves tests/data/pages/<name> at /<name>
    server.start()
    server.add_route("/old", redirect="/clubhouse-musk.html")
    server.add_route("/slow", body=b"x" * 100, drip=(1, 0.1))    # 1 byte every 0.1 s
    server.add_route("/huge", body=endless(), content_type="text/html")
    url = server.url("/old")            # http://127.0.0.1:<port>/old
    ...
    server.stop()

or `with ArticleServer() as server: ...`. Each request is recorded (`.requests` lists the paths,
`.log` the full `RecordedRequest`s with headers and the bytes actually sent). The server speaks
HTTP/1.0 (one request per connection); a body without Content-Length ends when the connection
closes. `ArticleServer(tls=True)` serves HTTPS with a test certificate for `artikel.test`,
`localhost` and `127.0.0.1`; clients trust it through `client_ssl_context()`.
"""

from __future__ import annotations

import gzip
import io
import mimetypes
import ssl
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from tests.support.threaded_http import serve_in_thread, stop_serving

PAGES_DIR: Final = Path(__file__).resolve().parent.parent / "data" / "pages"

Body = bytes | Callable[[], Iterable[bytes]]
SNI_ATTRIBUTE: Final = "_article_server_sni"

# A private CA and a leaf certificate for artikel.test, localhost and 127.0.0.1, valid 2000-2100.
# Test-only material, generated with `openssl ca` for these tests; it protects nothing.
TEST_CA_PEM: Final = """\
-----BEGIN CERTIFICATE-----
MIIBaTCCARCgAwIBAgICEAAwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQSG9lcmNs
dWIgVGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowGzEZ
MBcGA1UEAwwQSG9lcmNsdWIgVGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABKepg8iYwAw0bsltYZTTBah3x47EeSkSO6Zpog4Kp69v2fvySJnIydgSRR7h
ri5Z8pNcjXOxh98m+JkvQvnr++GjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P
AQH/BAQDAgEGMB0GA1UdDgQWBBTp8obBTfGmtlgqdGWCyi/OtIxbNzAKBggqhkjO
PQQDAgNHADBEAiB/2E3rYufEDlTMzOeNzPy8uuwV7gzMiY0jDafJIGdivAIgHmtb
3rRILyUHRIhhnI4P6684gxom6X87c6kGzyrx5XE=
-----END CERTIFICATE-----
"""
TEST_CERT_PEM: Final = """\
-----BEGIN CERTIFICATE-----
MIIBxDCCAWugAwIBAgICEAEwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQSG9lcmNs
dWIgVGVzdCBDQTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowFzEV
MBMGA1UEAwwMYXJ0aWtlbC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
h1nbjbvIgZK44HriWqpIyrMiddE5VZbZS2kAs3Ny4hp+J1w6/CbAjn4trPqmTUYP
MxTAyaXBxrchiq538ZzUNKOBoDCBnTAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQE
AwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATAoBgNVHREEITAfggxhcnRpa2VsLnRl
c3SCCWxvY2FsaG9zdIcEfwAAATAdBgNVHQ4EFgQUIO4dyFxt/scKLuo7L/GzPmmX
D64wHwYDVR0jBBgwFoAU6fKGwU3xprZYKnRlgsovzrSMWzcwCgYIKoZIzj0EAwID
RwAwRAIgaCWcN0STTwpbwEI4KLtWTkeGZ0CwAuOwPTxNYiPFodUCICLLO3RSPmsV
c7NDmytYx5KS3gfiaxrUAapc5FMv+LVC
-----END CERTIFICATE-----
"""
TEST_KEY_PEM: Final = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgT+y1OqkptV4h95vE
p5VaPIBG8xjrTQse8PuzKVaIrN2hRANCAASHWduNu8iBkrjgeuJaqkjKsyJ10TlV
ltlLaQCzc3LiGn4nXDr8JsCOfi2s+qZNRg8zFMDJpcHGtyGKrnfxnNQ0
-----END PRIVATE KEY-----
"""

# Smallest 1x1 PNG, for thumbnail routes.
TINY_PNG: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def client_ssl_context() -> ssl.SSLContext:
    """An SSL context for clients that trusts the test CA (and nothing else)."""
    return ssl.create_default_context(cadata=TEST_CA_PEM)


def gzip_bytes(data: bytes) -> bytes:
    """`data` gzip-compressed, for a `Content-Encoding: gzip` body."""
    return gzip.compress(data, mtime=0)


def gzip_bomb(inflated_size: int, *, piece: int = 1 << 20) -> bytes:
    """A small gzip body that inflates to `inflated_size` zero bytes (about 1,000:1)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        zeros = bytes(piece)
        remaining = inflated_size
        while remaining > 0:
            out.write(zeros[: min(piece, remaining)])
            remaining -= piece
    return buffer.getvalue()


def deflate_bytes(data: bytes, *, raw: bool = False) -> bytes:
    """`data` deflate-compressed: zlib-wrapped as HTTP says, or raw as some servers send it."""
    if raw:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    return zlib.compress(data)


def endless(chunk: bytes = b"<p>" + b"x" * 65_530 + b"</p>", limit: int = 1 << 30) -> Body:
    """A body factory that streams `chunk` again and again (up to `limit` bytes)."""

    def produce() -> Iterator[bytes]:
        sent = 0
        while sent < limit:
            yield chunk
            sent += len(chunk)

    return produce


@dataclass
class Route:
    """What the server answers on one path."""

    body: Body = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before the status line
    drip: tuple[int, float] | None = None  # (bytes per write, seconds between writes)
    redirect: str | None = None  # Location; the status becomes 302 unless a 3xx is given
    content_length: bool = True  # send Content-Length for a bytes body


@dataclass
class RecordedRequest:
    """One request as the server saw it, and how much of the answer went out."""

    path: str
    headers: dict[str, str]
    sni: str | None = None
    bytes_sent: int = 0
    finished: bool = False  # the whole body was written (False if the client hung up)
    done: bool = False  # the server is through with this request, whichever way it ended


Handler = Callable[[RecordedRequest], Route]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when a client opens several at
    # once (the feed poller opens 8), and each dropped SYN costs a 1 s retransmission.
    request_queue_size = 128
    owner: ArticleServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Client hang-ups and failed TLS handshakes are part of the tests, not errors."""


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def setup(self) -> None:
        owner = self.server.owner
        self.sni: str | None = None
        if owner.tls_context is not None:
            self.request = owner.tls_context.wrap_socket(self.request, server_side=True)
            self.sni = getattr(self.request, SNI_ATTRIBUTE, None)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.close()  # the server only closes the raw socket it accepted

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr log."""

    def do_GET(self) -> None:
        owner = self.server.owner
        record = RecordedRequest(
            path=self.path,
            headers={key.lower(): value for key, value in self.headers.items()},
            sni=self.sni,
        )
        owner.record(record)
        try:
            route = owner.route_for(record)
            if route.delay and owner.stopping.wait(route.delay):
                return
            self._answer(route, record)
        except OSError:
            return  # the client hung up (BrokenPipeError, ConnectionResetError, ssl.SSLError)
        finally:
            record.done = True

    def _answer(self, route: Route, record: RecordedRequest) -> None:
        status = route.status
        headers = dict(route.headers)
        if route.redirect is not None:
            status = status if 300 <= status < 400 else 302
            headers["Location"] = route.redirect
        self.send_response(status)
        if route.content_type is not None:
            self.send_header("Content-Type", route.content_type)
        if isinstance(route.body, bytes) and route.content_length:
            self.send_header("Content-Length", str(len(route.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        pieces: Iterable[bytes] = [route.body] if isinstance(route.body, bytes) else route.body()
        for piece in pieces:
            if route.drip is None:
                self._write(piece, record)
                continue
            size, interval = route.drip
            for start in range(0, len(piece), size):
                self._write(piece[start : start + size], record)
                if self.server.owner.stopping.wait(interval):
                    return
        record.finished = True

    def _write(self, data: bytes, record: RecordedRequest) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        record.bytes_sent += len(data)


class ArticleServer:
    """A threaded HTTP(S) server on 127.0.0.1 with an ephemeral port (see the module docstring)."""

    def __init__(self, pages_dir: Path = PAGES_DIR, *, tls: bool = False) -> None:
        self.pages_dir = pages_dir.resolve()
        self.log: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self.tls_context: ssl.SSLContext | None = None
        self._routes: dict[str, Route | Handler] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if tls:
            self.tls_context = self._make_tls_context()

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> ArticleServer:
        """Bind to 127.0.0.1 on a free port and serve in a daemon thread."""
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = serve_in_thread(server)
        return self

    def stop(self) -> None:
        """Stop serving; handlers still dripping or delaying give up at once."""
        self.stopping.set()
        stop_serving(self._server, self._thread)

    def __enter__(self) -> ArticleServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("ArticleServer is not started")
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        """`https` with tls=True, else `http`."""
        return "https" if self.tls_context is not None else "http"

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """The absolute URL of `path`; `host` may be any spelling that reaches 127.0.0.1."""
        if not path.startswith("/"):
            path = "/" + path
        return f"{self.scheme}://{host}:{self.port}{path}"

    # --- routes ----------------------------------------------------------------------------
    def add_route(
        self,
        path: str,
        *,
        body: Body = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = "text/html; charset=utf-8",
        delay: float = 0.0,
        drip: tuple[int, float] | None = None,
        redirect: str | None = None,
        content_length: bool = True,
    ) -> str:
        """Answer GET `path` (query ignored) as described; returns the route's URL.

        `body` is bytes or a zero-argument callable yielding byte chunks (for huge or endless
        bodies, sent without Content-Length). `content_type=None` sends no Content-Type.
        `drip=(n, s)` writes n bytes every s seconds. `redirect` sets Location (302 unless
        `status` is another 3xx). `content_length=False` omits Content-Length for bytes bodies.
        """
        self._routes[path] = Route(
            body=body,
            status=status,
            headers=dict(headers or {}),
            content_type=content_type,
            delay=delay,
            drip=drip,
            redirect=redirect,
            content_length=content_length,
        )
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        """Answer GET `path` with `handler(request)`, for answers that depend on the request."""
        self._routes[path] = handler
        return self.url(path)

    @property
    def requests(self) -> list[str]:
        """The paths (with query) requested so far, in order."""
        with self._lock:
            return [record.path for record in self.log]

    # --- used by the request handler -------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        """Remember a request."""
        with self._lock:
            self.log.append(request)

    def route_for(self, request: RecordedRequest) -> Route:
        """The route for a request: a programmed one, else a saved page, else 404."""
        path = urlsplit(request.path).path
        route = self._routes.get(path)
        if callable(route):
            return route(request)
        if route is not None:
            return route
        return self._static(path)

    def _static(self, path: str) -> Route:
        target = (self.pages_dir / path.lstrip("/")).resolve()
        if not target.is_file() or not target.is_relative_to(self.pages_dir):
            return Route(body=b"<h1>404</h1>", status=404)
        data = target.read_bytes()
        guessed = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if guessed.startswith("text/"):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                pass  # leave the charset to <meta> or detection, as many real servers do
            else:
                guessed += "; charset=utf-8"
        return Route(body=data, content_type=guessed)

    @staticmethod
    def _make_tls_context() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            chain = Path(folder) / "cert.pem"
            chain.write_text(TEST_CERT_PEM + TEST_CA_PEM + TEST_KEY_PEM, encoding="ascii")
            context.load_cert_chain(chain)

        context.sni_callback = _remember_sni
        return context


def _remember_sni(
    sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _context: ssl.SSLContext
) -> None:
    """Keep the server name the client sent on its socket, for `RecordedRequest.sni`."""
    setattr(sock, SNI_ATTRIBUTE, name)


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll `predicate` until it is true or `timeout` passes (for server-side effects)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
