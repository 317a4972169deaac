"""The club catalogue: German news sources and the topic clubs built from them, kept as data.

The built-in catalogue is `bot/feeds/clubs.toml`; an operator's `<data_dir>/clubs.toml` of the
same shape adds sources and clubs or replaces them whole by id (`enabled = false` removes one).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.errors import UsageError
from bot.feeds.match import TopicFilter, fold, parse_filter

logger = logging.getLogger(__name__)

BUILTIN: Final = Path(__file__).with_name("clubs.toml")
OPERATOR_FILE: Final = "clubs.toml"
# Tag of the broad news sources a bare topic word ("Elon Musk") is looked for in.
GENERAL_TAG: Final = "nachrichten"


@dataclass(frozen=True)
class Source:
    """A publication with one or more feed URLs."""

    id: str
    name: str
    feeds: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Club:
    """A topic club: its sources and the filter their entries must pass ("" = all)."""

    id: str
    name: str
    description: str
    sources: tuple[str, ...]
    filter: str
    tags: tuple[str, ...]

    @property
    def topic_filter(self) -> TopicFilter:
        """The club's filter, parsed."""
        return parse_filter(self.filter)


@dataclass(frozen=True)
class TopicPlan:
    """What a topic word subscribes to: a club, or the general news feeds with a filter."""

    club: Club | None
    feed_urls: tuple[str, ...]
    filter: str


@dataclass(frozen=True)
class Catalogue:
    """Sources and clubs by id, in file order."""

    sources: dict[str, Source]
    clubs: dict[str, Club]

    def feed_urls(self, club: Club) -> tuple[str, ...]:
        """The feed URLs of a club's sources, each once."""
        urls: dict[str, None] = {}
        for source_id in club.sources:
            source = self.sources.get(source_id)
            if source is not None:
                urls.update(dict.fromkeys(source.feeds))
        return tuple(urls)

    def find_club(self, query: str) -> Club | None:
        """The club whose id, name or tag is `query` (case- and umlaut-insensitive)."""
        wanted = fold(query).strip()
        for club in self.clubs.values():
            names = {fold(club.id), fold(club.name), *(fold(tag) for tag in club.tags)}
            if wanted in names:
                return club
        return None

    def plan_topic(self, query: str) -> TopicPlan:
        """A club for its name or tag; any other topic filters the general news feeds."""
        club = self.find_club(query)
        if club is not None:
            return TopicPlan(club, self.feed_urls(club), club.filter)
        general = [s for s in self.sources.values() if GENERAL_TAG in s.tags]
        urls = tuple(dict.fromkeys(url for source in general for url in source.feeds[:1]))
        return TopicPlan(None, urls, query)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{where}: expected a list of strings")
    return tuple(value)


def _merge(
    raw_sources: dict[str, Any], raw_clubs: dict[str, Any], data: dict[str, Any], origin: str
) -> None:
    for section, target in (("sources", raw_sources), ("clubs", raw_clubs)):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise UsageError(f"{origin}: [{section}] must be a table")
        for key, entry in table.items():
            if not isinstance(entry, dict):
                raise UsageError(f"{origin}: {section}.{key} must be a table")
            if entry.get("enabled", True) is False:
                target.pop(key, None)
            else:
                target[key] = entry


def parse_catalogue(*documents: tuple[str, str]) -> Catalogue:
    """A catalogue from TOML texts `(origin, text)`; later ones add to or override earlier."""
    raw_sources: dict[str, Any] = {}
    raw_clubs: dict[str, Any] = {}
    for origin, text in documents:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{origin}: {exc}") from exc
        _merge(raw_sources, raw_clubs, data, origin)
    sources = {}
    for key, entry in raw_sources.items():
        feeds = _strings(entry.get("feeds", []), f"sources.{key}.feeds")
        if not feeds:
            raise UsageError(f"sources.{key}: no feeds")
        sources[key] = Source(
            id=key,
            name=str(entry.get("name", key)),
            feeds=feeds,
            tags=tuple(fold(tag) for tag in _strings(entry.get("tags", []), f"sources.{key}")),
        )
    clubs = {}
    for key, entry in raw_clubs.items():
        members = _strings(entry.get("sources", []), f"clubs.{key}.sources")
        missing = [member for member in members if member not in sources]
        if missing:
            logger.warning("club %s names unknown sources %s", key, missing)
        clubs[key] = Club(
            id=key,
            name=str(entry.get("name", key)),
            description=str(entry.get("description", "")),
            sources=tuple(member for member in members if member in sources),
            filter=str(entry.get("filter", "")),
            tags=_strings(entry.get("tags", []), f"clubs.{key}.tags"),
        )
    return Catalogue(sources=sources, clubs=clubs)


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """The built-in catalogue, with `<data_dir>/clubs.toml` merged over it when present."""
    documents = [(BUILTIN.name, BUILTIN.read_text(encoding="utf-8"))]
    if data_dir is not None:
        operator = data_dir / OPERATOR_FILE
        if operator.is_file():
            documents.append((str(operator), operator.read_text(encoding="utf-8")))
    return parse_catalogue(*documents)
