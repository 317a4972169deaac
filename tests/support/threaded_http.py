"""Running a stdlib HTTP server in a daemon thread: the one lifecycle the local fakes share."""

from __future__ import annotations

import socketserver
import threading

# How often serve_forever checks for shutdown; short, so stopping a fake takes no time.
POLL_INTERVAL = 0.05


def serve_in_thread(server: socketserver.BaseServer) -> threading.Thread:
    """Start `server.serve_forever` in a daemon thread and return the thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, daemon=True
    )
    thread.start()
    return thread


def stop_serving(server: socketserver.BaseServer | None, thread: threading.Thread | None) -> None:
    """Shut the server down, close its socket and wait (briefly) for its thread."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)
