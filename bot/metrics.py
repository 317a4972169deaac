"""Prometheus metrics: the one home of ``prometheus-client``, a leaf any layer may import.

Every metric is named ``hoerclub_*`` and lives in the process's default registry; labels take
values from small fixed sets (job kinds, job states, engine names, status codes, fetch outcomes)
so the number of series stays bounded.  The job counts by state are fleet-wide: whoever serves
``/metrics`` refreshes them from the database first (:func:`bot.health.refresh_job_gauges`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Final, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

logger = logging.getLogger(__name__)

# Buckets in seconds.  Queue wait: an idle fleet claims within the 1 s poll, a busy one makes
# users wait minutes behind long articles.  Render: a short text renders in a few seconds with
# gTTS, a two-hour article in about a minute, a conversation with an LLM in several.  TTS: gTTS
# answers a 200-character chunk in 0.2–0.5 s; the 10 s request timeout bounds the top.
QUEUE_WAIT_BUCKETS: Final = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
RENDER_BUCKETS: Final = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200)
TTS_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)

JOBS: Final = Gauge(
    "hoerclub_jobs",
    "Jobs in the database by state (the whole fleet's, read from the database).",
    ["state"],
)
QUEUE_WAIT: Final = Histogram(
    "hoerclub_job_queue_wait_seconds",
    "From a job's submission to its first claim by a worker.",
    ["kind"],
    buckets=QUEUE_WAIT_BUCKETS,
)
RENDER_TIME: Final = Histogram(
    "hoerclub_job_render_seconds",
    "From a worker's claim to the end of its handler (render and delivery), by how it ended.",
    ["kind", "outcome"],
    buckets=RENDER_BUCKETS,
)
TTS_LATENCY: Final = Histogram(
    "hoerclub_tts_request_seconds",
    "One request to a speech engine (answered or failed).",
    ["engine"],
    buckets=TTS_BUCKETS,
)
TTS_ERRORS: Final = Counter(
    "hoerclub_tts_errors",
    "Requests to a speech engine that failed.",
    ["engine"],
)
TELEGRAM_ERRORS: Final = Counter(
    "hoerclub_telegram_api_errors",
    "Bot API answers with an HTTP error status, by status code (every attempt counts).",
    ["code"],
)
FEED_FETCHES: Final = Counter(
    "hoerclub_feed_fetches",
    "Feed fetches by the poller, by outcome (fetched, not_modified, error).",
    ["outcome"],
)

#: The feed fetch outcomes (values of FEED_FETCHES' `outcome` label).
FEED_OUTCOMES: Final = ("fetched", "not_modified", "error")
_NOT_MODIFIED: Final = 304
# Every outcome is exported from the start, at 0: a rate over a series that appears only with
# its first error would miss that error.
for _outcome in FEED_OUTCOMES:
    FEED_FETCHES.labels(outcome=_outcome)


class _Answer(Protocol):
    @property
    def status(self) -> int: ...


class FeedFetch(Protocol):
    """What the feed poller knows of one fetch: an error, or the page that came back."""

    @property
    def error(self) -> str | None: ...

    @property
    def page(self) -> _Answer | None: ...


def count_feed_fetches(fetches: Iterable[FeedFetch]) -> None:
    """Count each fetch as failed (any error, parse errors too), not modified or fetched."""
    for fetch in fetches:
        if fetch.error is not None:
            outcome = "error"
        elif fetch.page is not None and fetch.page.status == _NOT_MODIFIED:
            outcome = "not_modified"
        else:
            outcome = "fetched"
        FEED_FETCHES.labels(outcome=outcome).inc()


@contextmanager
def tts_request(engine: str) -> Iterator[None]:
    """Time one request to a speech engine; count it as an error when it raises."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        TTS_ERRORS.labels(engine=engine).inc()
        raise
    finally:
        TTS_LATENCY.labels(engine=engine).observe(time.perf_counter() - started)


def telegram_code(status: int) -> str:
    """The label for a Bot API error status: the code itself, within HTTP's range."""
    return str(status) if 100 <= status <= 599 else "other"


def exposition() -> tuple[bytes, str]:
    """The default registry in Prometheus' text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def start_metrics_server(host: str, port: int) -> None:
    """Serve the default registry over HTTP at host:port in a daemon thread."""
    start_http_server(port, addr=host)
    logger.info("metrics served at http://%s:%s/metrics", host, port)
