"""A job's extracted article, kept beside its audio so follow-ups start at synthesis.

"Die ersten 12.000 Wörter", the short version, another tempo or the text itself need the
article, not the page: reading it back takes milliseconds, fetching and extracting seconds.
Kept as long as the job's audio (swept with its directory).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any, Final

from bot.models import Article, Block, BlockKind

logger = logging.getLogger(__name__)

ARTICLE_FILE: Final = "article.json"


def article_to_dict(article: Article) -> dict[str, Any]:
    """JSON-ready form of an Article."""
    return {
        "title": article.title,
        "blocks": [[block.kind.value, block.text] for block in article.blocks],
        "lead": article.lead,
        "site": article.site,
        "author": article.author,
        "date": article.date.isoformat() if article.date else None,
        "language": article.language,
        "url": article.url,
        "image": article.image,
        "description": article.description,
        "paywalled": article.paywalled,
    }


def article_from_dict(data: dict[str, Any]) -> Article:
    """Rebuild from `article_to_dict`; raises KeyError/ValueError/TypeError when malformed."""
    date = data.get("date")
    return Article(
        title=str(data["title"]),
        blocks=tuple(Block(BlockKind(kind), str(text)) for kind, text in data["blocks"]),
        lead=data.get("lead"),
        site=data.get("site"),
        author=data.get("author"),
        date=dt.date.fromisoformat(date) if date else None,
        language=str(data.get("language") or "de"),
        url=data.get("url"),
        image=data.get("image"),
        description=data.get("description"),
        paywalled=bool(data.get("paywalled")),
    )


async def save_article(directory: Path, article: Article) -> None:
    """Keep the article in a job's directory."""
    text = json.dumps(article_to_dict(article), ensure_ascii=False)

    def write() -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # Whole or not at all: a full disk must not leave a cut-off copy to be read later.
        partial = directory / f".{ARTICLE_FILE}.tmp"
        try:
            partial.write_text(text, encoding="utf-8")
            partial.replace(directory / ARTICLE_FILE)
        finally:
            partial.unlink(missing_ok=True)

    await asyncio.to_thread(write)


async def load_article(directory: Path) -> Article | None:
    """The article kept in a job's directory, or None when it is gone or unreadable."""
    try:
        text = await asyncio.to_thread((directory / ARTICLE_FILE).read_text, encoding="utf-8")
        return article_from_dict(json.loads(text))
    except FileNotFoundError:
        return None
    except (OSError, KeyError, ValueError, TypeError) as exc:
        logger.warning("kept article in %s unreadable: %s", directory, exc)
        return None
