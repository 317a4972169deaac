"""How hard the fuzz tests try: a fixed, quick run for CI and a longer one on request.

By default every fuzz test runs its CI budget of examples, derandomized (the same examples
on every run, so a red CI run is reproducible and a green one stays green). `HOERCLUB_FUZZ`
chooses more: `deep` runs 25 times the budget with fresh random examples and hypothesis's
example database (so a failure found once is replayed first next time); a number N runs N times
the budget, also random.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

FUZZ_ENV: Final = "HOERCLUB_FUZZ"
# Tests run in a temporary directory, so the example database is named from the repository.
DATABASE: Final = Path(__file__).resolve().parents[2] / ".hypothesis" / "fuzz"
# `deep`: 25× the CI budget: the CI run takes about 30 s of CPU here, this about 12 minutes.
DEEP_FACTOR: Final = 25
_QUIET: Final = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]


def _factor() -> int | None:
    """None for the CI run, else how many times the CI budget to run."""
    value = os.environ.get(FUZZ_ENV, "").strip().lower()
    if not value or value == "ci":
        return None
    if value == "deep":
        return DEEP_FACTOR
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise ValueError(f"{FUZZ_ENV} must be 'ci', 'deep' or a positive number, not {value!r}")


def fuzz(examples: int) -> settings:
    """Hypothesis settings for one fuzz test whose CI budget is `examples`."""
    factor = _factor()
    if factor is None:
        return settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,  # time is bounded by each test's own assertion, not per example
            suppress_health_check=_QUIET,
            print_blob=True,
        )
    return settings(
        max_examples=examples * factor,
        database=DirectoryBasedExampleDatabase(DATABASE),
        deadline=None,
        suppress_health_check=_QUIET,
        print_blob=True,
    )
