"""The extraction deadline: a pathological page is stopped in its worker process, really."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ExtractTimeoutError
from bot.locales import translate
from bot.pipeline.article import ArticleLoader
from bot.pipeline.fetch import Fetcher
from bot.pipeline.isolate import shutdown_idle
from tests.jobs.support import wait_until

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "pages" / "clubhouse-musk.html"


def nested_page(megabytes: float = 3.0) -> str:
    """About 3 MB of divs nested 200 deep, over and over: about 10 s of extraction here."""
    depth = 200
    unit = "<div>Satz mit Wörtern. " * depth + "</div>" * depth
    body = unit * int(megabytes * 1_000_000 // len(unit))
    return f'<html lang="de"><body><article>{body}</article></body></html>'


def loader(timeout: float) -> ArticleLoader:
    settings = load_settings(HOERCLUB_EXTRACT_TIMEOUT=timeout)
    return ArticleLoader(Fetcher(settings), extract_timeout=settings.extract_timeout)


async def test_a_pathological_page_is_stopped_and_a_normal_page_still_extracts() -> None:
    pages = loader(1.0)
    started = time.monotonic()
    with pytest.raises(ExtractTimeoutError) as caught:
        await pages.load_html(nested_page(), url=None)
    # The deadline plus starting a worker process, far below the page's 10 s of work.
    assert time.monotonic() - started < 5.0
    message = translate(caught.value.key, "de", **caught.value.params)
    assert "innerhalb von 1 s" in message
    assert "verschachtelt" in message
    article = await pages.load_html(SAMPLE.read_text("utf-8"), url=None)
    assert article.words > 100
    assert "Elon Musk" in article.title


async def _children() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


async def test_cancelling_an_extraction_kills_its_worker_process() -> None:
    shutdown_idle()

    async def idle() -> bool:
        return not await _children()

    await wait_until(idle, what="idle workers gone")
    task = asyncio.create_task(loader(60.0).load_html(nested_page(), url=None))

    async def busy() -> bool:
        return bool(await _children())

    await wait_until(busy, what="a worker process")
    await asyncio.sleep(1.0)  # the worker is deep in the page now
    working = await _children()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def gone() -> bool:
        return not (working & await _children())

    # The page would keep its worker busy for about 9 s more if the work ran on.
    await wait_until(gone, timeout=2.0, what="the worker process killed")
