"""The fleet under load: one `hoerclub web` and 1, 2 and 4 `hoerclub worker` processes.

`python -m bench.bench_fleet [--users N] [--links N] [--words N] [--delay S] [--fleets 1,2,4]`

Needs PostgreSQL: HOERCLUB_BENCH_POSTGRES_URL (e.g. postgresql+asyncpg://u@127.0.0.1/bench); that
database is wiped before each round. Every round starts a fresh fake Bot API server (updates
reach `web` by webhook), one `web` process and N `worker` processes (each with `--jobs` job
workers and one gTTS request at a time per job, so that a job's time is the network's),
against the fake gTTS endpoint answering each request after `--delay` seconds (300 ms, about
Google's time). Each user sends its links one message each, all users at the same moment.

Measured per round: throughput (links per second from the first message to the last audio),
time to first audio per user (median, p95), peak memory (VmHWM) of the web process and the
largest of the workers, and whether every audio arrived exactly once. The baseline is the
round with one worker: the ratios say how throughput grows with processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.storage.dbsupport import wipe
from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.fleet import WEBHOOK_SECRET, RoleProcess, fleet_env, free_port
from tests.support.pages import paragraphs

URL_ENV = "HOERCLUB_BENCH_POSTGRES_URL"
FIRST_USER = 20_001


@dataclass(frozen=True)
class Round:
    """What one fleet size measured."""

    workers: int
    seconds: float
    throughput: float
    first_median: float
    first_p95: float
    web_rss_mb: float
    worker_rss_mb: float
    exactly_once: bool


def unique_page(title: str, words: int, seed: int) -> bytes:
    """A news page whose every sentence names its article: no clip is shared between links,
    so each worker's clip cache answers nothing and every chunk costs a gTTS request."""
    body = []
    for p_index, text in enumerate(paragraphs(words, seed)):
        sentences = re.split(r"(?<=[.!?])\s+", text)
        marked = [
            f"Bericht {seed}, Absatz {p_index}, Satz {k}: {s}" for k, s in enumerate(sentences)
        ]
        body.append(f"<p>{html.escape(' '.join(marked))}</p>")
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title>'
    head += f'<meta property="og:title" content="{html.escape(title)}">'
    article = f"<article><h1>{html.escape(title)}</h1>{''.join(body)}</article>"
    return (
        f'<!doctype html><html lang="de"><head>{head}</head><body>{article}</body></html>'.encode()
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a running process in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _audio_titles(fake: FakeTelegram, users: list[int]) -> dict[int, list[str]]:
    return {
        user: [str(m.audio["title"]) for m in fake.sent(user) if m.kind == "audio" and m.audio]
        for user in users
    }


def run_round(
    workers: int, links: dict[int, list[tuple[str, str]]], args: argparse.Namespace, tmp: Path
) -> Round:
    """One web and `workers` workers render every link; returns the figures."""
    url = os.environ[URL_ENV]
    asyncio.run(wipe(url))
    users = list(links)
    total = sum(len(v) for v in links.values())
    port = free_port()
    with FakeTelegram(keep_uploads=False) as fake:
        common = {
            **fake.env(),
            "HOERCLUB_DATABASE_URL": url,
            "HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
            "HOERCLUB_TTS_ENGINE": "gtts",
            "HOERCLUB_GTTS_ENDPOINT": args.gtts_url,
            "HOERCLUB_TTS_CONCURRENCY": "1",
            "HOERCLUB_WORKERS": str(args.jobs),
            "HOERCLUB_MAX_WAITING_JOBS": str(max(len(v) for v in links.values())),
            "HOERCLUB_MAX_JOBS_PER_DAY": "1000",
        }
        web_env = {
            **common,
            "HOERCLUB_DATA_DIR": str(tmp / f"web{workers}"),
            "HOERCLUB_WEB_PORT": str(port),
            "HOERCLUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HOERCLUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        web = RoleProcess("web", fleet_env(web_env), tmp / f"web{workers}.log")
        fleet = [
            RoleProcess(
                "worker",
                fleet_env({**common, "HOERCLUB_DATA_DIR": str(tmp / f"w{workers}-{n}")}),
                tmp / f"worker{workers}-{n}.log",
            )
            for n in range(workers)
        ]
        try:
            web.wait_healthy(port, timeout=120)
            for worker in fleet:  # the clock starts when every worker listens for jobs
                worker.wait_logged("listening for new jobs", timeout=120)
            start = time.monotonic()
            sent_at: dict[int, float] = {}
            for user, items in links.items():
                sent_at[user] = time.monotonic()
                for link, _ in items:
                    fake.send_text(user, link)
            first: dict[int, float] = {}
            # Looked at four times a second rather than on every change of the fake's state:
            # reading every chat's messages holds the fake's lock, which the workers' calls need.
            deadline = start + args.timeout
            while True:
                now = time.monotonic()
                done = 0
                for user in users:
                    n = sum(1 for m in fake.sent(user) if m.kind == "audio")
                    if n and user not in first:
                        first[user] = now - sent_at[user]
                    done += n
                if done >= total:
                    break
                if now > deadline:
                    raise TimeoutError(f"{done} of {total} audios after {args.timeout:.0f} s")
                time.sleep(0.25)
            seconds = time.monotonic() - start
            time.sleep(1.0)  # a second copy of anything would arrive now
            web_rss = _peak_rss_mb(web.pid)
            worker_rss = max(_peak_rss_mb(w.pid) for w in fleet)
            titles = _audio_titles(fake, users)
            once = all(Counter(titles[u]) == Counter(title for _, title in links[u]) for u in users)
        finally:
            for process in (web, *fleet):
                process.close()
    firsts = list(first.values())
    return Round(
        workers=workers,
        seconds=seconds,
        throughput=total / seconds,
        first_median=statistics.median(firsts),
        first_p95=_percentile(firsts, 0.95),
        web_rss_mb=web_rss,
        worker_rss_mb=worker_rss,
        exactly_once=once,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the table; 0 when every audio arrived exactly once."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_fleet")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--links", type=int, default=3, help="links per user")
    parser.add_argument("--words", type=int, default=50, help="words per article")
    parser.add_argument("--jobs", type=int, default=2, help="job workers per process")
    parser.add_argument("--delay", type=float, default=0.3, help="fake gTTS seconds a request")
    parser.add_argument("--fleets", default="1,2,4", help="worker processes per round")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    args = parser.parse_args(argv)
    if not os.environ.get(URL_ENV):
        print(f"bench_fleet: set {URL_ENV} to a PostgreSQL database it may wipe; skipped")
        return 0
    sizes = [int(n) for n in args.fleets.split(",")]
    print(
        f"workload: {args.users} users x {args.links} links = {args.users * args.links} links, "
        f"{args.words} words each (+ a mark per sentence), fake gTTS {args.delay * 1000:.0f} ms "
        f"a request, one gTTS request at a time per job, {args.jobs} job workers per process, "
        f"one web + {'/'.join(map(str, sizes))} worker processes on PostgreSQL",
        flush=True,
    )
    rounds: list[Round] = []
    with (
        ArticleServer() as articles,
        FakeGTTS() as gtts,
        (
            contextlib.nullcontext(str(args.logs))
            if args.logs
            else tempfile.TemporaryDirectory(prefix="bench-fleet-")
        ) as tmp,
    ):
        gtts.delay = args.delay
        args.gtts_url = gtts.url
        for size in sizes:
            links: dict[int, list[tuple[str, str]]] = {}
            for u in range(args.users):
                user = FIRST_USER + u
                links[user] = []
                for n in range(args.links):
                    title = f"Bericht {size}-{u}-{n}"
                    link = articles.add_route(
                        f"/r{size}/u{u}/a{n}.html",
                        body=unique_page(title, args.words, seed=size * 10_000 + u * 100 + n),
                    )
                    links[user].append((link, title))
            rounds.append(run_round(size, links, args, Path(tmp)))
            r = rounds[-1]
            print(f"  {size} worker(s): {r.seconds:.1f} s", flush=True)
    base = rounds[0].throughput
    print(
        f"{'workers':>7} {'links/s':>8} {'ratio':>6} {'first med':>10} {'first p95':>10} "
        f"{'web MB':>7} {'worker MB':>10} {'once':>5}"
    )
    for r in rounds:
        print(
            f"{r.workers:>7} {r.throughput:>8.2f} {r.throughput / base:>5.2f}x "
            f"{r.first_median:>9.1f}s {r.first_p95:>9.1f}s {r.web_rss_mb:>7.0f} "
            f"{r.worker_rss_mb:>10.0f} {'yes' if r.exactly_once else 'NO':>5}"
        )
    return 0 if all(r.exactly_once for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
