"""Command line: `hoerclub read|extract|normalize|voices|feed|demo|check|bot|run`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import re
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import __version__
from bot import cli_tools as tools
from bot.cli_output import output_target, publish, safe_filename, staged_output
from bot.config import Settings, load_settings
from bot.errors import HoerclubError, UsageError
from bot.limits import TEMPO_RANGE, tempo_allowed
from bot.locales import translate
from bot.tts.registry import ENGINE_NAMES

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
DEMO_OUTPUT = "artikel.mp3"
SAMPLE_NAME = "clubhouse-musk.html"


def _configure_logging(settings: Settings, verbose: bool, quiet: bool) -> None:
    """Configure logging once; the CLI's one-shot commands stay quiet unless asked."""
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level.upper(), logging.INFO)
    if quiet and not verbose:
        level = max(level, logging.ERROR)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL, and the Bot API URL contains the token.
    for noisy in ("httpx", "httpcore", "telegram.ext.ExtBot", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _message(error: HoerclubError, language: str = "de") -> str:
    """The user-facing sentence for an error, from the locale files."""
    return translate(error.key, language, **{k: str(v) for k, v in error.params.items()})


def _fail(error: HoerclubError) -> int:
    logger.info("failed: %s (%s)", error.key, error.detail)
    if isinstance(error, UsageError):
        print(f"hoerclub: {error.detail}", file=sys.stderr)  # the bot's wording speaks of /hilfe
        return error.exit_code
    detail = f" ({error.detail})" if error.detail and error.detail != error.key else ""
    message = re.sub(r"^\W+", "", _message(error))  # the bot's emoji prefix is noise on a terminal
    print(f"hoerclub: {message}{detail}", file=sys.stderr)
    return error.exit_code


class _TerminalProgress:
    """Stage lines and a chunk counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.last_stage = ""

    async def __call__(self, progress: Any) -> None:
        if not self.enabled:
            return
        labels = {
            "fetch": "Lade Seite …",
            "extract": "Lese Artikel …",
            "synthesize": "Spreche",
            "assemble": "Füge Audio zusammen …",
            "done": "Fertig.",
        }
        label = labels.get(progress.stage, progress.stage)
        if progress.stage == "synthesize":
            self.stream.write(f"\r{label}: {progress.done}/{progress.total} Abschnitte")
        else:
            prefix = "\n" if self.last_stage == "synthesize" else ""
            self.stream.write(f"{prefix}{label}\n")
        self.stream.flush()
        self.last_stage = progress.stage


async def _load(loader: Any, source: str) -> Any:
    if source == "-":
        # Bytes, not text: their charset is detected, binary data refused, the size bounded.
        data = sys.stdin.buffer.read(loader.max_bytes + 1)
        return await loader.load_bytes(data)
    return await loader.load(source, allow_local=True)


def _article_json(article: Any) -> dict[str, Any]:
    return {
        "title": article.title,
        "site": article.site,
        "author": article.author,
        "date": article.date.isoformat() if article.date else None,
        "language": article.language,
        "paywalled": article.paywalled,
    }


async def _cmd_read(args: argparse.Namespace, settings: Settings) -> int:
    from bot.pipeline.run import Pipeline, Progress, RenderOptions  # noqa: PLC0415 — fast --help
    from bot.pipeline.script import estimate_seconds  # noqa: PLC0415

    pipeline = Pipeline(settings)
    progress = _TerminalProgress(sys.stderr)
    try:
        await progress(Progress("fetch"))
        article = await _load(pipeline.loader, args.source)
        intro = settings.host_intro and not args.no_intro
        options = RenderOptions(
            engine=args.engine,
            format=args.format,
            intro=intro,
            tempo=args.tempo,
            subtitles=args.subtitles,
        )
        extra: dict[str, Any] = {"summary": False}
        script = None
        if args.summary or args.llm:
            short = await pipeline.summarize(article, "llm" if args.llm else "auto")
            if short.tell_user:
                note = "Das Sprachmodell war nicht verfügbar; Kurzfassung offline erstellt."
                print(f"hoerclub: {note}", file=sys.stderr)
            full_words = article.words
            article = short.article
            extra = {"summary": True, "summary_method": short.method, "full_words": full_words}
        elif args.talk:
            talk = await pipeline.talk(article)
            script = pipeline.talk_script(talk)
            lines = [{"speaker": t.speaker, "line": t.line} for t in talk.lines]
            extra = {"summary": False, "talk": True, "lines": lines}
        if args.dry_run:
            prepared = pipeline.prepare(article, options, script)
            text = "\n\n".join(s.text for s in script.segments) if script else article.text
            words = len(text.split()) if script else article.words
            info = (
                _article_json(article)
                | {
                    "words": words,
                    "estimated_seconds": round(estimate_seconds(words, args.tempo), 1),
                    "text": text,
                    "spoken": [chunk.text for chunk in prepared.chunks],
                }
                | extra
            )
            if args.json:
                print(json.dumps(info, ensure_ascii=False))
            else:
                _print_human(info, prepared.engine)
            return EXIT_OK
        target = output_target(args.output, safe_filename(article.title, args.format))
        started = time.perf_counter()
        with staged_output(target, args.format) as staging:
            result = await pipeline.render(article, staging, options, progress, script)
            paths = publish(result.paths, target)
            if result.subtitles is not None and target is not None:
                paths += publish([result.subtitles], target)  # beside the audio, like it
        elapsed = time.perf_counter() - started
        for path in paths:
            print(path)
        if article.paywalled:
            print(translate("note.paywalled", "de"), file=sys.stderr)
        note = f" (Ersatzstimme {result.engine})" if result.fell_back else ""
        print(
            f"{article.title}: {result.duration_seconds / 60:.1f} min Audio in {elapsed:.1f} s"
            f"{note}",
            file=sys.stderr,
        )
        return EXIT_OK
    finally:
        await pipeline.aclose()


def _print_human(info: dict[str, Any], engine: str) -> None:
    minutes = info["estimated_seconds"] / 60
    print(f"Titel:    {info['title']}")
    print(f"Quelle:   {info['site'] or '–'}   Autor: {info['author'] or '–'}")
    print(f"Datum:    {info['date'] or '–'}   Sprache: {info['language']}")
    print(f"Umfang:   {info['words']} Wörter, etwa {minutes:.1f} Minuten")
    print(f"Stimme:   {engine}, {len(info['spoken'])} Abschnitte")
    print()
    print(info["text"])
    print()
    print("— So wird es gesprochen —")
    for index, chunk in enumerate(info["spoken"], 1):
        print(f"{index:4d}  {chunk}")


async def _cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    # The loader alone, without synthesis and normalisation: `extract` starts in about 0.3 s.
    from bot.pipeline.article import ArticleLoader  # noqa: PLC0415
    from bot.pipeline.fetch import Fetcher  # noqa: PLC0415

    pipeline = ArticleLoader(Fetcher(settings))
    worst = EXIT_OK
    try:
        for source in args.sources:
            try:
                article = await _load(pipeline, source)
            except HoerclubError as exc:
                worst = max(worst, exc.exit_code)
                if args.json:
                    print(
                        json.dumps({"source": source, "error": _message(exc)}, ensure_ascii=False)
                    )
                else:
                    _fail(exc)
                continue
            if args.json:
                record = {"source": source, "title": article.title, "text": article.text}
                record |= {k: v for k, v in _article_json(article).items() if k != "title"}
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                print(f"# {article.title}\n# {article.site or ''} {article.date or ''}\n")
                print(article.text + "\n")
                if article.paywalled:
                    print(translate("note.paywalled", "de"), file=sys.stderr)
    finally:
        await pipeline.aclose()
    return worst


def find_sample() -> Path:
    """The sample article: examples/ in the checkout, or in the working directory (the image)."""
    candidates = [
        Path(__file__).resolve().parent.parent / "examples" / SAMPLE_NAME,
        Path.cwd() / "examples" / SAMPLE_NAME,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError("the sample article examples/clubhouse-musk.html is missing")


async def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.pipeline.run import Pipeline, RenderOptions  # noqa: PLC0415

    settings = settings.model_copy(update={"tts_engine": "espeak"})
    sample = find_sample()
    target = output_target(args.output, DEMO_OUTPUT)
    print(f"Hörclub-Demo: lese {sample.name} mit der Offline-Stimme (espeak-ng) …", file=sys.stderr)
    pipeline = Pipeline(settings)
    try:
        article = await pipeline.load(str(sample), allow_local=True)
        started = time.perf_counter()
        with staged_output(target, "mp3") as staging:
            result = await pipeline.render(
                article, staging, RenderOptions(engine="espeak"), _TerminalProgress(sys.stderr)
            )
            paths = publish(result.paths, target)
    finally:
        await pipeline.aclose()
    print(
        f"Fertig in {time.perf_counter() - started:.1f} s: „{article.title}“, "
        f"{result.duration_seconds / 60:.1f} Minuten.",
        file=sys.stderr,
    )
    for path in paths:
        print(f"Audiodatei: {path.resolve()}")
    return EXIT_OK


def _cmd_check(settings: Settings) -> int:
    from bot.pipeline.media import ffmpeg_exe  # noqa: PLC0415
    from bot.tts.registry import build_engine  # noqa: PLC0415

    ok = True
    print(f"Hörclub {__version__}, Python {sys.version.split()[0]}")
    try:
        print(f"ffmpeg:   {ffmpeg_exe()}")
    except HoerclubError as exc:
        ok = False
        print(f"ffmpeg:   FEHLT ({exc.detail})")
    try:
        engine = build_engine("espeak", settings)
        clip = asyncio.run(engine.synthesize("Hallo, hier ist der Hörclub.", "de"))
        print(f"espeak:   ok ({len(clip.data)} Bytes Testaudio, {clip.sample_rate} Hz)")
        asyncio.run(engine.aclose())
    except Exception as exc:
        ok = False
        print(f"espeak:   FEHLER ({exc})")
    print(f"Engine:   {settings.tts_engine}   gTTS-Endpunkt: {settings.gtts_endpoint}")
    print(f"Daten:    {settings.data_dir.resolve()}")
    print(f"Freigegebene Netze: {', '.join(settings.fetch_allow_networks) or '–'}")
    token = "gesetzt" if settings.telegram_bot_token else "nicht gesetzt (nur CLI und Demo)"
    print(f"Telegram: Token {token}, API {settings.telegram_api_base_url}")
    print(f"ffmpeg im PATH: {'ja' if shutil.which('ffmpeg') else 'nein (imageio-ffmpeg)'}")
    print("Alles bereit." if ok else "Es fehlt etwas (siehe oben).")
    return EXIT_OK if ok else 1


def _cmd_bot(settings: Settings) -> int:
    if settings.telegram_bot_token is None:
        raise UsageError("TELEGRAM_BOT_TOKEN is not set")
    from bot.app import run_bot  # noqa: PLC0415

    return int(run_bot(settings))


async def _cmd_maintenance(args: argparse.Namespace, settings: Settings) -> int:
    """Check the database, optionally back it up, then prune tables, clip cache and old audio."""
    from bot.app import maintain  # noqa: PLC0415 — the bot's wiring only for this command
    from bot.storage.db import Database  # noqa: PLC0415
    from bot.storage.maintenance import (  # noqa: PLC0415
        backup_sqlite,
        check_database_file,
        sqlite_path,
    )
    from bot.telegram.audio_files import sweep_audio  # noqa: PLC0415

    url = settings.effective_database_url
    await asyncio.to_thread(check_database_file, url)
    path = sqlite_path(url)
    if args.backup is not None:
        if path is None:
            raise UsageError("--backup copies a SQLite database; for PostgreSQL use pg_dump")
        if not path.exists():
            raise UsageError(f"no database at {path}")
        size = await asyncio.to_thread(backup_sqlite, path, Path(args.backup))
        print(f"backup: {args.backup} ({size} bytes)")
    db = Database(url)
    try:
        await db.migrate()
        report, clips = await maintain(settings, db)
    finally:
        await db.dispose()
    swept = await asyncio.to_thread(sweep_audio, settings)
    print(
        f"removed: {report.jobs} jobs, {report.usage} usage rows, {report.audio_cache} uploads, "
        f"{clips} cached clips, {swept} audio directories"
    )
    return 0


def _tempo(text: str) -> float:
    """An argparse type: a tempo inside TEMPO_RANGE."""
    try:
        tempo = float(text)
    except ValueError:
        tempo = math.nan
    if not tempo_allowed(tempo):
        low, high = TEMPO_RANGE
        raise argparse.ArgumentTypeError(f"tempo must be between {low:g} and {high:g}")
    return tempo


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="hoerclub", description="Hörclub: Artikel als Audio (CLI und Telegram-Bot)."
    )
    parser.add_argument("--version", action="version", version=f"hoerclub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    read = sub.add_parser("read", help="read an article aloud into an audio file")
    read.add_argument("source", help="http(s) URL, .html file, .txt file or - for stdin")
    read.add_argument("-o", "--output", help="output file (default: from the title)")
    read.add_argument("--engine", choices=ENGINE_NAMES, default=None)
    read.add_argument("--format", choices=["mp3", "ogg"], default="mp3")
    read.add_argument("--tempo", type=_tempo, default=1.0, help="playback speed, 0.5 to 2")
    read.add_argument("--dry-run", action="store_true", help="synthesise nothing, show the text")
    read.add_argument("--json", action="store_true", help="with --dry-run: one JSON object")
    read.add_argument("--no-intro", action="store_true", help="no host intro and outro")
    read.add_argument(
        "--subtitles", action="store_true", help="also write a WebVTT file beside the audio"
    )
    short = read.add_mutually_exclusive_group()
    short.add_argument("--summary", action="store_true", help="the short version (Kurzfassung)")
    short.add_argument(
        "--llm", action="store_true", help="the short version written by the language model"
    )
    short.add_argument(
        "--talk", action="store_true", help="a host-guest conversation (needs a language model)"
    )

    extract = sub.add_parser("extract", help="print the clean text of each source")
    extract.add_argument("sources", nargs="+")
    extract.add_argument("--json", action="store_true", help="one JSON object per line")

    norm = sub.add_parser("normalize", help="each input line in its spoken form")
    norm.add_argument("file", nargs="?", default="-")

    feed = sub.add_parser("feed", help="what the feed poller would see at a URL or domain")
    feed.add_argument("source", help="feed URL, site URL or bare domain (heise.de)")
    feed.add_argument("--json", action="store_true", help="one JSON object")

    demo = sub.add_parser("demo", help="offline demo: the sample article as artikel.mp3")
    demo.add_argument("-o", "--output", default=None)
    voices = sub.add_parser("voices", help="list the engines and their voices")
    voices.add_argument("--json", action="store_true", help="one JSON array")
    voices.add_argument("--language", help="only this language, e.g. de")
    sub.add_parser("check", help="verify the installation")
    upkeep = sub.add_parser(
        "maintenance", help="check and prune the database, the clip cache and old audio"
    )
    upkeep.add_argument("--backup", metavar="PATH", help="first copy the SQLite database to PATH")
    migrate = sub.add_parser("migrate-db", help="copy the database into another (PostgreSQL)")
    migrate.add_argument("--to", required=True, metavar="URL", help="the target database URL")
    migrate.add_argument("--force", action="store_true", help="replace rows the target holds")
    sub.add_parser("bot", help="run the Telegram bot (long polling)")
    sub.add_parser("web", help="the webhook front end of a fleet (handlers, no rendering)")
    sub.add_parser("worker", help="a worker of a fleet: renders and delivers jobs")
    sub.add_parser("run", help="the bot when TELEGRAM_BOT_TOKEN is set, else the demo")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `hoerclub` and `python -m bot`."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        settings = load_settings()
    except ValueError as exc:
        print(f"hoerclub: Einstellung ungültig: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if settings.tts_engine not in ENGINE_NAMES:
        choices = ", ".join(ENGINE_NAMES)
        print(f"hoerclub: Einstellung ungültig: HOERCLUB_TTS_ENGINE={settings.tts_engine!r} "
              f"(möglich: {choices})", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    _configure_logging(
        settings, args.verbose, quiet=args.command not in ("bot", "run", "web", "worker")
    )
    try:
        if args.command == "read":
            if args.json and not args.dry_run:
                raise UsageError("--json needs --dry-run")
            return asyncio.run(_cmd_read(args, settings))
        if args.command == "extract":
            return asyncio.run(_cmd_extract(args, settings))
        if args.command == "normalize":
            return tools.cmd_normalize(args)
        if args.command == "demo":
            return asyncio.run(_cmd_demo(args, settings))
        if args.command == "voices":
            return tools.cmd_voices(args)
        if args.command == "feed":
            return asyncio.run(tools.cmd_feed(args, settings))
        if args.command == "check":
            return _cmd_check(settings)
        if args.command == "maintenance":
            return asyncio.run(_cmd_maintenance(args, settings))
        if args.command == "migrate-db":
            return asyncio.run(tools.cmd_migrate_db(args, settings))
        if args.command == "bot":
            return _cmd_bot(settings)
        if args.command in ("web", "worker"):
            from bot.roles import run_role  # noqa: PLC0415

            return run_role(args.command, settings)
        if args.command == "run":
            if settings.telegram_bot_token is not None:
                return _cmd_bot(settings)
            print("TELEGRAM_BOT_TOKEN ist nicht gesetzt: starte die Offline-Demo.", file=sys.stderr)
            args.output = None
            return asyncio.run(_cmd_demo(args, settings))
    except HoerclubError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print("hoerclub: abgebrochen.", file=sys.stderr)
        return 130
    except Exception as exc:
        logger.exception("unexpected error")
        print(f"hoerclub: Unerwarteter Fehler: {exc!r}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE
