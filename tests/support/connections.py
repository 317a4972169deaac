"""Every TCP connect this process makes, as Python's `socket.connect` audit event reports it.

The SSRF tests count connections to forbidden addresses at the one place no code path can
avoid: `socket.connect` itself (asyncio's, anyio's and httpcore's connects all end there), so
a check in our code that was bypassed still shows up as a connect to the address it reached.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bot.pipeline.netguard import connect_address, forbidden_reason, parse_networks

_lock = threading.Lock()
_watchers: list[ConnectLog] = []
_installed = False


@dataclass
class ConnectLog:
    """The (host, port) of every connect while it was watched, in order."""

    seen: list[tuple[str, int]] = field(default_factory=list)
    block: bool = False  # refuse every connect (PermissionError) after recording it

    def forbidden(self, allow: Iterable[str] = ()) -> list[tuple[str, int]]:
        """The connects to an address that is neither public nor in `allow` (CIDRs)."""
        networks = parse_networks(allow)
        out = []
        for host, port in self.seen:
            address = ipaddress.ip_address(host.split("%", 1)[0])
            target = connect_address(address)
            if any(target.version == n.version and target in n for n in networks):
                continue
            if forbidden_reason(address) is not None:
                out.append((host, port))
        return out


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "socket.connect" or not _watchers:
        return
    address = args[1]
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[0], str):
        with _lock:
            blocked = False
            for log in _watchers:
                log.seen.append((address[0], int(address[1])))
                blocked = blocked or log.block
        if blocked:
            raise PermissionError(f"the test blocks every connect (to {address[0]})")


@contextmanager
def watch_connections(*, block: bool = False) -> Iterator[ConnectLog]:
    """Record every TCP/UDP connect of this process (all threads) inside the block.

    With `block`, every connect fails after it is recorded: a fuzz run that generates hosts
    can then never reach anything, even where the code under test would let it.
    """
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)  # audit hooks cannot be removed: it idles when unwatched
            _installed = True
        log = ConnectLog(block=block)
        _watchers.append(log)
    try:
        yield log
    finally:
        with _lock:
            _watchers.remove(log)
