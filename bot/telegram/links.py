"""Finding the links in a message: url and text_link entities, captions, bare text.

Telegram counts entity offsets in UTF-16 code units; python-telegram-bot's
`Message.parse_entity` and friends turn them into text, so nothing here slices by offset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

from telegram import Message, MessageEntity

from bot.errors import BadSchemeError, SourceError
from bot.jobs.api import normalize_url
from bot.pipeline.fetch import parse_source_url

# A message without a link but with at least this much text is read aloud itself: a pasted
# article is usually several paragraphs, a chat message that merely lacks a link is shorter.
MIN_TEXT_CHARS: Final = 300

# Characters that end a sentence rather than a URL when a link is found in bare text.
_TRAILING: Final = ".,;:!?)]}'\"»«“”‘’>"
_BARE_URL: Final = re.compile(r"\b(?:https?|file)://[^\s<>\"]+", re.IGNORECASE)
# A local path as a whole word: /etc/passwd, ~/x, ./x, ../x, C:\x, \\server\share.
# "/[^\s]*" once, not "(?:/[^\s]*)+": the nested repeat took exponential time to refuse
# "/a/////…/ b" (2^n ways to split the slashes: most of a second at 24, doubling per slash).
_PATH: Final = re.compile(
    r"(?:(?<=\s)|^)(?:~|\.{1,2})?/[^\s/]+/[^\s]*|(?:(?<=\s)|^)~/\S+"
    r"|\b[A-Za-z]:\\\S*|(?:(?<=\s)|^)\\\\\S+"
)
# Schemes that are Telegram's own (user links, t.me deep links) and simply not articles.
_IGNORED_SCHEMES: Final = frozenset({"tg", "mailto", "tel"})

Refusal = Literal["forbidden", "scheme"]


@dataclass(frozen=True)
class Entity:
    """A link entity of a message: its type, its text, where that text starts (characters)."""

    type: str
    text: str
    start: int
    url: str | None = None


@dataclass(frozen=True)
class FoundLinks:
    """The readable links of a message, in order, and what was refused."""

    urls: tuple[str, ...] = ()
    refused: tuple[tuple[str, Refusal], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.urls or self.refused)


def _classify(candidate: str) -> tuple[str | None, Refusal | None]:
    """An http(s) URL to read, or the reason it is refused, or (None, None) to ignore it."""
    value = candidate.strip().rstrip(_TRAILING) if "://" in candidate else candidate.strip()
    if not value:
        return None, None
    if _PATH.fullmatch(value):
        return None, "forbidden"
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", value)
    scheme = match.group(1).lower() if match else ""
    if scheme and len(scheme) == 1:  # "C:" is a Windows drive, not a scheme
        return None, "forbidden"
    if scheme == "file":
        return None, "forbidden"
    if scheme in _IGNORED_SCHEMES:
        return None, None
    if scheme not in ("http", "https"):
        if scheme and value[len(scheme) + 1 :].startswith("//"):
            return None, "scheme"
        if scheme and not re.match(r"^\d", value[len(scheme) + 1 :]):
            return None, "scheme"
        value = "https://" + value  # Telegram marks "example.com/x" as a url entity
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return None, "scheme"
    if not host:
        return None, "scheme"
    try:
        parse_source_url(value)  # the fetcher's own check: brackets, IDN labels, the port
    except BadSchemeError:
        return None, "scheme"
    except SourceError:
        pass  # e.g. an ambiguous numeric host: the fetcher refuses it with its own reason
    return value, None


def find_links(text: str | None, entities: Sequence[Entity] = ()) -> FoundLinks:
    """The links of one text: url and text_link entities first, then bare URLs and paths."""
    if not text and not entities:
        return FoundLinks()
    text = text or ""
    found: list[tuple[int, str]] = []
    covered: list[tuple[int, int]] = []  # code-point spans already taken by entities
    for entity in entities:
        if entity.type == MessageEntity.URL:
            candidate = entity.text
        elif entity.type == MessageEntity.TEXT_LINK and entity.url:
            candidate = entity.url
        else:
            continue
        covered.append((entity.start, entity.start + len(entity.text)))
        found.append((entity.start, candidate))
    for match in _BARE_URL.finditer(text):
        if not any(a <= match.start() < b for a, b in covered):
            found.append((match.start(), match.group(0)))
            covered.append(match.span())
    found.sort(key=lambda item: item[0])
    urls: list[str] = []
    refused: list[tuple[str, Refusal]] = []
    seen: set[str] = set()
    for _, candidate in found:
        url, reason = _classify(candidate)
        if url is not None:
            key = normalize_url(url)
            if key not in seen:
                seen.add(key)
                urls.append(url)
        elif reason is not None:
            refused.append((candidate, reason))
    if not urls and not refused and len(text) < MIN_TEXT_CHARS:
        for match in _PATH.finditer(text):
            if not any(a <= match.start() < b for a, b in covered):
                refused.append((match.group(0), "forbidden"))
    return FoundLinks(tuple(urls), tuple(refused))


_LINK_TYPES: Final[list[str | None]] = [MessageEntity.URL, MessageEntity.TEXT_LINK]


def link_entities(message: Message) -> list[Entity]:
    """The url and text_link entities of a message's text or caption, with their text."""
    caption = message.text is None
    parsed = (
        message.parse_caption_entities(_LINK_TYPES)
        if caption
        else message.parse_entities(_LINK_TYPES)
    )
    parse = message.parse_caption_entity if caption else message.parse_entity
    out = []
    for entity, text in parsed.items():
        # What precedes the entity, parsed as an entity of its own, gives its start in characters.
        start = len(parse(MessageEntity(MessageEntity.BOLD, 0, entity.offset)))
        out.append(Entity(entity.type, text, start, entity.url))
    return out


def message_text(message: Message) -> str:
    """The text of a message or, for media, its caption."""
    return message.text or message.caption or ""


def links_in_message(message: Message) -> FoundLinks:
    """Every link of a message: its text and entities, or its caption and caption entities.

    Forwarded channel posts carry their text and entities like any message, so they need
    nothing special.
    """
    if message.text is None and message.caption is None:
        return FoundLinks()
    return find_links(message_text(message), link_entities(message))


def strip_command(text: str) -> str:
    """The text after a leading /command (and its @botname), e.g. the link of `/lies <link>`."""
    return re.sub(r"^/\S+\s*", "", text, count=1)
