"""The job handler the workers run: reuse or render, then deliver, keeping the status current.

The rendering itself is in `render_job`; the stored forms of a render and a caption in
`rendered`; the job directories and their sweeping in `audio_files`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.config import Settings
from bot.errors import HoerclubError
from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    CachedAudio,
    FailedJob,
    JobCancelledError,
    JobContext,
    JobOutcome,
)
from bot.jobs.service import JobService
from bot.limits import MIN_TEXT_WORDS
from bot.pipeline.run import Pipeline
from bot.telegram.alerts import AdminAlerts
from bot.telegram.delivery import (
    Parcel,
    Sent,
    VoiceForbiddenError,
    answered,
    parcels_for,
    refused,
    send_parcel,
    upload_error,
)
from bot.telegram.keyboards import (
    audio_keyboard,
    resend_keyboard,
    summary_keyboard,
    too_long_keyboard,
)
from bot.telegram.progress import StatusMessage, edit_interval
from bot.telegram.render_job import JobRenderer
from bot.telegram.rendered import CachedCaption, Rendered, audio_key
from bot.telegram.texts import (
    error_text,
    format_duration,
    format_number,
    link_line,
    status_title,
    t,
)

logger = logging.getLogger(__name__)


# HTTP statuses that say the page is gone for good (RFC 9110: 404 Not Found, 410 Gone).
GONE_STATUSES: Final = (404, 410)


class KeyedLocks:
    """One lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[bool]:
        """Hold the key's lock; yields whether another holder had to be waited for."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        waited = lock.locked()
        try:
            async with lock:
                yield waited
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class JobRunner:
    """The JobHandler: answers from the file_id cache, or renders and uploads, for one job."""

    def __init__(
        self,
        bot: Bot,
        settings: Settings,
        pipeline: Pipeline,
        jobs: JobService,
        alerts: AdminAlerts,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.pipeline = pipeline
        self.jobs = jobs
        self.alerts = alerts
        self.renderer = JobRenderer(settings, pipeline)
        self._twins = KeyedLocks()

    # --- the handler ----------------------------------------------------------------------
    async def __call__(self, ctx: JobContext) -> JobOutcome:
        """Run one job: cached file_id, earlier render, or a new render; then deliver."""
        req = ctx.job.request
        status = StatusMessage(
            self.bot,
            req.chat_id,
            req.status_message_id,
            min_interval=edit_interval(req.chat_id),
        )
        try:
            # Two requests for the same audio at once render once: the second waits here,
            # then finds the first one's upload (file_id) or its files.
            async with self._twins.hold(ctx.job.dedupe_key) as waited:
                outcome = await self._from_cache(ctx, status)
                if outcome is not None:
                    return outcome
                rendered = Rendered.from_dict(ctx.job.result)
                if rendered is None and not req.options.fresh:
                    shared = ctx.shared_result
                    if waited:
                        shared = await self.jobs.shared_result_for(ctx.job)
                    rendered = _shareable(Rendered.from_dict(shared))
                if rendered is None:
                    rendered = await self.renderer.render(ctx, status)
                    await ctx.mark_rendered(rendered.to_dict())
                return await self._deliver(ctx, status, rendered)
        except JobCancelledError:
            await status.finish(t("status.cancelled", req.language))
            raise
        except BaseException:
            # Cancelled by /abbrechen (which edits the status itself), stopped by a shutdown
            # (the job resumes later) or failed (the failure handler writes the status): a
            # throttled progress edit must not land afterwards.
            await status.drop_pending()
            raise

    # --- reuse ----------------------------------------------------------------------------
    async def _from_cache(self, ctx: JobContext, status: StatusMessage) -> JobOutcome | None:
        """Send an earlier upload of exactly this audio by file_id; None when there is none.

        The cache is looked up under the engine the request asks for, so an outage's offline
        render (stored under the engine that spoke) never answers a request for the better one.
        """
        req = ctx.job.request
        if req.options.fresh:
            return None
        key = audio_key(self.settings, req.kind, req.source, req.options, None)
        cached = await self.jobs.audio_cache.get(key)
        if cached is None:
            return None
        return await self._send_cached(ctx, status, cached)

    def _buttons(self, ctx: JobContext, *, fell_back: bool = False) -> InlineKeyboardMarkup:
        """The other versions of the article, offered under the audio."""
        req = ctx.job.request
        return audio_keyboard(
            ctx.job.id,
            req.options.variant,
            req.language,
            llm=self.settings.llm_configured,
            fell_back=fell_back,
            tempo=req.options.tempo,
            fmt=req.options.format,
        )

    async def _send_cached(
        self, ctx: JobContext, status: StatusMessage, cached: CachedAudio
    ) -> JobOutcome | None:
        """Send a previous upload by file_id; None when Telegram no longer knows it."""
        req = ctx.job.request
        caption = CachedCaption.from_cached(cached, req)
        meta = caption.meta
        await ctx.report(100, meta.title)
        await ctx.mark_delivering()
        await status.update(
            t("status.sending", req.language, title=status_title(meta.title, req.language))
        )
        try:
            sent = await send_parcel(
                self.bot,
                req.chat_id,
                Parcel(cached.file_id, caption.duration, chapters=caption.chapters),
                fmt=req.options.format,
                meta=meta,
                locale=req.language,
                notes=caption.notes,
                reply_to=req.reply_to_message_id,
                buttons=self._buttons(ctx),
            )
        except TelegramError as exc:
            if answered(exc):
                # Nothing was sent and the file_id may be fine: the queue tries again later.
                await ctx.abort_delivery()
                raise
            if not refused(exc):
                raise
            await ctx.abort_delivery()
            if isinstance(upload_error(exc), VoiceForbiddenError):
                raise upload_error(exc) from exc
            logger.warning("job %s: cached file_id refused (%s); rendering", ctx.job.id, exc)
            return None
        summary = self._summary([sent], cached=True)
        await ctx.mark_delivered(summary)
        await status.remove()
        logger.info("job %s: delivered from the file_id cache", ctx.job.id)
        return JobOutcome(summary)

    # --- delivery -------------------------------------------------------------------------
    async def _deliver(
        self, ctx: JobContext, status: StatusMessage, rendered: Rendered
    ) -> JobOutcome:
        req = ctx.job.request
        locale = req.language
        await ctx.mark_delivering()
        if not all(path.is_file() for path in rendered.paths):
            # Another job's render, swept meanwhile: nothing was sent, so try again (the
            # retry finds the file_id that job stored, or renders anew).
            await ctx.abort_delivery()
            raise FileNotFoundError(f"rendered audio of job {ctx.job.id} vanished")
        await status.update(
            t("status.sending", locale, title=status_title(rendered.meta.title, locale))
        )
        await status.action("upload_voice")
        thumbnail = (
            await asyncio.to_thread(rendered.thumbnail.read_bytes) if rendered.thumbnail else None
        )
        sent: list[Sent] = []
        parcels = parcels_for(
            rendered.paths, rendered.part_durations, rendered.duration, rendered.part_chapters
        )
        try:
            for parcel in parcels:
                sent.append(
                    await send_parcel(
                        self.bot,
                        req.chat_id,
                        parcel,
                        fmt=req.options.format,
                        meta=rendered.meta,
                        locale=locale,
                        thumbnail=thumbnail,
                        notes=rendered.notes,
                        reply_to=req.reply_to_message_id,
                        # Under the last part, where the listener ends up.
                        buttons=(
                            self._buttons(ctx, fell_back=rendered.notes.fell_back)
                            if parcel is parcels[-1]
                            else None
                        ),
                    )
                )
        except TelegramError as exc:
            if not sent and answered(exc):
                # Telegram said "not now" even after a few tries: nothing reached the chat, so
                # the job queue may send it again later (its retries wait longer).
                await ctx.abort_delivery()
                raise
            if not sent and refused(exc):
                await ctx.abort_delivery()
                raise upload_error(exc) from exc
            raise
        summary = self._summary(sent, cached=False)
        await ctx.mark_delivered(summary)
        if len(sent) == 1:
            key = audio_key(
                self.settings,
                req.kind,
                req.source,
                req.options,
                rendered.engine,
                method=rendered.notes.summary_method,
            )
            await self.jobs.audio_cache.put(
                key,
                CachedAudio(
                    file_id=sent[0].file_id,
                    file_unique_id=sent[0].file_unique_id,
                    duration=max(1, round(rendered.duration)),
                    title=rendered.meta.title,
                    performer=rendered.meta.site,
                    meta=CachedCaption(
                        rendered.meta, parcels[0].duration, rendered.notes, parcels[0].chapters
                    ).to_dict(),
                ),
            )
        if rendered.notes.fell_back:
            await status.finish(
                t(
                    "status.done_fallback",
                    locale,
                    title=status_title(rendered.meta.title, locale),
                    duration=format_duration(rendered.duration, locale),
                )
            )
        else:
            await status.remove()
        logger.info(
            "job %s: delivered %d part(s), %.0f s, engine %s",
            ctx.job.id,
            len(sent),
            rendered.duration,
            rendered.engine,
        )
        return JobOutcome(summary)

    @staticmethod
    def _summary(sent: list[Sent], *, cached: bool) -> dict[str, Any]:
        return {
            "message_ids": [s.message_id for s in sent],
            "file_ids": [s.file_id for s in sent],
            "cached": cached,
        }

    # --- failures -------------------------------------------------------------------------
    async def on_failure(self, failed: FailedJob) -> None:
        """Turn a failed job's status message into the German explanation of what happened."""
        req = failed.job.request
        locale = req.language
        key = failed.error_key
        if req.kind == "text" and key == "error.no_article":
            key = "error.text_too_short"  # the page wording would confuse: there was no page
        key = _status_key(key, failed.params)
        # "Nochmal senden" is validated against the job's status message; without one (or for
        # a round-up, whose source is no link) the user is asked to send the link again.
        resend = key == DELIVERY_INTERRUPTED_KEY and _resendable(req.kind, req.status_message_id)
        if key == DELIVERY_INTERRUPTED_KEY and not resend:
            key = "error.delivery_interrupted_plain"
        text = error_text(key, locale, failed.params, defaults=self.error_defaults(locale))
        if req.kind == "url":
            # Several links fail alike: each error names its own (the first-part button also
            # finds the link here again, callback data being only 64 bytes).
            text += "\n\n" + link_line(req.source)
        markup: InlineKeyboardMarkup | None = None
        if failed.error_key == "error.too_long":
            markup = too_long_keyboard(self.settings.max_article_words, failed.job.id, locale)
        elif failed.error_key == "error.llm" and req.options.variant == "talk":
            markup = summary_keyboard(failed.job.id, locale)  # the offline short version works
        elif resend:
            markup = resend_keyboard(failed.job.id, locale)  # the user knows if it arrived
        status = StatusMessage(self.bot, req.chat_id, req.status_message_id)
        await status.finish(text, markup)
        if failed.error_key == "error.unexpected" or (
            failed.exception is not None and not isinstance(failed.exception, HoerclubError)
        ):
            await self.alerts.report(
                f"job {failed.job.id} ({req.kind}) for user {req.user_id} in chat {req.chat_id}: "
                f"{req.source[:200]}",
                failed.exception,
            )

    def error_defaults(self, locale: str) -> dict[str, object]:
        """Values the error messages may mention, from the settings."""
        return {
            "max_words": format_number(self.settings.max_article_words, locale),
            "min_words": MIN_TEXT_WORDS,
        }


def _shareable(rendered: Rendered | None) -> Rendered | None:
    """Another job's render, unless the offline voice spoke it for a busy engine."""
    if rendered is None or rendered.notes.fell_back:
        return None
    return rendered


def _resendable(kind: str, status_message_id: int | None) -> bool:
    """Whether a cut-off delivery can offer "Nochmal senden" (on its status message)."""
    return status_message_id is not None and kind in ("url", "text")


def _status_key(key: str, params: Mapping[str, Any]) -> str:
    """A page that is gone is told apart from a server that fails for now."""
    if key != "error.http_status":
        return key
    status = params.get("status")
    if status in GONE_STATUSES:
        return "error.gone"
    if isinstance(status, int) and status >= 500:
        return "error.server"
    return key
