"""The public surface of the job queue: what the Telegram layer submits, sees and implements.

Everything the Telegram engineer needs is importable from here (or from ``bot.jobs``):

- :class:`JobRequest` / :class:`RenderPrefs` go into :meth:`JobService.submit`;
- :class:`SubmitResult`, :class:`JobView` come back;
- :data:`JobHandler` is the callable the Telegram layer supplies to :meth:`JobService.start`;
  it gets a :class:`JobContext` and does the rendering and the delivery;
- :data:`FailureHandler` (optional, also given to ``start``) is told once about every job that ends
  ``failed``, so the user can be told in German;
- :class:`AudioKey` / :class:`CachedAudio` are the ``file_id`` cache (:mod:`bot.jobs.audio_cache`);
  users' settings are kept by :mod:`bot.jobs.prefs`.

Delivery is **at most once**.  The handler calls :meth:`JobContext.mark_delivering` right before the
upload and :meth:`JobContext.mark_delivered` right after it.  A job found in ``delivering`` after a
crash (the upload may or may not have reached Telegram) is never sent again automatically: it ends
``failed`` with the key ``error.delivery_interrupted``, a WARNING is logged for the operator, and
the failure handler is called so the user can be offered to have it sent again, once
(:meth:`JobService.take_resend`).  A duplicate audio is
worse for a listener than one "please try again" message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.errors import HoerclubError

# "roundup": a chat's Morgenrunde, several feed stories in one audio (its source is their JSON).
# "pdf": a PDF sent as a file (its source names the Telegram file: see `pdf_source`).
JobKind = Literal["url", "text", "roundup", "pdf"]
JOB_KINDS: Final[tuple[JobKind, ...]] = ("url", "text", "roundup", "pdf")
# What a job makes of its article: the whole of it, its short version, or the Raumgespräch.
Variant = Literal["full", "summary", "talk"]
VARIANTS: Final[tuple[Variant, ...]] = ("full", "summary", "talk")
# How a user wants short versions made: the model where configured, always the model (and be
# told when it failed), or always the offline extractive summary.
SummaryBy = Literal["auto", "llm", "extractive"]
SUMMARY_BY: Final[tuple[SummaryBy, ...]] = ("auto", "llm", "extractive")
AudioFormat = Literal["audio", "voice"]  # "audio" = sendAudio MP3, "voice" = sendVoice OGG/Opus
JobState = Literal[
    "queued", "running", "rendered", "delivering", "delivered", "failed", "cancelled"
]

#: States in which a job still occupies the user's queue.
UNFINISHED_STATES: Final[tuple[JobState, ...]] = ("queued", "running", "rendered", "delivering")
#: States a job never leaves.
FINAL_STATES: Final[tuple[JobState, ...]] = ("delivered", "failed", "cancelled")

#: The error key of a job whose upload was interrupted by a crash (never retried, see above).
DELIVERY_INTERRUPTED_KEY: Final = "error.delivery_interrupted"
#: The same job once the user has asked for it to be sent again (the offer holds once).
DELIVERY_RESENT_KEY: Final = "error.delivery_resent"


# --- requests and answers ------------------------------------------------------------------


@dataclass(frozen=True)
class RenderPrefs:
    """How a user wants articles read (engine, tempo, file kind, host intro, summaries) and,
    for one job, what to make (whole article, short version, conversation; truncation)."""

    engine: str | None = None  # None: the configured default engine
    # Voice ids chosen for the reader and the host (None: the engine's own per language).
    voice: str | None = None
    host_voice: str | None = None
    tempo: float = 1.0
    format: AudioFormat = "audio"
    intro: bool = True
    truncate_words: int | None = None  # read only the first N words ("offer the first part")
    summary_first: bool = False  # a plain link makes the short version (user setting)
    summary_by: SummaryBy = "auto"  # user setting
    variant: Variant = "full"  # job option: what this job makes
    # Job options of a follow-up: render anew whatever was uploaded before ("Neu erstellen"),
    # and the job whose extracted article to read instead of loading the page again.
    fresh: bool = False
    from_job: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in ``jobs.options``)."""
        return {
            "engine": self.engine,
            "voice": self.voice,
            "host_voice": self.host_voice,
            "tempo": self.tempo,
            "format": self.format,
            "intro": self.intro,
            "truncate_words": self.truncate_words,
            "summary_first": self.summary_first,
            "summary_by": self.summary_by,
            "variant": self.variant,
            "fresh": self.fresh,
            "from_job": self.from_job,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenderPrefs:
        """Rebuild from :meth:`to_dict` output; unknown keys are ignored, missing ones default."""
        default = cls()
        fmt = data.get("format", default.format)
        truncate = data.get("truncate_words")
        summary_by = data.get("summary_by")
        variant = data.get("variant")
        from_job = data.get("from_job")
        return cls(
            engine=data.get("engine") or None,
            voice=data.get("voice") or None,
            host_voice=data.get("host_voice") or None,
            tempo=float(data.get("tempo", default.tempo)),
            format="voice" if fmt == "voice" else "audio",
            intro=bool(data.get("intro", default.intro)),
            truncate_words=int(truncate) if truncate is not None else None,
            summary_first=bool(data.get("summary_first", default.summary_first)),
            summary_by=next((s for s in SUMMARY_BY if s == summary_by), default.summary_by),
            variant=next((v for v in VARIANTS if v == variant), default.variant),
            fresh=bool(data.get("fresh", False)),
            from_job=int(from_job) if isinstance(from_job, int) and from_job > 0 else None,
        )


@dataclass(frozen=True)
class JobRequest:
    """One thing to read aloud for one user, as the Telegram layer saw it."""

    user_id: int
    chat_id: int
    kind: JobKind
    source: str  # the URL for kind "url", the text itself for kind "text"
    options: RenderPrefs = field(default_factory=RenderPrefs)
    status_message_id: int | None = None  # the status message the worker keeps editing
    reply_to_message_id: int | None = None  # the user's message the audio answers
    language: str = "de"  # the user's interface language ("de" or "en")


@dataclass(frozen=True)
class SubmitResult:
    """What :meth:`JobService.submit` answers."""

    job_id: int
    position_in_user_queue: int  # 1 = this is the user's only unfinished job
    deduplicated: bool  # another job for the same article and options is already in flight


@dataclass(frozen=True)
class JobView:
    """One line of ``/status``: an unfinished job of the user."""

    id: int
    state: JobState
    source: str
    title: str | None
    position: int  # 1-based place among the user's unfinished jobs, in submission order
    progress: int | None  # percent, as last reported by the handler
    chat_id: int = 0
    status_message_id: int | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Job:
    """A job as the handler sees it."""

    id: int
    request: JobRequest
    state: JobState
    attempts: int  # including the current one (1 on the first run)
    dedupe_key: str
    result: Mapping[str, Any] | None  # what mark_rendered stored (survives restarts)
    title: str | None = None
    error_key: str | None = None
    created_at: dt.datetime | None = None
    delivery: Mapping[str, Any] | None = None  # what mark_delivered stored (message ids …)


@dataclass(frozen=True)
class JobOutcome:
    """What a handler returns when it finished normally (delivered, or nothing left to do)."""

    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FailedJob:
    """Told to the :data:`FailureHandler` once when a job ends ``failed``."""

    job: Job
    error_key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None  # None when found interrupted after a crash


# --- the file_id cache ------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioKey:
    """What identifies one uploaded audio: article, variant, engine, voice, tempo and format."""

    article_key: str  # see article_key(): normalised URL or "text:<sha256>"
    engine: str
    voice: str
    tempo: float
    format: AudioFormat
    # "full", "talk", or "summary-<method>": a model's summary and the extractive one of the
    # same article are different audio.
    variant: str = "full"


@dataclass(frozen=True)
class CachedAudio:
    """A Telegram upload that can be sent again by ``file_id``."""

    file_id: str
    file_unique_id: str | None = None
    duration: int | None = None  # seconds
    title: str | None = None
    performer: str | None = None
    # What the caption said, so a reuse says the same: the Telegram layer's data (a JSON object,
    # e.g. its AudioMeta dict); None for uploads remembered before it was stored.
    meta: Mapping[str, Any] | None = None


# --- errors -----------------------------------------------------------------------------------


class QueueLimitError(HoerclubError):
    """The user already has the maximum number of unfinished jobs."""

    key = "error.queue_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} waiting jobs per user", limit=limit)
        self.limit = limit


class DailyLimitError(HoerclubError):
    """The user has used up today's number of jobs (days in UTC)."""

    key = "error.daily_limit"

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} jobs per user and day", limit=limit)
        self.limit = limit


class JobCancelledError(HoerclubError):
    """The job was cancelled (by the user, or its lease was lost); raised by JobContext calls."""

    key = "error.cancelled"


# --- the handler's side -----------------------------------------------------------------------


class JobContext(Protocol):
    """What a running job's handler gets: the job, progress reporting and the delivery gate."""

    @property
    def job(self) -> Job:
        """The job, with its request, attempt number and any result stored before a restart."""
        ...

    @property
    def shared_result(self) -> Mapping[str, Any] | None:
        """The rendered result of another job with the same dedupe key, if one exists.

        When set, the handler should deliver these files (if they still exist) instead of
        rendering again.  ``job.result`` (this job's own earlier render) takes precedence.
        """
        ...

    @property
    def cancelled(self) -> asyncio.Event:
        """Set when the user cancelled the job or the lease was lost; check it between stages."""
        ...

    async def report(self, progress: int, title: str | None = None) -> None:
        """Record progress (percent) and, once known, the article title (shown by /status)."""
        ...

    async def mark_rendered(self, result: Mapping[str, Any]) -> None:
        """Persist the rendered result (JSON: paths, duration, title …) so a restart skips it.

        Also makes the result available to waiting jobs with the same dedupe key.
        """
        ...

    async def mark_delivering(self) -> None:
        """Pass the delivery gate right before the upload; raises JobCancelledError if cancelled.

        Waits (bounded) until the user's earlier jobs are delivered, so audios arrive in
        submission order.  After this call a crash means the job is never sent again.
        """
        ...

    async def abort_delivery(self) -> None:
        """Undo mark_delivering when the handler knows nothing was sent (e.g. a 4xx answer)."""
        ...

    async def mark_delivered(self, summary: Mapping[str, Any]) -> None:
        """Record the delivery right after the upload succeeded (e.g. message id, file_id)."""
        ...


JobHandler = Callable[[JobContext], Awaitable[JobOutcome]]
"""Supplied by the Telegram layer: renders (or reuses) and delivers one job.

Raise a :class:`bot.errors.HoerclubError` for a final, user-facing failure (its key is stored);
any other exception is retried up to 3 attempts with backoff, then stored as ``error.unexpected``.
An exception raised while the job is ``delivering`` is not retried (at most once), unless the
handler called :meth:`JobContext.abort_delivery` first.
"""

FailureHandler = Callable[[FailedJob], Awaitable[None]]
"""Optional: told once about each job that ends ``failed`` (to edit the status message)."""


# --- keys -------------------------------------------------------------------------------------

# Query parameters that only track the reader; dropping them makes more links the same article.
TRACKING_PARAMS: Final[frozenset[str]] = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src", "wt_mc"}
)
TRACKING_PREFIXES: Final[tuple[str, ...]] = ("utm_", "at_", "pk_", "wt_")


def normalize_url(url: str) -> str:
    """The URL with scheme/host lowercased, default port, fragment and tracking params removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}:{parts.password or ''}@{host}"
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{netloc}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


@dataclass(frozen=True)
class SentFile:
    """A file a user sent: Telegram's ids for it and its name."""

    unique_id: str  # the same file sent again has the same one
    file_id: str  # what downloads it
    name: str = ""


def pdf_source(sent: SentFile) -> str:
    """The source of a "pdf" job: "<unique id>:<file id>:<name>" (ids hold no colon)."""
    return f"{sent.unique_id}:{sent.file_id}:{sent.name}"


def parse_pdf_source(source: str) -> SentFile | None:
    """The file a "pdf" job's source names, or None for a malformed one."""
    parts = source.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    return SentFile(parts[0], parts[1], parts[2])


def article_key(kind: JobKind, source: str) -> str:
    """The cache key of an article: its normalised URL, the sent file, or a hash of the text."""
    if kind == "url":
        return normalize_url(source)
    if kind == "pdf":
        return "pdf:" + source.split(":", 1)[0]
    text = " ".join(source.split())
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedupe_key(kind: JobKind, source: str, prefs: RenderPrefs) -> str:
    """Jobs with equal keys render the same audio: article key plus every render option."""
    return "|".join(
        (
            article_key(kind, source),
            prefs.engine or "-",
            f"{prefs.tempo:g}",
            prefs.format,
            "intro" if prefs.intro else "nointro",
            str(prefs.truncate_words) if prefs.truncate_words is not None else "-",
        )
        # Appended only for short versions and conversations, so a full job's key is unchanged.
        + ((prefs.variant, prefs.summary_by) if prefs.variant != "full" else ())
    )
