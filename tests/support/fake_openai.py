"""A local server that speaks the OpenAI chat-completions wire format, for the LLM paths.

`FakeOpenAI` listens on 127.0.0.1 in a thread and answers `POST /v1/chat/completions` with
the real JSON shape (`id`, `object`, `choices[0].message.content`, `usage` …). What it says is
set per test: `.content` (a string, or a function of the request's messages), and `.mode`:

- "ok": a normal answer with `.content`
- "slow": the same after `.delay` seconds
- "error": HTTP `.status` (500 by default) with an OpenAI-style error body
- "garbage": HTTP 200 with a body that is not JSON at all
- "wrong_shape": HTTP 200 JSON without `choices`

Every request body is kept in `.requests` (parsed JSON).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.support.threaded_http import serve_in_thread, stop_serving

Mode = Literal["ok", "slow", "error", "garbage", "wrong_shape"]
Content = str | Callable[[list[dict[str, Any]]], str]


def completion_body(content: str, model: str) -> dict[str, Any]:
    """A chat.completion object as OpenAI returns it."""
    return {
        "id": "chatcmpl-fake0001",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": len(content.split()),
            "total_tokens": 100 + len(content.split()),
        },
        "system_fingerprint": "fp_fake",
    }


class FakeOpenAI:
    """The fake endpoint: `.base_url`, `.content`, `.mode`, `.delay`, `.status`, `.requests`."""

    def __init__(self) -> None:
        self.content: Content = "Eine kurze Antwort."
        self.mode: Mode = "ok"
        self.delay = 2.0
        self.status = 500
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to configure as HOERCLUB_LLM_BASE_URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        request = json.loads(handler.rfile.read(length) or b"{}")
        with self._lock:
            self.requests.append(request)
        if handler.path.rstrip("/") != "/v1/chat/completions":
            self._send(handler, 404, {"error": {"message": "not found", "type": "invalid"}})
            return
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            body = {"error": {"message": "The server had an error", "type": "server_error"}}
            self._send(handler, self.status, body)
            return
        if self.mode == "garbage":
            self._send_raw(handler, 200, b"<html>upstream proxy says hello</html>")
            return
        if self.mode == "wrong_shape":
            self._send(handler, 200, {"id": "x", "object": "chat.completion", "result": 42})
            return
        content = self.content(request["messages"]) if callable(self.content) else self.content
        self._send(handler, 200, completion_body(content, str(request.get("model"))))

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        FakeOpenAI._send_raw(handler, status, json.dumps(body).encode())

    @staticmethod
    def _send_raw(handler: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def __enter__(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = serve_in_thread(self._server)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server, self._thread)
