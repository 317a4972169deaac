"""The exposition text, the stand-alone metrics server and the fleet-wide job counts."""

from __future__ import annotations

import socket
import urllib.request

from bot.health import refresh_job_gauges
from bot.jobs import JobService
from bot.metrics import exposition, start_metrics_server
from bot.storage.db import Database
from tests.jobs.support import url_request
from tests.metrics.support import sample


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_exposition_is_prometheus_text_with_our_names() -> None:
    body, content_type = exposition()
    assert content_type.startswith("text/plain")
    text = body.decode()
    for name in (
        "hoerclub_job_queue_wait_seconds",
        "hoerclub_job_render_seconds",
        "hoerclub_tts_request_seconds",
        "hoerclub_tts_errors",
        "hoerclub_telegram_api_errors",
        "hoerclub_feed_fetches",
        "hoerclub_jobs",
    ):
        assert f"# TYPE {name}" in text, name


def test_the_metrics_server_serves_the_text_over_http() -> None:
    port = _free_port()
    start_metrics_server("127.0.0.1", port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        body = answer.read().decode()
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert 'hoerclub_feed_fetches_total{outcome="error"}' in body


async def test_jobs_by_state_are_counted_from_the_database(db: Database) -> None:
    svc = JobService(db, workers=1, max_waiting_per_user=50, max_per_day=500)
    ids = [(await svc.submit(url_request(7, n))).job_id for n in range(3)]
    assert await svc.cancel_user(7) == 3
    await svc.submit(url_request(8, 1))
    await svc.submit(url_request(8, 2))
    # Another process's service (not started here) wrote these rows; the gauge reads the table.
    await refresh_job_gauges(db)
    assert sample("hoerclub_jobs", state="queued") == 2
    assert sample("hoerclub_jobs", state="cancelled") == len(ids)
    assert sample("hoerclub_jobs", state="running") == 0
    assert sample("hoerclub_jobs", state="delivered") == 0
