"""The summary fixtures in tests/data/summaries: German news articles with their key facts.

Each JSON file holds `title`, `lead`, `blocks` as `[kind, text]` pairs, optional `site` and
`author`, `key_facts` (regular expressions, case-insensitive, a summary should match each)
and `quote_pairs` (a fragment of a quotation and a pattern for its speaker: where a summary
keeps the quotation it must name the speaker too).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.models import Article, Block, BlockKind

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "summaries"


@dataclass(frozen=True)
class SummaryFixture:
    """One fixture article and what its summary must keep."""

    name: str
    article: Article
    key_facts: tuple[str, ...]
    quote_pairs: tuple[tuple[str, str], ...]


def load_fixture(path: Path) -> SummaryFixture:
    """Read one fixture file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    blocks = tuple(Block(BlockKind(kind), text) for kind, text in data["blocks"])
    article = Article(
        title=data["title"],
        lead=data.get("lead"),
        blocks=blocks,
        site=data.get("site"),
        author=data.get("author"),
    )
    pairs = tuple((q, s) for q, s in data.get("quote_pairs", []))
    return SummaryFixture(path.stem, article, tuple(data["key_facts"]), pairs)


def load_fixtures() -> list[SummaryFixture]:
    """Every fixture, sorted by name."""
    return [load_fixture(path) for path in sorted(FIXTURES.glob("*.json"))]


def kept_facts(fixture: SummaryFixture, summary_text: str) -> list[bool]:
    """For each key fact, whether the summary text matches it."""
    return [bool(re.search(fact, summary_text, re.IGNORECASE)) for fact in fixture.key_facts]
