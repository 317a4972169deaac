"""A real redis-server on a free loopback port, started and stopped by the tests themselves.

Required in CI (.ci/run installs Debian's redis-server), skipped with a reason elsewhere when
the binary is missing. Nothing is saved to disk: `--save ''` and `--appendonly no`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Final

import pytest

from tests.support.tools import in_ci

REDIS_SERVER: Final = "/usr/bin/redis-server"
START_TIMEOUT: Final = 10.0


def redis_server_binary() -> str | None:
    """Debian's redis-server, or one on PATH, or None."""
    if Path(REDIS_SERVER).is_file():
        return REDIS_SERVER
    return shutil.which("redis-server")


def require_redis_server() -> str:
    """The binary's path; fails the test under CI=true and skips it elsewhere if absent."""
    binary = redis_server_binary()
    if binary is None:
        if in_ci():
            pytest.fail("redis-server is not installed: CI must test the limits on real Redis")
        pytest.skip("redis-server is not installed here; CI tests the limits on real Redis")
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pong(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
    return False


class RedisServer:
    """redis-server as a subprocess; `stop()` and `start()` again keep the port."""

    def __init__(self, binary: str, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """redis://127.0.0.1:<port>/0"""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        if self.running:
            return
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                os.environ.get("TMPDIR", "/tmp"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _pong(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server at once (SIGKILL: connections drop as in a crash)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
