"""`hoerclub feed`: what the poller would see, as an operator asks for it in a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.checkout import checkout_env
from tests.support.feed_server import FeedServer


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=checkout_env(dict(os.environ)),
        timeout=60,
        check=False,
    )


def test_feed_json_shows_the_discovered_feed(feed_server: FeedServer) -> None:
    feed_server.page(
        "/",
        '<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        "</head></html>",
    )
    feed = feed_server.feed("/atom.xml", title="Hörclub-Testseite", kind="atom")
    for number in range(4):
        feed.add(f"Meldung {number}", link=feed_server.url(f"/m{number}?utm_medium=rss"))
    result = _run("feed", feed_server.url("/"), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["feed_url"] == feed_server.url("/atom.xml")
    assert info["title"] == "Hörclub-Testseite"
    assert [entry["title"] for entry in info["entries"]][:2] == ["Meldung 3", "Meldung 2"]
    assert info["entries"][0]["link"] == feed_server.url("/m3")
    # One entry every 10 minutes: 144 a day, polled at the 5-minute lower bound.
    assert info["entries_per_day"] == 144.0
    assert info["next_interval_seconds"] == 300


def test_feed_failure_then_human_output(feed_server: FeedServer) -> None:
    feed_server.page("/leer", "<html><head><title>Kein Feed</title></head></html>")
    failed = _run("feed", feed_server.url("/leer"))
    assert failed.returncode == 3
    assert "hoerclub:" in failed.stderr
    # Once the site publishes a feed at a common path, the same page leads to it.
    feed_server.feed("/rss.xml", title="Lokales").add("Stadtrat tagt")
    result = _run("feed", feed_server.url("/leer"))
    assert result.returncode == 0, result.stderr
    assert "Lokales" in result.stdout
    assert "Stadtrat tagt" in result.stdout
