"""Bounded time, asserted: a stage that is linear on these inputs finishes far inside the bound.

These are hang detectors, not speed measurements (those are in bench/): the bound is many
times what the stage takes here, so it only trips on super-linear work (a quadratic pass
over 1 MB takes hours) or an endless loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

# One generated example (at most a few kB): every stage takes well under 0.5 s here.
EXAMPLE_SECONDS: Final = 10.0
# One megabyte of one character: 0.02-0.5 s per stage here (normaliser, chunker, extractor).
MEGABYTE_SECONDS: Final = 30.0
MEGABYTE: Final = 1_000_000


@contextmanager
def within(seconds: float, what: str) -> Iterator[None]:
    """Fail when the block takes longer than `seconds`."""
    started = time.perf_counter()
    yield
    took = time.perf_counter() - started
    assert took < seconds, f"{what} took {took:.1f} s (bound {seconds:g} s)"
