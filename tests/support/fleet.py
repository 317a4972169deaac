"""Processes of a fleet (`hoerclub web`, `hoerclub worker`) for tests and benchmarks."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.checkout import checkout_env

WEBHOOK_SECRET = "fleet-secret_0123456789"
# Settings of this machine a fleet process keeps (which ffmpeg and espeak-ng to use).
_KEPT = ("HOERCLUB_FFMPEG", "HOERCLUB_ESPEAK")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fleet_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This environment without our settings, plus `extra` (the fleet's settings)."""
    env = checkout_env(
        {
            k: v
            for k, v in os.environ.items()
            if k in _KEPT or not k.startswith(("HOERCLUB_", "TELEGRAM_"))
        }
    )
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class RoleProcess:
    """`python -m bot <role>` with its output in a log file."""

    def __init__(self, role: str, env: Mapping[str, str], log: Path) -> None:
        self.role = role
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", role],
            env=dict(env),
            cwd=log.parent,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.proc.pid

    def output(self) -> str:
        """Everything the process logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def logged(self, pattern: str) -> bool:
        """Whether a line of the log matches `pattern` (a regular expression)."""
        return re.search(pattern, self.output()) is not None

    def wait_logged(self, pattern: str, timeout: float) -> None:
        """Wait until the log matches `pattern`; AssertionError with the log's tail if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.logged(pattern):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = "\n".join(self.output().splitlines()[-30:])
        raise AssertionError(f"{self.role} never logged {pattern!r}:\n{tail}")

    def wait_healthy(self, port: int, timeout: float = 60.0) -> None:
        """Wait until GET /healthz on 127.0.0.1:port answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        tail = "\n".join(self.output().splitlines()[-30:])
        raise AssertionError(f"{self.role} on port {port} never became healthy:\n{tail}")

    def stop(self, sig: int) -> None:
        """Send a signal (SIGSTOP, SIGCONT, ...)."""
        os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as in a power cut."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Make sure the process is gone and the log is closed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._out.close()
