"""Rendering a job: its article, its variant, the audio and its cover, with live progress."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Final, Literal, TypeVar
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import PdfBrokenError
from bot.jobs.api import (
    JobCancelledError,
    JobContext,
    RenderPrefs,
    parse_pdf_source,
)
from bot.models import Article, Script
from bot.pipeline.run import Pipeline, Progress, RenderOptions
from bot.pipeline.script import estimate_seconds
from bot.telegram.articles import load_article, save_article
from bot.telegram.audio_files import job_dir
from bot.telegram.documents import download_file
from bot.telegram.progress import StatusMessage
from bot.telegram.rendered import Rendered
from bot.telegram.texts import (
    AudioMeta,
    CaptionNotes,
    format_duration,
    link_label,
    status_title,
    t,
)
from bot.telegram.thumbnail import embed_cover, make_cover, make_thumbnail

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Headroom under the upload limit for the multipart envelope, caption and thumbnail (≤ 200 kB).
UPLOAD_HEADROOM: Final = 256 * 1024
# /status shows progress from the database; a write every few percent is plenty.
REPORT_STEP_PERCENT: Final = 5


class _Reporter:
    """Turns pipeline progress into status edits and (sparser) database progress."""

    def __init__(
        self, ctx: JobContext, status: StatusMessage, locale: str, title: str, duration: str
    ) -> None:
        self.ctx = ctx
        self.status = status
        self.locale = locale
        self.title = title
        self.duration = duration
        self.reported = -REPORT_STEP_PERCENT
        self.shown = 0  # the highest percent shown so far: progress never goes back
        self.base = 0  # where a restart (the offline voice taking over) continues from
        self.raw = 0

    def _percent(self, raw: int) -> int:
        """The percent to show: a restarted synthesis continues from where it was."""
        if raw < self.raw:
            self.base = self.shown
        self.raw = raw
        self.shown = max(self.shown, self.base + (100 - self.base) * raw // 100)
        return self.shown

    async def __call__(self, progress: Progress) -> None:
        if self.ctx.cancelled.is_set():
            raise JobCancelledError("cancelled during rendering")
        await self.status.action("record_voice")
        if progress.stage == "synthesize":
            percent = self._percent(progress.percent)
            await self.status.update(
                t(
                    "status.speaking",
                    self.locale,
                    title=self.title,
                    duration=self.duration,
                    percent=percent,
                )
            )
            if percent - self.reported >= REPORT_STEP_PERCENT or percent == 100:
                self.reported = percent
                await self.ctx.report(percent)
        elif progress.stage == "assemble":
            await self.status.update(
                t("status.assembling", self.locale, title=self.title, duration=self.duration)
            )


class JobRenderer:
    """Makes a job's audio files from its request (the pipeline does the work)."""

    def __init__(self, settings: Settings, pipeline: Pipeline) -> None:
        self.settings = settings
        self.pipeline = pipeline

    async def render(self, ctx: JobContext, status: StatusMessage) -> Rendered:
        """Load the article, make its variant, synthesise and assemble it, with its cover."""
        req = ctx.job.request
        locale = req.language
        prefs = req.options
        check_cancelled(ctx)
        article = await self._article(ctx, status)
        check_cancelled(ctx)
        article, script, notes = await self._variant(ctx, status, article)
        if script is not None:
            words = sum(len(segment.text.split()) for segment in script.segments)
            estimate = estimate_seconds(words, prefs.tempo)
        else:
            estimate = self.pipeline.estimate_seconds(article, prefs.tempo)
        truncate = prefs.truncate_words if prefs.variant == "full" else None
        if truncate and article.words > truncate:
            estimate *= truncate / article.words
        title = status_title(article.title, locale)
        duration = format_duration(estimate, locale)
        await ctx.report(0, article.title)
        await status.update(t("status.article", locale, title=title, duration=duration))

        out_dir = job_dir(self.settings, ctx.job.id)
        await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
        fmt: Literal["mp3", "ogg"] = "ogg" if prefs.format == "voice" else "mp3"
        thumb_task = (
            asyncio.create_task(self._thumbnail(article, out_dir)) if fmt == "mp3" else None
        )
        options = RenderOptions(
            engine=prefs.engine or self.settings.tts_engine,
            format=fmt,
            tempo=prefs.tempo,
            intro=prefs.intro,
            truncate_words=truncate,
            max_part_bytes=self.max_part_bytes,
            chosen_voices=chosen_voices(prefs),
        )
        reporter = _Reporter(ctx, status, locale, title, duration)
        try:
            result = await until_cancelled(
                ctx,
                self.pipeline.render(article, out_dir / f"audio.{fmt}", options, reporter, script),
            )
        except BaseException:
            if thumb_task is not None:
                thumb_task.cancel()
            raise
        thumbnail = await thumb_task if thumb_task else None
        if fmt == "mp3":
            thumbnail = await self._cover(article, result.paths, thumbnail, out_dir)
        truncated = truncate if truncate is not None and article.words > truncate else None
        return Rendered(
            paths=tuple(result.paths),
            format=result.format,
            duration=result.duration_seconds,
            part_durations=tuple(result.part_durations),
            engine=result.engine,
            voice=result.voice,
            notes=dataclasses.replace(
                notes,
                fell_back=result.fell_back,
                spoken_by=result.engine if result.fell_back else None,
                truncated_words=truncated,
            ),
            meta=self._meta(article),
            thumbnail=thumbnail,
            part_chapters=result.part_chapters,
        )

    async def _article(self, ctx: JobContext, status: StatusMessage) -> Article:
        """The job's article: kept from the job it follows up, else loaded stage by stage.

        Either way it is kept with this job, for the follow-ups its buttons offer.
        """
        req = ctx.job.request
        locale = req.language
        article: Article | None = None
        if req.options.from_job is not None:
            article = await load_article(job_dir(self.settings, req.options.from_job))
        if article is None and req.kind == "url":
            link = link_label(req.source)
            await status.update(t("status.fetching", locale, link=link))
            await status.action("typing")

            async def fetched() -> None:
                await status.update(t("status.extracting", locale, link=link))

            article = await until_cancelled(ctx, self.pipeline.load(req.source, on_fetched=fetched))
        elif article is None and req.kind == "pdf":
            article = await until_cancelled(ctx, self._pdf(req.source, status, locale))
        elif article is None:
            await status.update(t("status.reading_text", locale))
            article = self.pipeline.article_from_text(req.source)
        await save_article(job_dir(self.settings, ctx.job.id), article)
        return article

    async def _pdf(self, source: str, status: StatusMessage, locale: str) -> Article:
        """A sent PDF: downloaded from Telegram, read under the pages' limits."""
        sent = parse_pdf_source(source)
        if sent is None:
            raise PdfBrokenError(f"malformed file source {source[:80]!r}")
        await status.update(t("status.reading_pdf", locale))
        await status.action("typing")
        data = await download_file(status.bot, sent.file_id)
        return await self.pipeline.loader.load_pdf(data, None, sent.name or None)

    async def _variant(
        self, ctx: JobContext, status: StatusMessage, article: Article
    ) -> tuple[Article, Script | None, CaptionNotes]:
        """What the job reads: the article, its short version, or the conversation's script."""
        req = ctx.job.request
        variant = req.options.variant
        notes = CaptionNotes(variant=variant, paywalled=article.paywalled)
        if variant == "summary":
            await status.update(t("status.summarizing", req.language))
            short = await until_cancelled(
                ctx,
                self.pipeline.summarize(article, req.options.summary_by, intro=req.options.intro),
            )
            full_seconds = self.pipeline.estimate_seconds(article, req.options.tempo)
            notes = dataclasses.replace(
                notes,
                full_seconds=full_seconds,
                summary_method=short.method,
                summary_fell_back=short.tell_user,
            )
            return short.article, None, notes
        if variant == "talk":
            await status.update(t("status.talking", req.language))
            talk = await until_cancelled(ctx, self.pipeline.talk(article))
            return article, self.pipeline.talk_script(talk), notes
        return article, None, notes

    @property
    def max_part_bytes(self) -> int:
        """The largest part the pipeline may write so that each upload fits Telegram's limit."""
        limit = self.settings.upload_limit_bytes
        return max(limit - UPLOAD_HEADROOM, limit * 3 // 4)

    @staticmethod
    def _meta(article: Article) -> AudioMeta:
        return AudioMeta(
            title=article.title,
            url=article.url,
            site=article.site,
            author=article.author,
            date=article.date.isoformat() if article.date else None,
        )

    async def _cover(
        self, article: Article, paths: tuple[Path, ...], thumbnail: Path | None, out_dir: Path
    ) -> Path | None:
        """Embed the cover (the article's image, else a generated one) and the author.

        Returns the thumbnail to send: the article's, else the generated cover.
        """
        if thumbnail is not None:
            cover: bytes | None = await asyncio.to_thread(thumbnail.read_bytes)
        else:
            site = article.site or (urlsplit(article.url).hostname if article.url else None)
            cover = await make_cover(site.removeprefix("www.") if site else None)
            if cover is not None:
                thumbnail = out_dir / "thumb.jpg"
                await asyncio.to_thread(thumbnail.write_bytes, cover)
        if cover is not None:
            for path in paths:
                await embed_cover(path, cover, author=article.author)
        return thumbnail

    async def _thumbnail(self, article: Article, out_dir: Path) -> Path | None:
        """The article image as a small JPEG next to the audio, or None."""
        try:
            image = await self.pipeline.fetch_thumbnail(article)
            data = await make_thumbnail(image) if image else None
        except Exception:  # a missing cover never fails a job
            logger.exception("thumbnail for %s failed", article.url)
            return None
        if data is None:
            return None
        path = out_dir / "thumb.jpg"
        await asyncio.to_thread(path.write_bytes, data)
        return path


def check_cancelled(ctx: JobContext) -> None:
    """Stop here when the job was cancelled."""
    if ctx.cancelled.is_set():
        raise JobCancelledError("cancelled")


async def until_cancelled(ctx: JobContext, work: Awaitable[T]) -> T:
    """Await `work`, but stop it as soon as the job is cancelled."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(ctx.cancelled.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    finally:
        waiter.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise JobCancelledError("cancelled")
    return task.result()


def chosen_voices(prefs: RenderPrefs) -> tuple[tuple[str, str], ...]:
    """The listener's voices by role, for the render options."""
    chosen = (("reader", prefs.voice), ("host", prefs.host_voice or prefs.voice))
    return tuple((role, voice) for role, voice in chosen if voice)
