"""The command line's small tools: `normalize`, `feed` and `voices` (operator views)."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.errors import UsageError

EXIT_OK = 0


def cmd_normalize(args: argparse.Namespace) -> int:
    from bot.pipeline.article import decode_text  # noqa: PLC0415
    from bot.pipeline.normalize import normalize_lines  # noqa: PLC0415

    stream: TextIO
    if args.file in (None, "-"):
        # Line by line as it arrives (a pipe stays interactive); bytes that are not UTF-8
        # become U+FFFD rather than a traceback.
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    else:
        path = Path(args.file)
        if not path.is_file():
            raise UsageError(f"no such file: {args.file}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
        stream = io.StringIO(decode_text(data))  # any charset, as `read` decodes files
    with stream:
        for spoken in normalize_lines(stream):
            print(spoken)
    return EXIT_OK


async def cmd_feed(args: argparse.Namespace, settings: Settings) -> int:
    """What the poller would see at a feed URL, site URL or domain."""
    from bot.feeds.service import PREVIEW_ENTRIES, FeedService  # noqa: PLC0415
    from bot.pipeline.fetch import Fetcher  # noqa: PLC0415
    from bot.storage.db import Database  # noqa: PLC0415

    fetcher = Fetcher(settings)
    # A preview touches no database: the service gets one it never opens.
    service = FeedService(Database("sqlite+aiosqlite://"), fetcher, settings)
    try:
        preview = await service.preview(args.source)
    finally:
        await fetcher.aclose()
        await service.db.dispose()
    entries = [
        {
            "title": entry.title,
            "link": entry.link,
            "id": entry.id,
            "published": entry.published.isoformat() if entry.published else None,
            "summary": entry.summary,
        }
        for entry in preview.entries
    ]
    info = {
        "feed_url": preview.url,
        "title": preview.title,
        "link": preview.link,
        "entries": entries,
        "entry_count": len(entries),
        "entries_per_day": round(preview.entries_per_day, 1) if preview.entries_per_day else None,
        "next_interval_seconds": preview.interval_seconds,
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return EXIT_OK
    pace = f"{info['entries_per_day']} pro Tag" if info["entries_per_day"] else "unbekannt"
    print(f"Feed:       {preview.url}")
    print(f"Titel:      {preview.title or '–'}   Seite: {preview.link or '–'}")
    print(f"Einträge:   {len(entries)}, Takt: {pace}")
    print(f"Nächster Abruf in {preview.interval_seconds} s")
    for entry in entries[:PREVIEW_ENTRIES]:
        print(f"  {entry['published'] or '–':25}  {entry['title']}")
    return EXIT_OK


def cmd_voices(args: argparse.Namespace) -> int:
    from bot.tts.registry import voice_catalogue  # noqa: PLC0415

    voices = voice_catalogue()
    if args.language:
        voices = [v for v in voices if v.language == args.language.lower()]
    if args.json:
        print(json.dumps([dataclasses.asdict(v) for v in voices], ensure_ascii=False))
        return EXIT_OK
    genders = {"female": "weiblich", "male": "männlich", None: "–"}
    for v in voices:
        print(f"{v.engine:<7} {v.voice:<36} {v.locale or v.language:<6} "
              f"{genders[v.gender]:<9} {v.name}")  # fmt: skip
    return EXIT_OK


async def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the configured database into the one at --to; one line per table."""
    from bot.storage.migrate_db import migrate_database, safe_url  # noqa: PLC0415

    copies = await migrate_database(settings.effective_database_url, args.to, force=args.force)
    width = max(len(copy.table) for copy in copies)
    for copy in copies:
        verdict = "ok" if copy.ok else f"MISMATCH: {copy.source_rows} in the source"
        print(f"{copy.table:<{width}}  {copy.target_rows:>8} rows  {verdict}")
    if not all(copy.ok for copy in copies):
        print("hoerclub: the target's row counts differ from the source's", file=sys.stderr)
        return 1
    print(f"copied to {safe_url(args.to)}")
    return EXIT_OK
