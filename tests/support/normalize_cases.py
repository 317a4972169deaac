"""The normaliser's fixtures: `tests/data/normalize/<class>.tsv`, one `written<TAB>spoken` a line.

A sentence counts as right when the output equals the spoken form after both are lowercased and
stripped of punctuation (every character that is not a letter or digit counts as a space).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "normalize"
FIRST_SIGHT = FIXTURES.parent / "normalize_first_sight"

_NOT_WORD = re.compile(r"[\W_]+")


def comparable(text: str) -> str:
    """Lowercased, punctuation (hyphens too) replaced by spaces, single spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class Case:
    """One fixture line."""

    kind: str
    written: str
    spoken: str
    line: int


def load_cases(directory: Path = FIXTURES) -> list[Case]:
    """Every fixture line of every class, in file order."""
    cases = []
    for path in sorted(directory.glob("*.tsv")):
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            written, spoken = raw.split("\t")
            cases.append(Case(path.stem, written, spoken, number))
    return cases


def load_first_sight(directory: Path = FIRST_SIGHT, batch: str = "*") -> list[Case]:
    """Every first-sight line (`class<TAB>written<TAB>spoken`) of the batch(es), in file order."""
    cases = []
    for path in sorted(directory.glob(f"{batch}.tsv")):
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            kind, written, spoken = raw.split("\t")
            cases.append(Case(kind, written, spoken, number))
    return cases
