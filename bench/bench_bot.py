"""The bot under load: 20 users send 50 links at once through the fake Bot API and fake gTTS.

`python -m bench.bench_bot [--users N] [--links N] [--words N] [--delay S] [--workers N]`

`hoerclub bot` runs as a real process (as in production: long polling, SQLite, the job workers,
AIORateLimiter) against the fake Bot API server (with Telegram's flood limits switched on) and
the fake gTTS endpoint answering each request after `--delay` seconds (300 ms, about Google's
time). The links point to distinct generated German articles on a local article server; user
`u` sends its share of them in one message (users 1…k get one more when links do not divide
evenly), all users at the same moment.

Measured: time to first audio per user (median, p95, max) from the moment all messages were
queued, total time until the last audio, peak memory (VmHWM) of the bot process, Telegram calls
made and 429s received, and whether every user got every audio exactly once, in order. The
baseline in the same run: one user with one link on an idle bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.pages import article_page

ROOT = Path(__file__).resolve().parents[1]
FIRST_USER = 10_001


@dataclass(frozen=True)
class Outcome:
    """What one load run measured."""

    first_audio: dict[int, float]  # user → seconds until their first audio
    total: float
    peak_rss_mb: float
    calls: int
    flood_429: int
    exactly_once: bool
    in_order: bool
    problems: list[str]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _plan(users: int, links: int) -> dict[int, list[int]]:
    """user id → article numbers, in the order the user sends them."""
    plan: dict[int, list[int]] = {FIRST_USER + u: [] for u in range(users)}
    for article in range(links):
        plan[FIRST_USER + article % users].append(article)
    return {user: arts for user, arts in plan.items() if arts}


class Bench:
    """The fakes, the article server and one bot process."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.telegram = FakeTelegram(flood_limits=True)
        self.gtts = FakeGTTS()
        self.articles = ArticleServer()
        self.proc: subprocess.Popen[bytes] | None = None

    def start_servers(self) -> None:
        """Start the fakes and publish the articles."""
        self.telegram.start()
        self.gtts.start()
        self.gtts.delay = self.args.delay
        self.articles.start()

    def url(self, article: int) -> str:
        """The URL of generated article number `article` (served on first use)."""
        path = f"/artikel-{article}.html"
        title = f"Bericht Nummer {article + 1} aus dem Stadtrat"
        return self.articles.add_route(
            path, body=article_page(title, self.args.words, seed=article * 97)
        )

    def start_bot(self, data_dir: Path) -> None:
        """`python -m bot bot` pointed at the fakes."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOERCLUB_", "TELEGRAM_"))}
        env.update(self.telegram.env())
        env.update(
            HOERCLUB_DATA_DIR=str(data_dir),
            HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
            HOERCLUB_TTS_ENGINE="gtts",
            HOERCLUB_GTTS_ENDPOINT=self.gtts.url,
            HOERCLUB_WORKERS=str(self.args.workers),
            HOERCLUB_TTS_CONCURRENCY=str(self.args.concurrency),
            HOERCLUB_LOG_LEVEL=self.args.log_level,
            PYTHONPATH=str(ROOT),
        )
        log = (self.workdir / "bot.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "bot"], env=env, cwd=self.workdir, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop_bot(self) -> float:
        """Stop the bot (SIGTERM) and return its peak memory in MB."""
        assert self.proc is not None
        peak = _peak_rss_mb(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        return peak

    def stop(self) -> None:
        """Stop everything."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.articles.stop()
        self.gtts.stop()
        self.telegram.stop()

    async def run(self, plan: dict[int, list[int]], wait: float) -> Outcome:
        """Send every user's links at once and wait until every audio arrived."""
        fake = self.telegram
        titles = {
            a: f"Bericht Nummer {a + 1} aus dem Stadtrat" for arts in plan.values() for a in arts
        }
        messages = {user: "\n".join(self.url(a) for a in arts) for user, arts in plan.items()}
        calls_before = len(fake.calls)
        started = time.time()
        for user, text in messages.items():
            fake.send_text(user, text, first_name=f"Nutzer {user}")
        expected = sum(len(arts) for arts in plan.values())

        def delivered(f: FakeTelegram) -> bool:
            return sum(1 for u in plan for m in f.sent(u) if m.kind == "audio") >= expected

        await fake.wait_for(delivered, wait, what=f"{expected} audios")
        total = time.time() - started
        await asyncio.sleep(2.0)  # anything sent twice would arrive now

        first_audio: dict[int, float] = {}
        exactly_once = in_order = True
        problems: list[str] = []
        for user, arts in plan.items():
            sent = [m for m in fake.sent(user) if m.kind == "audio"]
            got = [str((m.audio or {}).get("title")) for m in sent]
            want = [titles[a] for a in arts]
            if Counter(got) != Counter(want):
                exactly_once = False
                problems.append(f"user {user}: got {got}, wanted {want}")
            if got != want:
                in_order = False
            audio_calls = [
                c.at for c in fake.calls_to("sendAudio")
                if c.ok and c.params.get("chat_id") == user and c.at >= started
            ]  # fmt: skip
            if audio_calls:
                first_audio[user] = min(audio_calls) - started
            errors = [
                m.text for m in fake.sent(user)
                if m.kind == "text" and m.text and m.text[:1] in "⚠🤷🔒📏🚦📅😵🚫"
            ]  # fmt: skip
            problems.extend(f"user {user}: {text[:80]}" for text in errors)
        calls = fake.calls[calls_before:]
        return Outcome(
            first_audio=first_audio,
            total=total,
            peak_rss_mb=float("nan"),
            calls=len(calls),
            flood_429=sum(1 for c in calls if c.status == 429),
            exactly_once=exactly_once,
            in_order=in_order,
            problems=problems,
        )


async def _main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="hoerclub-bench-bot-") as tmp:
        workdir = Path(tmp)
        bench = Bench(args, workdir)
        bench.start_servers()
        try:
            # Baseline: one user, one link, an idle bot with empty caches.
            bench.start_bot(workdir / "baseline")
            await bench.telegram.wait_until_polling(timeout=60)
            base = await bench.run({FIRST_USER - 1: [10_000]}, wait=120)
            bench.stop_bot()

            bench.gtts.reset()
            bench.start_bot(workdir / "load")
            await bench.telegram.wait_until_polling(timeout=60)
            plan = _plan(args.users, args.links)
            load = await bench.run(plan, wait=args.timeout)
            peak = bench.stop_bot()
        finally:
            bench.stop()
            log = workdir / "bot.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            if args.keep_log is not None and log.exists():
                args.keep_log.write_bytes(log.read_bytes())

    firsts = list(load.first_audio.values())
    print(
        f"users {len(plan)}, links {args.links} ({args.words} words each), gTTS delay "
        f"{args.delay * 1000:.0f} ms, workers {args.workers}, TTS concurrency {args.concurrency}"
    )
    print(f"baseline (1 user, 1 link, idle bot): first audio {base.total:.1f} s")
    print(
        f"time to first audio per user: median {statistics.median(firsts):.1f} s, "
        f"p95 {_percentile(firsts, 0.95):.1f} s, max {max(firsts):.1f} s"
    )
    print(f"total until the last audio: {load.total:.1f} s")
    print(f"peak memory of the bot process (VmHWM): {peak:.0f} MB")
    print(
        f"Bot API calls {load.calls}, 429 answers {load.flood_429}, "
        f"gTTS requests {bench.gtts.requests}"
    )
    print(
        f"every user got every audio exactly once: {load.exactly_once}; in order: {load.in_order}"
    )
    for problem in load.problems[:10]:
        print("  problem:", problem)
    if load.problems and tail:
        print("bot log (tail):\n" + tail)
    return 0 if load.exactly_once and not load.problems else 1


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--links", type=int, default=50)
    parser.add_argument("--words", type=int, default=400, help="words per article")
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per gTTS request")
    parser.add_argument("--workers", type=int, default=3, help="HOERCLUB_WORKERS")
    parser.add_argument("--concurrency", type=int, default=4, help="HOERCLUB_TTS_CONCURRENCY")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--log-level", default="WARNING", help="the bot's HOERCLUB_LOG_LEVEL")
    parser.add_argument("--keep-log", type=Path, default=None, help="copy the bot's log here")
    args = parser.parse_args(argv)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())
