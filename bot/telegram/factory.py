"""Building the Telegram Application: handlers, rate limiter, commands, job workers."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Final

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.errors import UsageError
from bot.feeds.service import FeedService
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.telegram.alerts import AdminAlerts
from bot.telegram.api_retry import RetryingRequest
from bot.telegram.audio_files import sweep_audio_forever
from bot.telegram.feeds_delivery import DISPATCH_SECONDS, FeedDispatcher, FeedJobRunner
from bot.telegram.feeds_handlers import FeedHandlers
from bot.telegram.flood import build_rate_limiter
from bot.telegram.handlers import BotHandlers
from bot.telegram.history import HISTORY_PREFIX
from bot.telegram.keyboards import (
    ACTION_PREFIX,
    FIRST_PART_PREFIX,
    SETTINGS_PREFIX,
    VARIANT_PREFIX,
)
from bot.telegram.later import LATER_PREFIX
from bot.telegram.logsafety import protect_token
from bot.telegram.texts import t
from bot.telegram.updates import PerChatUpdateProcessor, UpdatesRequest
from bot.telegram.voices import VOICE_PREFIX
from bot.telegram.worker import JobRunner

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]

# Retries after a 429 (AIORateLimiter sleeps `retry_after` + 0.1 s before each).
RATE_LIMIT_RETRIES: Final = 5
# Telegram's FAQ: about 30 messages a second overall. AIORateLimiter's leaky bucket lets a full
# bucket burst on top of the rate (30 + 30 in one second after a pause); a bucket of one paced
# at 29/s never exceeds 30 in any one-second window (bench_bot saw 429s with the default).
OVERALL_MESSAGES_PER_SECOND: Final = 29
# Only what the handlers use. Always sent: when getUpdates omits `allowed_updates`, Telegram
# keeps the list of the previous call, which may be another program's.
ALLOWED_UPDATES: Final = (Update.MESSAGE, Update.CALLBACK_QUERY)
# Long-polling timeout of getUpdates (seconds), as in PTB's default.
POLL_TIMEOUT: Final = 10

# Command name → locale key of its description; German names are the default, English for "en".
# The conversation needs a language model: without one it stays out of the menu (the command
# itself still answers, saying what the operator would have to set).
COMMANDS_DE: Final = (
    ("lies", "commands.read"),
    ("kurz", "commands.summary"),
    ("gespraech", "commands.talk"),
    ("abo", "commands.subscribe"),
    ("abos", "commands.subscriptions"),
    ("clubs", "commands.clubs"),
    ("kuendigen", "commands.unsubscribe"),
    ("ruhezeit", "commands.quiet"),
    ("morgenrunde", "commands.roundup"),
    ("einstellungen", "commands.settings"),
    ("stimme", "commands.voice"),
    ("status", "commands.status"),
    ("verlauf", "commands.history"),
    ("spaeter", "commands.later"),
    ("liste", "commands.list"),
    ("abbrechen", "commands.cancel"),
    ("hilfe", "commands.help"),
    ("start", "commands.start"),
)
COMMANDS_EN: Final = (
    ("read", "commands.read"),
    ("summary", "commands.summary"),
    ("talk", "commands.talk"),
    ("subscribe", "commands.subscribe"),
    ("subscriptions", "commands.subscriptions"),
    ("clubs", "commands.clubs"),
    ("unsubscribe", "commands.unsubscribe"),
    ("quiet", "commands.quiet"),
    ("roundup", "commands.roundup"),
    ("settings", "commands.settings"),
    ("voice", "commands.voice"),
    ("status", "commands.status"),
    ("history", "commands.history"),
    ("later", "commands.later"),
    ("list", "commands.list"),
    ("cancel", "commands.cancel"),
    ("help", "commands.help"),
    ("start", "commands.start"),
)

_SERVICES_KEY: Final = "hoerclub.runner"
_SWEEPER_KEY: Final = "hoerclub.sweeper"
_FEEDS_KEY: Final = "hoerclub.feeds"


def build_application(
    settings: Settings,
    pipeline: Pipeline,
    jobs: JobService,
    feeds: FeedService | None = None,
    *,
    feed_interval: float | None = None,
    lifecycle: bool = True,
) -> BotApplication:
    """The Application with every handler, the rate limiter and the job workers' lifecycle.

    `post_init` registers the commands and starts the workers (and, with `feeds`, the feed
    loop); `post_stop` stops them. The caller owns `pipeline` and `jobs`' database and closes
    them after the application. With `lifecycle=False` (the `web` and `worker` roles) the
    caller starts what it needs: `start_job_workers`, `start_singletons`.
    """
    if settings.telegram_bot_token is None:
        raise UsageError("TELEGRAM_BOT_TOKEN is not set")
    # Opt in to PTB's future timedelta durations: the int form warns on every access.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    token = settings.telegram_bot_token.get_secret_value()
    protect_token(token)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .request(RetryingRequest())
        .get_updates_request(UpdatesRequest())
        .rate_limiter(
            build_rate_limiter(
                settings,
                overall_per_second=OVERALL_MESSAGES_PER_SECOND,
                max_retries=RATE_LIMIT_RETRIES,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor())
    )
    if lifecycle:
        builder = builder.post_init(_on_startup).post_stop(_on_stop)
    app: BotApplication = builder.build()
    alerts = AdminAlerts(app.bot, settings.admin_chat_id, secrets=(token,))
    handlers = BotHandlers(settings, jobs, alerts, pipeline)
    runner = FeedJobRunner(JobRunner(app.bot, settings, pipeline, jobs, alerts))
    app.bot_data[_SERVICES_KEY] = (settings, jobs, runner)

    app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.cmd_start))
    app.add_handler(CommandHandler(["hilfe", "help"], handlers.cmd_help))
    app.add_handler(CommandHandler(["lies", "read"], handlers.cmd_read))
    app.add_handler(CommandHandler(["kurz", "summary"], handlers.cmd_summary))
    app.add_handler(CommandHandler(["gespraech", "talk"], handlers.cmd_talk))
    app.add_handler(CommandHandler(["einstellungen", "settings"], handlers.cmd_settings))
    app.add_handler(CommandHandler(["stimme", "voice"], handlers.cmd_voice))
    app.add_handler(CommandHandler("status", handlers.cmd_status))
    app.add_handler(CommandHandler(["abbrechen", "cancel"], handlers.cmd_cancel))
    app.add_handler(CommandHandler(["verlauf", "history"], handlers.cmd_history))
    app.add_handler(CommandHandler(["spaeter", "later"], handlers.cmd_later))
    app.add_handler(CommandHandler(["liste", "list"], handlers.cmd_list))
    if feeds is not None and feeds.catalogue is not None:
        FeedHandlers(feeds, feeds.catalogue, jobs, handlers).register(app)
        app.bot_data[_FEEDS_KEY] = FeedDispatcher(
            app.bot,
            settings,
            jobs,
            feeds,
            pipeline.fetcher,
            clock=feeds.clock,
            interval=feed_interval or DISPATCH_SECONDS,
        )
    app.add_handler(
        CallbackQueryHandler(handlers.on_settings_button, pattern=f"^{SETTINGS_PREFIX}:")
    )
    app.add_handler(CallbackQueryHandler(handlers.on_voice_button, pattern=f"^{VOICE_PREFIX}:"))
    app.add_handler(
        CallbackQueryHandler(handlers.on_first_part_button, pattern=f"^{FIRST_PART_PREFIX}:")
    )
    app.add_handler(CallbackQueryHandler(handlers.on_variant_button, pattern=f"^{VARIANT_PREFIX}:"))
    app.add_handler(CallbackQueryHandler(handlers.on_action_button, pattern=f"^{ACTION_PREFIX}:"))
    app.add_handler(CallbackQueryHandler(handlers.on_history_button, pattern=f"^{HISTORY_PREFIX}:"))
    app.add_handler(CallbackQueryHandler(handlers.on_later_button, pattern=f"^{LATER_PREFIX}:"))
    # Last of the buttons: data no handler above claims still gets its toast (no endless spinner).
    app.add_handler(CallbackQueryHandler(handlers.on_unknown_button))
    pdf = filters.Document.MimeType("application/pdf") | filters.Document.FileExtension("pdf")
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & pdf, handlers.on_document))
    text_or_caption = filters.UpdateType.MESSAGE & (filters.TEXT | filters.CAPTION)
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & text_or_caption, handlers.on_private_message)
    )
    app.add_handler(
        MessageHandler(filters.ChatType.GROUPS & text_or_caption, handlers.on_group_message)
    )
    app.add_error_handler(handlers.on_error)
    return app


async def set_commands(app: BotApplication, *, llm: bool = False) -> None:
    """Register the command menu: German by default, English for English-speaking users."""
    shown = {k for _, k in COMMANDS_DE} - (set() if llm else {"commands.talk"})
    await app.bot.set_my_commands([BotCommand(c, t(k, "de")) for c, k in COMMANDS_DE if k in shown])
    await app.bot.set_my_commands(
        [BotCommand(c, t(k, "en")) for c, k in COMMANDS_EN if k in shown], language_code="en"
    )
    # What the empty chat shows before /start, and the profile's one line: German by default.
    for language, code in (("de", None), ("en", "en")):
        await app.bot.set_my_description(t("bot.description", language), language_code=code)
        await app.bot.set_my_short_description(
            t("bot.short_description", language), language_code=code
        )


async def _on_startup(app: BotApplication) -> None:
    settings, _, _ = app.bot_data[_SERVICES_KEY]
    await register_commands(app)
    start_singletons(app)
    await start_job_workers(app)
    logger.info("bot @%s ready; %d workers", app.bot.username, settings.workers)


async def _on_stop(app: BotApplication) -> None:
    await stop_singletons(app)
    await stop_job_workers(app)


async def register_commands(app: BotApplication) -> None:
    """The command menu and descriptions (what `post_init` does first in the polling bot)."""
    settings, _, _ = app.bot_data[_SERVICES_KEY]
    await set_commands(app, llm=settings.llm_configured)


def start_singletons(app: BotApplication) -> None:
    """Start the duties one process of a fleet runs: the audio sweep and the feed dispatcher."""
    settings, _, _ = app.bot_data[_SERVICES_KEY]
    app.bot_data[_SWEEPER_KEY] = asyncio.create_task(
        sweep_audio_forever(settings), name="hoerclub-audio-sweeper"
    )
    dispatcher: FeedDispatcher | None = app.bot_data.get(_FEEDS_KEY)
    if dispatcher is not None:
        dispatcher.start()


async def stop_singletons(app: BotApplication) -> None:
    """Stop what `start_singletons` started (nothing happens when it never ran)."""
    dispatcher: FeedDispatcher | None = app.bot_data.get(_FEEDS_KEY)
    if dispatcher is not None:
        await dispatcher.stop()
    sweeper: asyncio.Task[None] | None = app.bot_data.pop(_SWEEPER_KEY, None)
    if sweeper is not None:
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)


async def start_job_workers(app: BotApplication) -> None:
    """Start the job service's workers with the render-and-deliver runner."""
    _, jobs, runner = app.bot_data[_SERVICES_KEY]
    await jobs.start(runner, runner.on_failure)


async def stop_job_workers(app: BotApplication) -> None:
    """Stop the job workers (their jobs stay resumable)."""
    _, jobs, _ = app.bot_data[_SERVICES_KEY]
    await jobs.stop()


async def start_application(app: BotApplication, *, poll_interval: float = 0.0) -> None:
    """Initialise, run `post_init`, start polling and processing (what run_polling does)."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    if app.updater is None:
        raise RuntimeError("the application was built without an updater")
    await app.updater.start_polling(
        poll_interval=poll_interval,
        timeout=POLL_TIMEOUT,
        allowed_updates=list(ALLOWED_UPDATES),
    )
    await app.start()


async def stop_application(app: BotApplication) -> None:
    """Stop polling, finish running handlers, stop the workers, shut down (run_polling's order).

    Every step runs even when an earlier one fails, so connections are always closed.
    """
    try:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
    finally:
        try:
            if app.running:
                await app.stop()
        finally:
            try:
                if app.post_stop is not None:
                    await app.post_stop(app)
            finally:
                await app.shutdown()
                if app.post_shutdown is not None:
                    await app.post_shutdown(app)
