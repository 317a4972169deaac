"""Article → its short version: abstractive through a language model where one is configured
and asked for, extractive (offline) otherwise and whenever the model fails.

The model gets a German prompt, a word budget and the article's text as its only source. Its
answer is refused (and the extractive summary used) when it is empty, too long or not German.
The result says which method made it and whether it fell back, so that only a user who asked
for the model explicitly is told.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

from bot.errors import LanguageModelError
from bot.models import Article, Block, BlockKind
from bot.pipeline.language import detect_language
from bot.pipeline.llm import ChatClient
from bot.pipeline.summarize import DEFAULT_SUMMARY_SECONDS, summarize, target_words

logger = logging.getLogger(__name__)

SummaryMethod = Literal["extractive", "llm"]
Preference = Literal["auto", "extractive", "llm"]

# An answer up to this factor over the word budget is accepted (the ±20 % the extractive
# summary also keeps); longer ones are refused, as a model that ignores the budget may also
# ignore the instruction to stay with the article.
MAX_OVERSHOOT: Final = 1.2
# Tokens per German word in GPT-style tokenisers are about 1.5–2; room for 2.5 lets a model
# finish its last sentence instead of being cut off mid-word.
TOKENS_PER_WORD: Final = 2.5

SYSTEM_PROMPT: Final = (
    "Du bist Redakteurin eines deutschsprachigen Audio-Nachrichtendienstes. Du fasst Artikel "
    "so zusammen, dass man sie gut vorlesen kann. Du verwendest ausschließlich Fakten aus dem "
    "Artikel, erfindest nichts und ergänzt kein Wissen von außen. Du schreibst auf Deutsch, in "
    "ganzen Sätzen, ohne Überschriften, Aufzählungen, Markdown oder Einleitung wie "
    "„Hier ist die Zusammenfassung“."
)
USER_PROMPT: Final = (
    "Fasse den folgenden Artikel in höchstens {words} Wörtern zusammen. Nenne die wichtigsten "
    "Fakten und Zahlen und wer was gesagt hat; Zitate nur mit Namen der Person.\n\n"
    "ARTIKEL\n\n{text}"
)
_MARKDOWN_RE: Final = re.compile(r"^\s*(?:#+\s*|[-*•]\s+)", re.MULTILINE)


@dataclass(frozen=True)
class SummaryResult:
    """The short version and how it was made."""

    article: Article
    method: SummaryMethod
    fell_back: bool = False
    requested: Preference = "auto"

    @property
    def tell_user(self) -> bool:
        """Whether the user should hear about the fallback: only when they asked for the LLM."""
        return self.fell_back and self.requested == "llm"


def _from_answer(article: Article, answer: str) -> Article:
    """The model's text as a summary Article with the original's metadata."""
    text = _MARKDOWN_RE.sub("", answer.replace("**", ""))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    blocks = tuple(Block(BlockKind.PARAGRAPH, p) for p in paragraphs)
    return dataclasses.replace(article, lead=None, blocks=blocks, summary_of_words=article.words)


def check_answer(answer: str, budget: int) -> str | None:
    """Why an answer is refused (empty, too long, not German), or None when it is usable."""
    words = len(answer.split())
    if words == 0:
        return "empty"
    if words > budget * MAX_OVERSHOOT:
        return f"too long: {words} words for a budget of {budget}"
    language = detect_language(answer)
    if language != "de":
        return f"not German but {language}"
    return None


async def abstract(article: Article, client: ChatClient, seconds: float) -> Article:
    """A summary written by the model; raises LanguageModelError when the answer is unusable."""
    budget = target_words(seconds)
    prompt = USER_PROMPT.format(words=budget, text=article.text)
    answer = await client.complete(
        SYSTEM_PROMPT, prompt, max_tokens=int(budget * MAX_OVERSHOOT * TOKENS_PER_WORD) + 50
    )
    summary = _from_answer(article, answer)
    problem = check_answer(" ".join(b.text for b in summary.blocks), budget)
    if problem:
        raise LanguageModelError(f"summary refused: {problem}")
    return summary


async def shorten(
    article: Article,
    *,
    seconds: float = DEFAULT_SUMMARY_SECONDS,
    client: ChatClient | None = None,
    prefer: Preference = "auto",
) -> SummaryResult:
    """The article's short version: the model's when configured and wanted, else extractive."""
    use_model = client is not None and prefer in ("auto", "llm")
    if use_model and client is not None:
        try:
            summary = await abstract(article, client, seconds)
            return SummaryResult(summary, "llm", fell_back=False, requested=prefer)
        except LanguageModelError as exc:
            logger.warning("llm summary failed (%s); using the extractive one", exc.detail)
    fell_back = prefer == "llm" or use_model
    return SummaryResult(summarize(article, seconds), "extractive", fell_back, prefer)
