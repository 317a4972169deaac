"""Feeds in the running bot: the poller's loop, deliveries turned into jobs, the Morgenrunde.

Every cycle polls the due feeds once, tells the chats of a feed switched off, and hands what
is owed to the job service: one job per single delivery (jobs for the same article and
settings share one render; later chats get the upload by file_id) and one round-up job per
chat whose round-up is due. A delivery is claimed with a lease, submitted under its own
idempotency key and then finished, so a crash between the steps neither loses nor doubles it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.config import Settings
from bot.errors import HoerclubError, StorageUnavailableError
from bot.feeds.deliveries import DeliveryQueue, PendingDelivery, Roundup
from bot.feeds.poller import DeactivatedFeed, FeedPoller
from bot.feeds.roundup import (
    Story,
    decode_roundup,
    encode_roundup,
    plan_roundup,
    roundup_article,
    roundup_script,
    roundup_title,
)
from bot.feeds.schedule import Clock, utc_now, zone
from bot.feeds.service import FeedService
from bot.jobs.api import (
    FailedJob,
    JobContext,
    JobOutcome,
    JobRequest,
    RenderPrefs,
    Variant,
)
from bot.jobs.service import JobService
from bot.models import Article
from bot.pipeline.fetch import Fetcher
from bot.pipeline.run import Pipeline, RenderOptions
from bot.telegram.audio_files import job_dir
from bot.telegram.delivery import (
    UPLOAD_READ_TIMEOUT,
    UPLOAD_WRITE_TIMEOUT,
    refused,
    upload_error,
)
from bot.telegram.progress import NO_PREVIEW
from bot.telegram.texts import format_duration, shorten, t, t_count, visible_length
from bot.telegram.worker import JobRunner

logger = logging.getLogger(__name__)

# How often the loop looks for due feeds and deliveries: a quiet-hours end or a round-up time
# is met within seconds, and a cycle with nothing due is two small queries.
DISPATCH_SECONDS: Final = 5.0
ROUNDUP_PREFIX: Final = "rf"
# Telegram's caption limit (characters after entity parsing).
CAPTION_LIMIT: Final = 1024
# Story buttons per row under a round-up ("▶️ 1" … "▶️ 4").
BUTTONS_PER_ROW: Final = 4
_MAX_JOB_ID_DIGITS: Final = 19


# --- the round-up's buttons --------------------------------------------------------------------


@dataclass(frozen=True)
class StoryRequest:
    """One tap on a round-up's "▶️ n": the whole article of story `number` of job `job_id`."""

    job_id: int
    number: int


def story_data(job_id: int, number: int) -> str:
    """The callback data of a round-up's story button (at most 26 bytes)."""
    return f"{ROUNDUP_PREFIX}:{job_id}:{number}"


def parse_story(data: str) -> StoryRequest | None:
    """The job and story a round-up button names, or None for malformed data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != ROUNDUP_PREFIX:
        return None
    raw_job, raw_number = parts[1], parts[2]
    if not (raw_job.isascii() and raw_job.isdigit() and raw_number.isascii()):
        return None
    if not raw_number.isdigit() or len(raw_job) > _MAX_JOB_ID_DIGITS or len(raw_number) > 3:
        return None
    job_id, number = int(raw_job), int(raw_number)
    return StoryRequest(job_id, number) if job_id >= 1 and number >= 1 else None


def roundup_keyboard(job_id: int, count: int, locale: str) -> InlineKeyboardMarkup:
    """ "▶️ 1" … "▶️ n": each story's whole article."""
    buttons = [
        InlineKeyboardButton(
            t("feeds.roundup.button", locale, number=n), callback_data=story_data(job_id, n)
        )
        for n in range(1, count + 1)
    ]
    return InlineKeyboardMarkup(
        [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    )


def roundup_caption(title: str, stories: Sequence[Story], seconds: float, locale: str) -> str:
    """The round-up's caption: title, count and length, then the numbered, linked stories."""
    for chars in (120, 70, 40, 20):
        lines = [
            "🌅 <b>"
            + html.escape(title)
            + "</b>\n"
            + t_count("feeds.roundup.stories", len(stories), locale, count=len(stories))
            + " · "
            + format_duration(seconds, locale)
        ]
        for number, story in enumerate(stories, start=1):
            name = html.escape(shorten(story.title, chars))
            line = f"{number}. "
            if story.link.startswith(("http://", "https://")):
                line += f'<a href="{html.escape(story.link, quote=True)}">{name}</a>'
            else:
                line += name
            outlets = [o for o in (story.outlet, *story.also) if o]
            if outlets:
                line += " – " + html.escape(shorten(", ".join(outlets), chars))
            lines.append(line)
        caption = "\n".join(lines)
        if visible_length(caption) <= CAPTION_LIMIT:
            return caption
    return caption[:CAPTION_LIMIT]


# --- the jobs' handler -------------------------------------------------------------------------


class FeedJobRunner:
    """The job handler: round-ups are rendered here, every other job by the JobRunner."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    async def __call__(self, ctx: JobContext) -> JobOutcome:
        """Run one job."""
        if ctx.job.request.kind == "roundup":
            return await self._roundup(ctx)
        return await self.runner(ctx)

    async def on_failure(self, failed: FailedJob) -> None:
        """Tell the chat about a failed job (the JobRunner's messages serve both kinds)."""
        await self.runner.on_failure(failed)

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline the runner renders with."""
        return self.runner.pipeline

    async def _roundup(self, ctx: JobContext) -> JobOutcome:
        req = ctx.job.request
        decoded = decode_roundup(req.source)
        if decoded is None or not decoded[1]:
            raise HoerclubError(f"round-up job {ctx.job.id} has no stories")
        day, stories = decoded
        title = roundup_title(day)
        await ctx.report(0, title)
        stored = ctx.job.result or {}
        paths = [job_dir(self.runner.settings, ctx.job.id) / p for p in stored.get("files", ())]
        if paths and all(p.is_file() for p in paths):
            durations = [float(d) for d in stored.get("part_durations", ())]
            seconds = float(stored.get("duration", 0.0))
        else:
            paths, durations, seconds = await self._render(ctx, day, stories)
        await ctx.mark_delivering()
        caption = roundup_caption(title, stories, seconds, req.language)
        sent: list[Message] = []
        try:
            for index, path in enumerate(paths):
                last = index == len(paths) - 1
                part_title = title
                if len(paths) > 1:
                    part_title += " – " + t(
                        "caption.part", req.language, part=index + 1, parts=len(paths)
                    )
                sent.append(
                    await self.runner.bot.send_audio(
                        req.chat_id,
                        path,
                        duration=max(1, round(durations[index] if durations else seconds)),
                        performer="Hörclub",
                        title=part_title,
                        caption=caption if last else None,
                        parse_mode=ParseMode.HTML,
                        reply_markup=roundup_keyboard(ctx.job.id, len(stories), req.language)
                        if last
                        else None,
                        filename=path.name,
                        write_timeout=UPLOAD_WRITE_TIMEOUT,
                        read_timeout=UPLOAD_READ_TIMEOUT,
                    )
                )
        except TelegramError as exc:
            if not sent and refused(exc):
                await ctx.abort_delivery()
                raise upload_error(exc) from exc
            raise
        summary = {
            "message_ids": [m.message_id for m in sent],
            "file_ids": [m.audio.file_id for m in sent if m.audio is not None],
            "cached": False,
        }
        await ctx.mark_delivered(summary)
        logger.info("round-up job %s: %d stories to chat %s", ctx.job.id, len(stories), req.chat_id)
        return JobOutcome(summary)

    async def _render(
        self, ctx: JobContext, day: dt.date, stories: Sequence[Story]
    ) -> tuple[list[Path], list[float], float]:
        """Summarise every story's article (its teaser where it cannot be read) and render."""
        req = ctx.job.request
        texts: list[Article | None] = []
        for story in stories:
            texts.append(await self._summary(story, req.options))
        script = roundup_script(stories, texts, day)
        out_dir = job_dir(self.runner.settings, ctx.job.id)
        await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
        options = RenderOptions(
            engine=req.options.engine or self.runner.settings.tts_engine,
            format="mp3",
            tempo=req.options.tempo,
            intro=False,
            max_part_bytes=self.runner.renderer.max_part_bytes,
        )
        result = await self.pipeline.render(
            roundup_article(script, day), out_dir / "morgenrunde.mp3", options, None, script
        )
        durations = list(result.part_durations) or [result.duration_seconds]
        await ctx.mark_rendered(
            {
                "files": [p.name for p in result.paths],
                "part_durations": durations,
                "duration": result.duration_seconds,
                "title": roundup_title(day),
            }
        )
        return list(result.paths), durations, result.duration_seconds

    async def _summary(self, story: Story, prefs: RenderPrefs) -> Article | None:
        """The short version of the story's article, or None (the teaser is read instead)."""
        if not story.link:
            return None
        try:
            article = await self.pipeline.load(story.link)
            short = await self.pipeline.summarize(article, prefs.summary_by, intro=False)
        except HoerclubError as exc:
            logger.info("round-up story %s read from its teaser: %s", story.link, exc)
            return None
        return short.article


# --- the loop ----------------------------------------------------------------------------------


class FeedDispatcher:
    """Polls the feeds and turns what chats are owed into jobs (see the module docstring)."""

    def __init__(
        self,
        bot: Bot,
        settings: Settings,
        jobs: JobService,
        feeds: FeedService,
        fetcher: Fetcher,
        *,
        clock: Clock = utc_now,
        interval: float = DISPATCH_SECONDS,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.jobs = jobs
        self.feeds = feeds
        self.poller = FeedPoller(feeds.db, fetcher, settings, clock=clock)
        self.queue = DeliveryQueue(feeds.db, clock=clock)
        self.clock = clock
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the loop as a task until `stop`."""
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="hoerclub-feeds")

    async def stop(self) -> None:
        """End the loop; a cycle in progress is cancelled (its claims lapse and are retaken)."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.cycle()
            except Exception as exc:
                if not isinstance(exc, StorageUnavailableError):  # said once a minute by the db
                    logger.exception("feed cycle failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def cycle(self) -> None:
        """Poll due feeds, tell about switched-off ones, submit due deliveries and round-ups."""
        report = await self.poller.poll_once()
        for gone in report.deactivated:
            await self._tell_deactivated(gone)
        while True:
            singles = await self.queue.claim_singles()
            for delivery in singles:
                await self._submit_single(delivery)
            if not singles:
                break
        for roundup in await self.queue.claim_roundups():
            await self._submit_roundup(roundup)

    async def _language(self, chat_id: int) -> str:
        return await self.jobs.language_of(chat_id) or "de"

    async def _submit_single(self, delivery: PendingDelivery) -> None:
        chat = delivery.chat_id
        variant: Variant = "full" if delivery.content == "full" else "summary"
        prefs = dataclasses.replace(
            await self.jobs.prefs.get(chat), variant=variant, truncate_words=None
        )
        request = JobRequest(
            user_id=chat,
            chat_id=chat,
            kind="url",
            source=delivery.link,
            options=prefs,
            language=await self._language(chat),
        )
        try:
            result = await self.jobs.submit(request, request_key=delivery.job_key, limits=False)
        except Exception:
            await self.queue.release([delivery.id])
            raise
        await self.queue.finish([delivery.id], job_id=result.job_id)
        logger.info("feed delivery %s → job %s (chat %s)", delivery.id, result.job_id, chat)

    async def _submit_roundup(self, roundup: Roundup) -> None:
        chat = roundup.chat_id
        ids = [d.id for d in roundup.deliveries]
        settings = await self.feeds.chat_settings(chat)
        stories = plan_roundup(roundup.deliveries, settings.roundup_max)
        day = self.clock().astimezone(zone(settings.timezone)).date()
        prefs = dataclasses.replace(await self.jobs.prefs.get(chat), truncate_words=None)
        request = JobRequest(
            user_id=chat,
            chat_id=chat,
            kind="roundup",
            source=encode_roundup(day, stories),
            options=prefs,
            language=await self._language(chat),
        )
        # The oldest delivery's id names the round-up: claimed again after a crash, the same
        # deliveries (and perhaps newer ones) come back with the same first id.
        key = f"feed-roundup:{min(ids)}"
        try:
            result = await self.jobs.submit(request, request_key=key, limits=False)
        except Exception:
            await self.queue.release(ids)
            raise
        handed = ids
        if result.deduplicated:
            earlier = await self.jobs.get_job(result.job_id)
            decoded = decode_roundup(earlier.request.source) if earlier else None
            if decoded is not None:
                # Only what the earlier job reads is done; newer deliveries wait for the next.
                covered = {i for story in decoded[1] for i in story.delivery_ids} | {min(ids)}
                handed = [i for i in ids if i <= max(covered)]
                await self.queue.release([i for i in ids if i not in handed])
        await self.queue.finish(handed, job_id=result.job_id)
        logger.info("round-up of %d stories → job %s (chat %s)", len(stories), result.job_id, chat)

    async def _tell_deactivated(self, gone: DeactivatedFeed) -> None:
        for chat in gone.chat_ids:
            locale = await self._language(chat)
            try:
                await self.bot.send_message(
                    chat,
                    t(
                        "feeds.deactivated",
                        locale,
                        title=gone.title or gone.url,
                        url=gone.url,
                    ),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                )
            except TelegramError as exc:
                logger.info("feed %s: chat %s not told it is off: %s", gone.url, chat, exc)
