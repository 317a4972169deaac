"""Imports go one way (telegram → jobs/feeds → pipeline → tts/storage); leaves import none.

The data types that flow between stages live in the leaf `bot.models`, so the engines (tts) use
`Clip` without importing the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "bot"

# layer → the layers of ours it must never import
FORBIDDEN: dict[str, set[str]] = {
    "bot.pipeline": {"bot.telegram", "bot.jobs", "bot.feeds", "bot.app", "bot.cli"},
    "bot.tts": {
        "bot.telegram",
        "bot.jobs",
        "bot.feeds",
        "bot.app",
        "bot.cli",
        "bot.storage",
        "bot.pipeline",
    },
    "bot.storage": {"bot.telegram", "bot.jobs", "bot.feeds", "bot.app", "bot.cli", "bot.pipeline"},
    "bot.jobs": {"bot.telegram", "bot.app", "bot.cli"},
    "bot.feeds": {"bot.telegram", "bot.app", "bot.cli"},
    "bot.telegram": {"bot.app", "bot.cli"},
    "bot.config": {"bot."},
    "bot.errors": {"bot."},
    "bot.models": {"bot."},
    "bot.audio": {"bot.pipeline", "bot.tts", "bot.storage", "bot.jobs", "bot.telegram", "bot.app"},
    "bot.limits": {"bot."},
    "bot.metrics": {"bot."},
    "bot.health": {"bot.telegram", "bot.jobs", "bot.feeds", "bot.app", "bot.cli", "bot.pipeline"},
}
# third-party library → the only package allowed to import it
HOMES = {
    "telegram": "bot.telegram",
    "trafilatura": "bot.pipeline.extract",
    "gtts": "bot.tts.gtts",
    "edge_tts": "bot.tts.edge",
    "openai": "bot.pipeline.llm",
    "simplemma": "bot.pipeline.summarize",
    "feedparser": "bot.feeds.parse",
    "courlan": "bot.feeds.parse",
    "pydub": "bot.pipeline.sound",
    "asyncpg": "bot.storage.pgsignals",
    "starlette": "bot.telegram.webhook",
    "uvicorn": "bot.telegram.webhook",
    "prometheus_client": "bot.metrics",
    "pypdf": "bot.pipeline.pdf",
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        out.append((name, path))
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(("module", "path"), _modules(), ids=str)
def test_imports_respect_the_layers(module: str, path: Path) -> None:
    imported = _imports(path)
    for layer, forbidden in FORBIDDEN.items():
        if module == layer or module.startswith(layer + "."):
            bad = {i for i in imported for f in forbidden if i == f.rstrip(".") or i.startswith(f)}
            assert not bad, f"{module} imports {bad}"
    for library, home in HOMES.items():
        uses = {i for i in imported if i == library or i.startswith(library + ".")}
        if uses:
            assert module.startswith(home), f"{module} imports {library}; only {home} may"
