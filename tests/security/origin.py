"""An article origin on a loopback address of its own, and traps on the forbidden ones.

The SSRF tests forbid loopback except the single address ORIGIN_HOST (the operator's allow
list names only it), serve the pages a fetch may reach there, and listen on the same port at
127.0.0.1 and ::1, where a fetch must never arrive. A resolver table stands in for DNS: it
points test names at any address, which is how a hostile name behaves.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.threaded_http import serve_in_thread, stop_serving

# 127.0.0.0/8 is all loopback on Linux; this one address stands for "a public server".
ORIGIN_HOST = "127.77.0.1"
ORIGIN_ALLOW = f"{ORIGIN_HOST}/32"
PAGE = (
    "<!DOCTYPE html><html lang='de'><head><title>Gefunden</title></head><body><article>"
    + "<p>Ein ganz gewöhnlicher Absatz mit genug Wörtern, damit er gelesen wird.</p>" * 8
    + "</article></body></html>"
).encode()


@dataclass
class Answer:
    """What the origin answers on one path."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    body: bytes = PAGE


class _Handler(BaseHTTPRequestHandler):
    server: _OriginServer

    def do_GET(self) -> None:
        origin = self.server.origin
        with origin.lock:
            origin.requests.append((self.path, self.headers.get("Host", "")))
        answer = origin.route(self.path)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        return


class _OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    origin: Origin


@dataclass
class Origin:
    """The allowed server: fixed answers per path, or a function of the path."""

    port: int
    routes: dict[str, Answer] = field(default_factory=lambda: {"/": Answer()})
    dynamic: Callable[[str], Answer | None] | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, path: str) -> Answer:
        """The answer for `path` (404 when nothing is set)."""
        if path in self.routes:
            return self.routes[path]
        if self.dynamic is not None:
            found = self.dynamic(path)
            if found is not None:
                return found
        return Answer(404, body=b"not here")

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Answer `path` with a redirect to `location`."""
        self.routes[path] = Answer(status, {"Location": location}, b"")

    @property
    def paths(self) -> list[str]:
        """The paths requested so far."""
        with self.lock:
            return [path for path, _ in self.requests]


@dataclass
class Trap:
    """Listening sockets on forbidden addresses that count every connection that arrives."""

    sockets: list[socket.socket]
    arrived: list[str] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> None:
        """Accept and count until closed."""
        for sock in self.sockets:
            sock.settimeout(0.1)
        while not self.closed.is_set():
            for sock in self.sockets:
                with suppress(OSError):
                    conn, peer = sock.accept()
                    self.arrived.append(f"{sock.getsockname()[0]} from {peer[0]}")
                    conn.close()


def _listen(family: socket.AddressFamily, host: str, port: int) -> socket.socket | None:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        return None
    sock.listen(16)
    return sock


@contextmanager
def origin_with_traps() -> Iterator[tuple[Origin, Trap]]:
    """The origin on ORIGIN_HOST and traps on 127.0.0.1 and ::1, all on one port number."""
    for _ in range(50):
        server = _OriginServer((ORIGIN_HOST, 0), _Handler)
        port = server.server_address[1]
        v4 = _listen(socket.AF_INET, "127.0.0.1", port)
        if v4 is None:
            server.server_close()
            continue
        traps = [v4]
        v6 = _listen(socket.AF_INET6, "::1", port)
        if v6 is not None:
            traps.append(v6)
        break
    else:  # pragma: no cover - 50 ports in a row taken on 127.0.0.1
        raise RuntimeError("no port free on both the origin and the trap addresses")
    origin = Origin(port)
    server.origin = origin
    trap = Trap(traps)
    trap_thread = threading.Thread(target=trap.serve, daemon=True)
    trap_thread.start()
    thread = serve_in_thread(server)
    try:
        yield origin, trap
    finally:
        stop_serving(server, thread)
        trap.closed.set()
        trap_thread.join(5)
        for sock in traps:
            sock.close()


@dataclass
class DnsTable:
    """A resolver for `Fetcher(resolver=...)`: names to address lists, each query recorded.

    A value may be a list of answers in turn (rebinding: the next query gets the next one).
    """

    names: dict[str, Sequence[str] | list[Sequence[str]]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    _turn: dict[str, int] = field(default_factory=dict)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The table's answer for `host`; OSError (NXDOMAIN) for a name not in it."""
        self.queries.append(host)
        value = self.names.get(host.lower().rstrip("."))
        if value is None:
            raise OSError(f"no such name: {host}")
        if value and not isinstance(value[0], str):
            turns = list(value)
            turn = self._turn.get(host, 0)
            self._turn[host] = turn + 1
            return [str(a) for a in turns[min(turn, len(turns) - 1)]]
        return [str(a) for a in value]
