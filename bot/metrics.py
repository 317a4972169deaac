"""Prometheus metrics: the one home of ``prometheus-client``, a leaf any layer may import.

Every metric is named ``hoerclub_*`` and lives in the process's default registry; labels take
values from small fixed sets (job kinds, job states, engine names, status codes, fetch outcomes)
so the number of series stays bounded.  The job counts by state are fleet-wide: whoever serves
``/metrics`` refreshes them from the database first (:func:`bot.health.refresh_job_gauges`).
"""

from __future__ import annotations

import logging
from typing import Final

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
    "Feed fetches by the poller, by outcome (changed, not_modified, unchanged, error).",
    ["outcome"],
)

#: The render outcomes (values of RENDER_TIME's `outcome` label).
RENDER_OUTCOMES: Final = ("delivered", "cancelled", "retry", "failed", "stopped")
#: The feed fetch outcomes (values of FEED_FETCHES' `outcome` label).
FEED_OUTCOMES: Final = ("changed", "not_modified", "unchanged", "error")


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
