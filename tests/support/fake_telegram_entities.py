"""Message entities for the fake Bot API: UTF-16 offsets, auto-detection and parse_mode parsing.

Telegram measures entity offsets and lengths in UTF-16 code units, so an emoji or any character
outside the Basic Multilingual Plane counts twice. Everything here returns offsets in those units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """Raised when a text with parse_mode cannot be parsed; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def utf16_offset(text: str, index: int) -> int:
    """UTF-16 offset of the code point at `index` in `text`."""
    return utf16_len(text[:index])


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity with `offset` and `length` (UTF-16 units) covers."""
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def entity_text(text: str, entity: Entity) -> str:
    """The text an entity dict covers."""
    return utf16_slice(text, int(entity["offset"]), int(entity["length"]))


def entity(text: str, fragment: str, type_: str, *, occurrence: int = 1, **extra: Any) -> Entity:
    """An entity of `type_` over the `occurrence`-th appearance of `fragment` in `text`.

    Example: ``entity(t, "https://x.de", "url")`` or
    ``entity(t, "hier", "text_link", url="https://x.de")``.
    """
    start = -1
    for _ in range(occurrence):
        start = text.find(fragment, start + 1)
        if start < 0:
            raise ValueError(f"{fragment!r} occurs fewer than {occurrence} times in {text!r}")
    result: Entity = {
        "type": type_,
        "offset": utf16_offset(text, start),
        "length": utf16_len(fragment),
    }
    result.update(extra)
    return result


@dataclass
class TextBuilder:
    """Builds a message text piece by piece with correct UTF-16 entity offsets.

    ``TextBuilder().plain("Lies das: ").text_link("Artikel", "https://x.de").build()``
    returns ``("Lies das: Artikel", [{"type": "text_link", "offset": 10, ...}])``.
    """

    text: str = ""
    entities: list[Entity] = field(default_factory=list)

    def plain(self, part: str) -> TextBuilder:
        """Append text without an entity."""
        self.text += part
        return self

    def add(self, part: str, type_: str, **extra: Any) -> TextBuilder:
        """Append `part` covered by an entity of `type_` (extra fields such as url=...)."""
        item: Entity = {"type": type_, "offset": utf16_len(self.text), "length": utf16_len(part)}
        item.update(extra)
        self.entities.append(item)
        self.text += part
        return self

    def url(self, url: str) -> TextBuilder:
        """Append a visible URL (entity type ``url``)."""
        return self.add(url, "url")

    def text_link(self, label: str, url: str) -> TextBuilder:
        """Append a clickable label pointing at `url` (entity type ``text_link``)."""
        return self.add(label, "text_link", url=url)

    def mention(self, username: str) -> TextBuilder:
        """Append an @username mention (the @ is added if missing)."""
        return self.add(username if username.startswith("@") else f"@{username}", "mention")

    def text_mention(self, label: str, user: dict[str, Any]) -> TextBuilder:
        """Append a mention of a user without username (entity type ``text_mention``)."""
        return self.add(label, "text_mention", user=user)

    def bot_command(self, command: str) -> TextBuilder:
        """Append a /command (the slash is added if missing)."""
        return self.add(command if command.startswith("/") else f"/{command}", "bot_command")

    def bold(self, part: str) -> TextBuilder:
        """Append bold text."""
        return self.add(part, "bold")

    def italic(self, part: str) -> TextBuilder:
        """Append italic text."""
        return self.add(part, "italic")

    def build(self) -> tuple[str, list[Entity]]:
        """The text and a copy of its entities."""
        return self.text, [dict(item) for item in self.entities]


# --- auto-detection, as Telegram's servers do for messages users send --------------------------

_TLDS = (
    "de|com|org|net|eu|at|ch|io|info|news|tv|me|co|uk|fr|it|nl|be|dk|se|no|fi|pl|es|pt|us|ly|app"
)
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_URL_RE = re.compile(
    rf"(?i)(?<![\w@/.])(?:(?:https?|ftp)://[^\s<>\"]+|www\.[^\s<>\"]+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:[/?#][^\s<>\"]*)?)"
)
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?\b")
_HASHTAG_RE = re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")
_TRAILING_PUNCTUATION = ".,:;!?'\"»«“”„‚’"


def _trim_url(candidate: str) -> str:
    while candidate and candidate[-1] in _TRAILING_PUNCTUATION:
        candidate = candidate[:-1]
    # A closing bracket belongs to the URL only if the URL opened one (Wikipedia links).
    while candidate.endswith(")") and candidate.count("(") < candidate.count(")"):
        candidate = candidate[:-1]
    return candidate


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram's servers add to a user's message: url, email, mention, command, tag."""
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for match in _EMAIL_RE.finditer(text):
        spans.append((match.start(), match.end(), "email"))
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group(0))
        if url and free(match.start(), match.start() + len(url)):
            spans.append((match.start(), match.start() + len(url), "url"))
    for regex, type_ in (
        (_COMMAND_RE, "bot_command"),
        (_MENTION_RE, "mention"),
        (_HASHTAG_RE, "hashtag"),
    ):
        for match in regex.finditer(text):
            if free(match.start(), match.end()):
                spans.append((match.start(), match.end(), type_))
    spans.sort()
    return [
        {"type": type_, "offset": utf16_offset(text, s), "length": utf16_len(text[s:e])}
        for s, e, type_ in spans
    ]


# --- parse_mode --------------------------------------------------------------------------------


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _to_utf16(text: str, spans: list[tuple[int, int, Entity]]) -> list[Entity]:
    result = []
    for start, end, info in spans:
        if end <= start:
            continue
        item = dict(info)
        item["offset"] = utf16_offset(text, start)
        item["length"] = utf16_len(text[start:end])
        result.append(item)
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}


class _HtmlEntityParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.out: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, int, Entity | None]] = []
        self.spans: list[tuple[int, int, Entity]] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        return _byte_offset(self.source, self.line_starts[line - 1] + col)

    def handle_data(self, data: str) -> None:
        self.out.append(data)
        self.length += len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        info: Entity | None
        if tag in _HTML_SIMPLE:
            info = {"type": _HTML_SIMPLE[tag]}
            if tag == "blockquote" and "expandable" in attributes:
                info = {"type": "expandable_blockquote"}
            if tag == "code" and self.stack and self.stack[-1][0] == "pre":
                language = attributes.get("class") or ""
                pre_info = self.stack[-1][2]
                if language.startswith("language-") and pre_info is not None:
                    pre_info["language"] = language.removeprefix("language-")
        elif tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset()}'
                )
            info = {"type": "spoiler"}
        elif tag == "a":
            href = attributes.get("href")
            info = None
            if href:
                match = re.fullmatch(r"tg://user\?id=(\d+)", href)
                if match:
                    info = {"type": "text_mention", "user": {"id": int(match.group(1))}}
                else:
                    info = {"type": "text_link", "url": href}
        elif tag == "tg-emoji":
            info = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id") or ""}
        else:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        self.stack.append((tag, self.length, info))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._offset()}")
        open_tag, start, info = self.stack.pop()
        if open_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self._offset()}, expected "</{open_tag}>", '
                f'found "</{tag}>"'
            )
        if info is not None:
            if info["type"] == "code" and self.stack and self.stack[-1][0] == "pre":
                return  # <pre><code class="language-x"> is one pre entity
            self.spans.append((start, self.length, info))

    def finish(self) -> tuple[str, list[Entity]]:
        self.close()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        text = "".join(self.out)
        return text, _to_utf16(text, self.spans)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of a text with parse_mode HTML; EntityParseError if invalid."""
    # Like Telegram, every "<" must open or close a tag; a bare "<" has to be written &lt;.
    bare = re.search(r"<(?![A-Za-z/])", source)
    if bare is not None:
        at = _byte_offset(source, bare.start())
        raise EntityParseError(f'Unsupported start tag "" at byte offset {at}')
    parser = _HtmlEntityParser(source)
    parser.feed(source)
    return parser.finish()


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of a text with parse_mode MarkdownV2; EntityParseError if invalid.

    Checks what Telegram checks: every reserved character outside an entity must be escaped
    with a backslash, every entity must be closed.
    """
    out: list[str] = []
    spans: list[tuple[int, int, Entity]] = []
    stack: list[tuple[str, int, int]] = []  # marker, start in out, byte offset in source
    i = 0
    n = len(source)

    def pos() -> int:
        return sum(len(part) for part in out)

    def toggle(marker: str, type_: str, at: int) -> None:
        if stack and stack[-1][0] == marker:
            _, start, _ = stack.pop()
            spans.append((start, pos(), {"type": type_}))
        elif any(item[0] == marker for item in stack):
            raise EntityParseError(
                f"Can't find end of {type_.capitalize()} entity at byte offset "
                f"{next(item[2] for item in stack if item[0] == marker)}"
            )
        else:
            stack.append((marker, pos(), _byte_offset(source, at)))

    line_start = True
    quote_start: int | None = None
    while i < n:
        c = source[i]
        if line_start and c == ">":
            if quote_start is None:
                quote_start = pos()
            i += 1
            line_start = False
            continue
        if line_start and quote_start is not None:
            spans.append((quote_start, pos() - 1, {"type": "blockquote"}))
            quote_start = None
        line_start = False
        if c == "\\":
            if i + 1 < n and 1 <= ord(source[i + 1]) <= 126:
                out.append(source[i + 1])
                i += 2
                continue
            out.append(c)
            i += 1
            continue
        if c == "`":
            is_pre = source.startswith("```", i)
            fence = "```" if is_pre else "`"
            j = i + len(fence)
            language = ""
            if is_pre:
                newline = source.find("\n", j)
                first_line = source[j:newline] if newline >= 0 else ""
                if newline >= 0 and first_line and " " not in first_line:
                    language = first_line
                    j = newline + 1
            content: list[str] = []
            while j < n and not source.startswith(fence, j):
                if source[j] == "\\" and j + 1 < n:
                    content.append(source[j + 1])
                    j += 2
                    continue
                content.append(source[j])
                j += 1
            if j >= n:
                kind = "Pre" if is_pre else "Code"
                raise EntityParseError(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(source, i)}"
                )
            start = pos()
            out.append("".join(content))
            info: Entity = {"type": "pre" if is_pre else "code"}
            if language:
                info["language"] = language
            spans.append((start, pos(), info))
            i = j + len(fence)
            continue
        if c == "*":
            toggle("*", "bold", i)
            i += 1
            continue
        if c == "_":
            if source.startswith("__", i):
                toggle("__", "underline", i)
                i += 2
            else:
                toggle("_", "italic", i)
                i += 1
            continue
        if c == "~":
            toggle("~", "strikethrough", i)
            i += 1
            continue
        if c == "|" and source.startswith("||", i):
            toggle("||", "spoiler", i)
            i += 2
            continue
        if c == "[":
            stack.append(("[", pos(), _byte_offset(source, i)))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _, start, at = stack.pop()
            if not source.startswith("(", i + 1):
                raise EntityParseError(
                    f"Can't find end of a url at byte offset {_byte_offset(source, i + 1)}"
                )
            j = i + 2
            url: list[str] = []
            while j < n and source[j] != ")":
                if source[j] == "\\" and j + 1 < n:
                    url.append(source[j + 1])
                    j += 2
                    continue
                url.append(source[j])
                j += 1
            if j >= n:
                raise EntityParseError(f"Can't find end of a url at byte offset {at}")
            target = "".join(url)
            match = re.fullmatch(r"tg://user\?id=(\d+)", target)
            link: Entity = (
                {"type": "text_mention", "user": {"id": int(match.group(1))}}
                if match
                else {"type": "text_link", "url": target}
            )
            spans.append((start, pos(), link))
            i = j + 1
            continue
        if c in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(c)
        if c == "\n":
            line_start = True
        i += 1
    if quote_start is not None:
        spans.append((quote_start, pos(), {"type": "blockquote"}))
    if stack:
        marker, _, at = stack[-1]
        names = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough"}
        name = names.get(marker, "Spoiler" if marker == "||" else "TextUrl")
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {at}")
    text = "".join(out)
    return text, _to_utf16(text, spans)


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of a text with the legacy parse_mode Markdown."""
    out: list[str] = []
    spans: list[tuple[int, int, Entity]] = []
    i = 0
    n = len(source)

    def pos() -> int:
        return sum(len(part) for part in out)

    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            i += 2
            continue
        if c in "*_`" or (c == "[" and "](" in source[i:]):
            fence = "```" if source.startswith("```", i) else c
            close = "](" if c == "[" else fence
            end = source.find(close, i + len(fence))
            if end < 0:
                raise EntityParseError(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            start = pos()
            out.append(source[i + len(fence) : end])
            if c == "[":
                url_end = source.find(")", end + 2)
                if url_end < 0:
                    raise EntityParseError(
                        "Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(source, i)}"
                    )
                spans.append(
                    (start, pos(), {"type": "text_link", "url": source[end + 2 : url_end]})
                )
                i = url_end + 1
                continue
            type_ = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[fence]
            spans.append((start, pos(), {"type": type_}))
            i = end + len(fence)
            continue
        out.append(c)
        i += 1
    text = "".join(out)
    return text, _to_utf16(text, spans)


PARSE_MODES = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result = []
    for item in entities:
        start = max(int(item["offset"]) - lead, 0)
        end = min(int(item["offset"]) + int(item["length"]) - lead, total)
        if end > start:
            moved = dict(item)
            moved["offset"] = start
            moved["length"] = end - start
            result.append(moved)
    return stripped, result
