"""CPU-heavy stages in worker processes: a deadline that really stops the work.

A thread cannot be stopped, so a pathological page (megabytes of nested elements) would keep a
CPU busy for minutes after its job was cancelled or timed out. Each extraction here runs in a
worker process of its own (a single-process pool, spawned once and then reused); when the
deadline passes or the caller is cancelled, that process is killed and a fresh one is spawned
for the next page, while extractions of other jobs in their own processes go on untouched.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import importlib
import logging
import multiprocessing
import threading
from collections.abc import Callable
from typing import Final, TypeVar

from bot.errors import ExtractTimeoutError

logger = logging.getLogger(__name__)

# A fresh worker imports the stage's module (for extraction: lxml, the cleaners) before it takes
# work; on a 2-core machine that takes well under a second, so 30 s only trips when it is stuck.
STARTUP_SECONDS: Final = 30.0

# Idle single-process pools, shared by every loader of this process (created on first use).
_idle: list[concurrent.futures.ProcessPoolExecutor] = []
_idle_lock = threading.Lock()


T = TypeVar("T")


def _ready(module: str) -> bool:
    """Run in a new worker: import the stage's module before the deadline starts."""
    importlib.import_module(module)
    return True


async def _take(module: str) -> concurrent.futures.ProcessPoolExecutor:
    with _idle_lock:
        if _idle:
            return _idle.pop()
    context = multiprocessing.get_context("spawn")
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(pool, _ready, module), STARTUP_SECONDS)
    except BaseException:
        _kill(pool)
        raise
    return pool


def _give_back(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    with _idle_lock:
        _idle.append(pool)


def _kill(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop the pool's worker now, whatever it is doing (the pool is not used again)."""
    # ProcessPoolExecutor has no public way to stop a busy worker before Python 3.14
    # (kill_workers); its process table is the documented-in-typeshed `_processes`.
    for process in list(pool._processes.values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


async def run_isolated(func: Callable[..., T], *args: object, deadline: float) -> T:
    """`func(*args)` in a worker process; ExtractTimeoutError after `deadline` seconds.

    `func` must be a module-level function (it is pickled by name); its arguments and result
    travel between the processes pickled, so the caller pays that copy.
    """
    pool = await _take(func.__module__)
    loop = asyncio.get_running_loop()
    try:
        result = await asyncio.wait_for(loop.run_in_executor(pool, func, *args), deadline)
    except TimeoutError:
        _kill(pool)
        logger.warning("%s stopped after %g s", func.__name__, deadline)
        raise ExtractTimeoutError(
            f"{func.__name__} took longer than {deadline:g} s", seconds=f"{deadline:g}"
        ) from None
    except concurrent.futures.process.BrokenProcessPool as exc:
        _kill(pool)
        logger.error("a stage worker died (%s); a new one takes the next call", exc)
        raise
    except asyncio.CancelledError:
        _kill(pool)  # the job was cancelled: its page must not keep a CPU busy
        raise
    except BaseException:
        _give_back(pool)  # an error of the input itself (no article, a paywall)
        raise
    _give_back(pool)
    return result


def shutdown_idle(*, wait: bool = False) -> None:
    """Stop the idle workers (busy ones end with their call)."""
    with _idle_lock:
        pools, _idle[:] = list(_idle), []
    for pool in pools:
        pool.shutdown(wait=wait)


# Idle pools left to the interpreter's teardown print "Exception ignored in weakref_cb" noise.
atexit.register(shutdown_idle, wait=True)
