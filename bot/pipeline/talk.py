"""Article → "Raumgespräch": the article as a short conversation between a host and a guest.

The language model is asked for structured output, a JSON object `{"lines": [{"speaker":
"host" | "guest", "line": "…"}]}`, built only from the article's facts, the source named at
the start. The answer is validated before any synthesis: only the two speakers, no empty
line, no line and no script over the caps, two to four minutes of speech by the project's
speaking-rate estimate. A model that cannot deliver that raises `LanguageModelError`; there
is no offline conversation to fall back to.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

from bot.errors import LanguageModelError
from bot.models import Article, Script, Segment
from bot.pipeline.llm import ChatClient
from bot.pipeline.script import estimate_seconds

logger = logging.getLogger(__name__)

Speaker = Literal["host", "guest"]
SPEAKERS: Final = frozenset({"host", "guest"})

# Two to four minutes of speech, as the conversation is announced.
MIN_SECONDS: Final = 120.0
MAX_SECONDS: Final = 240.0
# Caps against a runaway answer: a spoken line over ~100 words is a monologue, and four
# minutes hold about 40 short exchanges.
MAX_LINES: Final = 40
MAX_LINE_CHARS: Final = 700
# The host's lines stand apart from the guest's: a longer pause after each turn, which with a
# single-voice engine is what tells the two apart (paragraph pause 700 ms, heading 1200 ms).
HOST_PAUSE_MS: Final = 900
GUEST_PAUSE_MS: Final = 1100
CHAPTER_TITLE_CHARS: Final = 60

SYSTEM_PROMPT: Final = (
    "Du schreibst Skripte für „Raumgespräche“ im Hörclub, einem deutschsprachigen "
    "Audio-Nachrichtendienst: ein kurzes Gespräch zwischen einer Moderatorin (host) und einem "
    "Gast (guest), der den Artikel erklärt. Beide sprechen nur über Fakten aus dem Artikel; "
    "nichts wird erfunden oder von außen ergänzt. Antworte nur mit einem JSON-Objekt."
)
USER_PROMPT: Final = (
    "Schreibe ein Gespräch von etwa {words} Wörtern (zwei bis vier Minuten) über den folgenden "
    "Artikel. Die Moderatorin beginnt, nennt die Quelle ({source}) und stellt Fragen; der Gast "
    "antwortet. Gib genau dieses Format zurück:\n"
    '{{"lines": [{{"speaker": "host", "line": "…"}}, {{"speaker": "guest", "line": "…"}}]}}\n\n'
    "ARTIKEL\n\n{text}"
)
_FENCE_RE: Final = re.compile(r"^```(?:json)?\s*|\s*```$")


@dataclass(frozen=True)
class TalkLine:
    """One turn: who speaks and what."""

    speaker: Speaker
    line: str


@dataclass(frozen=True)
class TalkScript:
    """A validated conversation about one article."""

    title: str
    lines: tuple[TalkLine, ...]
    language: str = "de"

    @property
    def words(self) -> int:
        """Number of spoken words."""
        return sum(len(turn.line.split()) for turn in self.lines)

    @property
    def text(self) -> str:
        """The lines, one paragraph each."""
        return "\n\n".join(turn.line for turn in self.lines)


def parse_talk(answer: str, title: str) -> TalkScript:
    """Validate the model's JSON answer; raises LanguageModelError saying what is wrong."""
    try:
        data = json.loads(_FENCE_RE.sub("", answer.strip()))
    except json.JSONDecodeError as exc:
        raise LanguageModelError(f"talk: not JSON ({exc.msg})") from exc
    raw = data.get("lines") if isinstance(data, dict) else data
    if not isinstance(raw, list) or not raw:
        raise LanguageModelError("talk: no list of lines")
    if len(raw) > MAX_LINES:
        raise LanguageModelError(f"talk: {len(raw)} lines, at most {MAX_LINES}")
    lines: list[TalkLine] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LanguageModelError(f"talk: line {index} is not an object")
        speaker, line = item.get("speaker"), item.get("line")
        if speaker not in SPEAKERS:
            raise LanguageModelError(f"talk: line {index} has speaker {speaker!r}")
        if not isinstance(line, str) or not line.strip():
            raise LanguageModelError(f"talk: line {index} is empty")
        line = " ".join(line.split())
        if len(line) > MAX_LINE_CHARS:
            raise LanguageModelError(f"talk: line {index} has {len(line)} characters")
        lines.append(TalkLine("host" if speaker == "host" else "guest", line))
    if {turn.speaker for turn in lines} != SPEAKERS:
        raise LanguageModelError("talk: both host and guest must speak")
    talk = TalkScript(title, tuple(lines))
    seconds = estimate_seconds(talk.words)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise LanguageModelError(f"talk: {seconds:.0f} s of speech, not 2–4 minutes")
    return talk


async def write_talk(article: Article, client: ChatClient) -> TalkScript:
    """Ask the model for the conversation about `article` and validate it."""
    words = round((MIN_SECONDS + MAX_SECONDS) / 2 / estimate_seconds(1))
    source = article.site or "dem Artikel"
    prompt = USER_PROMPT.format(words=words, source=source, text=article.text)
    answer = await client.complete(SYSTEM_PROMPT, prompt, max_tokens=words * 4, json_object=True)
    return parse_talk(answer, article.title)


def _chapter(line: str) -> str:
    if len(line) <= CHAPTER_TITLE_CHARS:
        return line
    return line[:CHAPTER_TITLE_CHARS].rsplit(" ", 1)[0] + " …"


def talk_script(talk: TalkScript) -> Script:
    """The conversation as a Script: the host's lines as host, the guest's as guest.

    Each question of the host starts a chapter, so players can skip from question to question.
    """
    segments: list[Segment] = []
    for turn in talk.lines:
        if turn.speaker == "host":
            chapter = _chapter(turn.line) if turn.line.rstrip().endswith("?") else None
            segments.append(Segment("host", turn.line, HOST_PAUSE_MS, chapter))
        else:
            segments.append(Segment("guest", turn.line, GUEST_PAUSE_MS))
    return Script(tuple(segments), language=talk.language)
