"""The round-up ("Morgenrunde"): a chat's owed stories, merged across feeds, as one Script.

A round-up reads at most the chat's number of stories, the newest first. The same story from
two outlets (the same link, or headlines that share most of their words) is read once and the
other outlets are named. Each story is a chapter: the host names it, the reader reads its
summary.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.feeds.deliveries import PendingDelivery
from bot.feeds.match import fold
from bot.jobs.api import normalize_url
from bot.models import Article, Block, BlockKind, Script, Segment
from bot.pipeline.german import MONTHS
from bot.pipeline.script import AFTER_INTRO_PAUSE_MS, PARAGRAPH_PAUSE_MS

# Headlines of one story from two outlets share at least half of their words (Jaccard over the
# folded words of three letters or more: "Tesla senkt die Preise in Deutschland" and "Tesla
# senkt in Deutschland die Preise" share all four); two stories of one topic share the topic's
# one or two words, a third of a headline at most, in the round-up tests' fixtures.
SAME_STORY_SIMILARITY: Final = 0.5
# Shorter words ("die", "in", "EU") say little about which story a headline tells.
MIN_TITLE_WORD: Final = 3
# Default number of stories (the chat's setting overrides it).
DEFAULT_ROUNDUP_MAX: Final = 8
# The host's pause before each story: the chime of the room plays in it.
BEFORE_STORY_PAUSE_MS: Final = 1200

_WORD: Final = re.compile(r"\w+")


@dataclass(frozen=True)
class Story:
    """One story of a round-up: what is read, and every delivery (and outlet) it stands for."""

    link: str
    title: str
    summary: str
    outlet: str
    published: dt.datetime | None
    delivery_ids: tuple[int, ...]
    also: tuple[str, ...] = ()  # other outlets that reported it

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a round-up job's source)."""
        return {
            "link": self.link,
            "title": self.title,
            "summary": self.summary,
            "outlet": self.outlet,
            "published": self.published.isoformat() if self.published else None,
            "delivery_ids": list(self.delivery_ids),
            "also": list(self.also),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Story:
        """Rebuild from `to_dict`'s output."""
        published = data.get("published")
        return cls(
            link=str(data.get("link") or ""),
            title=str(data.get("title") or ""),
            summary=str(data.get("summary") or ""),
            outlet=str(data.get("outlet") or ""),
            published=dt.datetime.fromisoformat(published) if published else None,
            delivery_ids=tuple(int(i) for i in data.get("delivery_ids") or ()),
            also=tuple(str(o) for o in data.get("also") or ()),
        )


def encode_roundup(day: dt.date, stories: Sequence[Story]) -> str:
    """The round-up (its local day and stories) as the round-up job's source text."""
    return json.dumps(
        {"day": day.isoformat(), "stories": [story.to_dict() for story in stories]},
        ensure_ascii=False,
    )


def decode_roundup(source: str) -> tuple[dt.date, list[Story]] | None:
    """The day and stories of a round-up job's source; None for anything else."""
    try:
        data = json.loads(source)
        day = dt.date.fromisoformat(data["day"])
        items = data["stories"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(items, list):
        return None
    return day, [Story.from_dict(item) for item in items if isinstance(item, dict)]


def _title_words(title: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(fold(title)) if len(w) >= MIN_TITLE_WORD)


def same_story(a: str, b: str) -> bool:
    """Whether two headlines tell the same story (most of their longer words shared)."""
    wa, wb = _title_words(a), _title_words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= SAME_STORY_SIMILARITY


def _when(delivery: PendingDelivery) -> dt.datetime:
    return delivery.published or delivery.due_at


def plan_roundup(deliveries: Sequence[PendingDelivery], limit: int) -> list[Story]:
    """The round-up's stories: newest first, duplicates merged, at most `limit`.

    Every delivery lands in some story's `delivery_ids` or is left out beyond the limit; the
    caller hands all of them over either way (a round-up never repeats yesterday's leftovers).
    """
    stories: list[Story] = []
    links: list[set[str]] = []
    for delivery in sorted(deliveries, key=_when, reverse=True):
        link = normalize_url(delivery.link) if delivery.link else ""
        for index, story in enumerate(stories):
            if (link and link in links[index]) or same_story(story.title, delivery.title):
                outlets = (story.outlet, *story.also)
                also = story.also
                if delivery.feed_title and delivery.feed_title not in outlets:
                    also = (*also, delivery.feed_title)
                stories[index] = Story(
                    story.link,
                    story.title,
                    story.summary or delivery.summary,
                    story.outlet,
                    story.published,
                    (*story.delivery_ids, delivery.id),
                    also,
                )
                if link:
                    links[index].add(link)
                break
        else:
            stories.append(
                Story(
                    delivery.link,
                    delivery.title,
                    delivery.summary,
                    delivery.feed_title,
                    delivery.published,
                    (delivery.id,),
                )
            )
            links.append({link} if link else set())
    return stories[: max(1, limit)]


def _count_de(n: int) -> str:
    return "eine Meldung" if n == 1 else f"{n} Meldungen"


def roundup_title(day: dt.date) -> str:
    """The round-up's title: "Morgenrunde vom 2. November"."""
    return f"Morgenrunde vom {day.day}. {MONTHS[day.month - 1]}"


def roundup_script(
    stories: Sequence[Story], texts: Sequence[Article | None], day: dt.date
) -> Script:
    """The round-up as a Script: host intro, one chapter per story, host outro.

    `texts[i]` is the summary of story i's article; None reads the feed's own teaser instead.
    """
    intro = (
        f"Guten Morgen und willkommen zur Hörclub-Morgenrunde vom {day.day}. "
        f"{MONTHS[day.month - 1]}. Heute: {_count_de(len(stories))}."
    )
    segments: list[Segment] = [Segment("host", intro, AFTER_INTRO_PAUSE_MS)]
    for number, (story, text) in enumerate(zip(stories, texts, strict=True), start=1):
        chapter = f"{number}. {story.title}"
        source = f" Von {story.outlet}." if story.outlet else ""
        if story.also:
            source += " Auch berichtet: " + ", ".join(story.also) + "."
        segments.append(
            Segment("host", f"{story.title.rstrip('.')}.{source}", AFTER_INTRO_PAUSE_MS, chapter)
        )
        paragraphs = _paragraphs(text) if text is not None else []
        if not paragraphs and story.summary:
            paragraphs = [story.summary]
        for paragraph in paragraphs:
            segments.append(Segment("reader", paragraph, PARAGRAPH_PAUSE_MS))
        if segments[-1].role == "reader":
            segments[-1] = Segment("reader", segments[-1].text, BEFORE_STORY_PAUSE_MS)
    segments.append(
        Segment(
            "host",
            "Das war die Morgenrunde. Die ganzen Artikel hörst du über die Knöpfe unter dieser "
            "Nachricht. Danke fürs Zuhören im Hörclub.",
            0,
        )
    )
    return Script(tuple(segments), language="de")


def _paragraphs(article: Article) -> list[str]:
    out = [article.lead] if article.lead else []
    out.extend(b.text for b in article.blocks if b.kind is not BlockKind.HEADING)
    return [p for p in out if p.strip()]


def roundup_article(script: Script, day: dt.date) -> Article:
    """The Article a round-up renders as: its title, and its spoken words as blocks."""
    blocks = tuple(Block(BlockKind.PARAGRAPH, s.text) for s in script.segments)
    return Article(title=roundup_title(day), blocks=blocks, site="Hörclub", language="de")
