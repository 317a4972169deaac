"""Article → shorter Article: an offline, extractive German summary for a listening time.

Sentences come from the project's splitter (`chunk.split_sentences`) and are kept whole, in
the article's order. Each sentence is scored for news: its position (the lead and the first
paragraphs carry the facts), its centrality (TextRank over TF-IDF cosine similarity of
lemmas from simplemma, German stop words left out), its likeness to the headline and
whether it carries figures. Sentences are then taken greedily by maximal marginal relevance
(a sentence much like one already taken loses), until the summary's listening time, by the
project's own speaking-rate estimate, is close to the target.

A quotation is never torn from its speaker: a sentence that continues an open quotation, an
attribution ending in a colon, and a quote whose speaker is only in the neighbour sentence
("„…“, sagte sie." or a bare „…“) form one unit with that neighbour and are taken or left
together. Headings are never taken.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import simplemma

from bot.models import Article, Block, BlockKind
from bot.pipeline.script import estimate_seconds
from bot.pipeline.sentences import split_sentences

logger = logging.getLogger(__name__)

# Default listening time of a summary: about as long as a radio news item (60–90 s).
DEFAULT_SUMMARY_SECONDS: Final = 75.0

# The summary's length is aimed at [LOW, HIGH] × the target's words: selection stops once
# past LOW and never takes a unit that would pass HIGH. Inside the ±20 % that is promised,
# with room for the headline, which is counted too.
LENGTH_LOW: Final = 0.92
LENGTH_HIGH: Final = 1.12

# Weights of the sentence score, tuned on the fixtures in tests/data/summaries with
# `python -m bench.bench_summarize` (key-fact coverage; the table is in docs/benchmarks.md).
W_CENTRALITY: Final = 0.30
W_POSITION: Final = 0.40
W_TITLE: Final = 0.20
W_FIGURES: Final = 0.10
# A section's first sentence (right after a subheading) states what the section is about.
W_SECTION_START: Final = 0.10
# MMR trade-off between relevance and novelty (Carbonell & Goldstein use 0.7 for summaries).
MMR_LAMBDA: Final = 0.7
# Damping factor and iterations of TextRank (Mihalcea & Tarau: 0.85; converges in < 30).
DAMPING: Final = 0.85
ITERATIONS: Final = 30
# A sentence opening with a back-reference ("Er …", "Damit …") reads oddly alone.
ANAPHOR_PENALTY: Final = 0.8

_WORD_RE: Final = re.compile(r"\w+(?:[-’']\w+)*")
_DIGIT_RE: Final = re.compile(r"\d")
# German quotation marks: „…“ and ‚…‘ (low-high), »…« (guillemets), straight "…".
_OPEN_QUOTES: Final = "„»‚"
_CLOSE_QUOTES: Final = "“«‘"
_QUOTED_RE: Final = re.compile(r"„[^“]*“?|»[^«]*«?|\"[^\"]*\"?")
_CLOSERS: Final = "\"'“”‘’»«›‹)]}"


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


# Words that carry no topic; simplemma lemmatises, this list removes the grammar.
STOP_WORDS: Final = _words(
    """
    der die das den dem des ein eine einer eines einem einen kein keine keiner keines keinem
    keinen und oder aber doch sondern denn weil dass da wenn als ob wie so auch noch schon nur
    sehr mehr viel viele vielen wenig wenige nicht nichts nie immer wieder bereits jetzt dann
    danach damit dabei dazu daher deshalb trotzdem zudem außerdem jedoch allerdings sowie
    sowohl weder zwar also etwa rund knapp fast gut ganz eben gar ja nein man es er sie wir
    ich du ihr ihm ihn ihnen ihre ihrer ihres ihrem ihren sein seine seiner seines seinem
    seinen unser unsere mein meine dein deine euer sich mich mir dich dir uns euch dies diese
    dieser dieses diesem diesen jener jene jenes welche welcher welches was wer wo wann warum
    wieso weshalb woher wohin hier dort heute gestern morgen nun mal am im an in auf aus bei
    mit nach von vor zu zum zur über unter um durch für gegen ohne bis seit ab pro je per
    zwischen neben hinter während wegen trotz laut sein haben werden können müssen sollen
    wollen dürfen mögen ist sind war waren wird werden wurde wurden hat hatte hatten habe
    kann könne könnte konnte muss musste soll sollte will wollte gibt gab geben sagen sagte
    sagt erklären erklärte betonen betonte sei seien wäre wären würde würden worden gewesen
    alle alles allem allen aller andere anderen anderer anderes jeder jede jedes jedem jeden
    selbst selber beim vom ins ans aufs einmal etwas mehrere einige einigen manche solche
    eigentlich vielleicht wohl bisher zuletzt zunächst erst später sowie ebenfalls weiter
    weitere weiteren weiterer neu neue neuen neuer jahr jahre jahren prozent uhr
    """
)
# Sentence openings that refer back to the sentence before.
_ANAPHORS: Final = _words(
    """
    Er Sie Es Dies Diese Dieser Dieses Das Damit Dabei Dazu Daher Deshalb Dadurch Darauf
    Darin Davon Dafür Dagegen Trotzdem Außerdem Zudem Auch Doch Aber Allerdings Jedoch
    Ebenfalls Denn Sein Seine Ihr Ihre Dort
    """
)
# Personal pronouns that open a sentence about a speaker named before.
_PRONOUNS: Final = frozenset({"Er", "Sie"})
# Capitalised words outside a quotation that do not name a speaker.
_NOT_A_SPEAKER: Final = _words(
    """
    Er Sie Es Das Der Die Dies Doch Aber Und Auch Dann So Ihr Wir Ich Man Da Denn Nun
    Zudem Dabei Damit Hier Dort Sein Seine Ihre
    """
)


@dataclass(frozen=True)
class _Sentence:
    text: str
    block: int  # index into article.blocks; -1 for the lead
    kind: BlockKind
    words: int


@lru_cache(maxsize=65536)
def _lemma(token: str) -> str | None:
    """The lower-cased lemma of a token, or None for a stop word."""
    lower = token.lower()
    if lower in STOP_WORDS or (len(lower) < 2 and not lower.isdigit()):
        return None
    if _DIGIT_RE.search(token):
        return lower
    lemma = simplemma.lemmatize(token, lang="de").lower()
    return None if lemma in STOP_WORDS else lemma


def _terms(text: str) -> Counter[str]:
    """Content lemmas of a text with their counts."""
    return Counter(lemma for tok in _WORD_RE.findall(text) if (lemma := _lemma(tok)))


def _vectors(
    term_counts: Sequence[Counter[str]], extra: Counter[str]
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """TF-IDF vectors (unit length) of the sentences, and of `extra` by the same IDF."""
    df: Counter[str] = Counter()
    for counts in term_counts:
        df.update(counts.keys())
    n = len(term_counts)
    idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}

    def vector(counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * idf.get(t, math.log(1 + n) + 1.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    return [vector(c) for c in term_counts], vector(extra)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[t] for t, v in a.items() if t in b)


def _textrank(sim: list[list[float]]) -> list[float]:
    """Weighted PageRank over the similarity graph, scaled to a maximum of 1."""
    n = len(sim)
    if n == 0:
        return []
    out_weight = [sum(row) for row in sim]
    rank = [1.0 / n] * n
    for _ in range(ITERATIONS):
        new = []
        for i in range(n):
            incoming = sum(
                sim[j][i] / out_weight[j] * rank[j] for j in range(n) if sim[j][i] and out_weight[j]
            )
            new.append((1 - DAMPING) / n + DAMPING * incoming)
        delta = sum(abs(a - b) for a, b in zip(new, rank, strict=True))
        rank = new
        if delta < 1e-6:
            break
    top = max(rank) or 1.0
    return [r / top for r in rank]


def _sentences(article: Article) -> list[_Sentence]:
    """Lead and body sentences in order; headings left out."""
    out: list[_Sentence] = []
    if article.lead:
        out += [
            _Sentence(s, -1, BlockKind.PARAGRAPH, len(s.split()))
            for s in split_sentences(article.lead)
        ]
    for index, block in enumerate(article.blocks):
        if block.kind is BlockKind.HEADING:
            continue
        out += [
            _Sentence(s, index, block.kind, len(s.split())) for s in split_sentences(block.text)
        ]
    return out


def _quote_depth(text: str) -> int:
    """How many quotations the text leaves open (negative: closes one opened before)."""
    depth = sum(text.count(c) for c in _OPEN_QUOTES) - sum(text.count(c) for c in _CLOSE_QUOTES)
    return depth + text.count('"') % 2


def _has_quote(text: str) -> bool:
    return any(c in text for c in _OPEN_QUOTES + '"')


def _needs_speaker(text: str) -> bool:
    """A quotation whose speaker is not named in the sentence itself ("„…“, sagte sie.")."""
    if not _has_quote(text):
        return False
    outside = _QUOTED_RE.sub(" ", text)
    names = [w for w in _WORD_RE.findall(outside) if w[0].isupper() and w not in _NOT_A_SPEAKER]
    return not names


def _links(sentences: Sequence[_Sentence]) -> list[bool]:
    """links[i]: sentences i and i + 1 must be taken together (a quote and its speaker)."""
    n = len(sentences)
    links = [False] * max(n - 1, 0)
    depth = 0
    for i, sentence in enumerate(sentences):
        nxt = sentences[i + 1] if i + 1 < n else None
        if i > 0 and sentences[i - 1].block != sentence.block:
            depth = 0  # a quotation left open at a paragraph end is a typo, not a link
        depth = max(0, depth + _quote_depth(sentence.text))
        if nxt is None:
            break
        same_block = nxt.block == sentence.block
        if depth > 0 and same_block:
            links[i] = True  # the quotation goes on in the next sentence
        elif sentence.text.rstrip(_CLOSERS).endswith(":"):
            links[i] = True  # "Sie sagte:" introduces what follows
        elif nxt.kind is BlockKind.QUOTE and sentence.kind is not BlockKind.QUOTE:
            links[i] = True  # a block quotation belongs to the paragraph that introduces it
        elif nxt.kind is BlockKind.QUOTE and same_block:
            links[i] = True  # one block quotation is one unit
        elif _needs_speaker(nxt.text):
            links[i] = True  # the speaker of a bare quote is named just before it
            if i > 0 and sentence.text.split(maxsplit=1)[0] in _PRONOUNS:
                links[i - 1] = True  # "Er schüttelte den Kopf. „…“": who "er" is comes first
    return links


def _units(links: Sequence[bool], n: int) -> list[list[int]]:
    units: list[list[int]] = []
    for i in range(n):
        if i > 0 and links[i - 1]:
            units[-1].append(i)
        else:
            units.append([i])
    return units


def _opens_with_anaphor(text: str) -> bool:
    """Whether the sentence starts by pointing back ("Er …", "Damit …")."""
    first = text.split(maxsplit=1)[0].lstrip(_OPEN_QUOTES + '"(')
    return first in _ANAPHORS


def _section_starts(article: Article, sentences: Sequence[_Sentence]) -> set[int]:
    """Indices of the first sentence after each heading: a section's own lead."""
    starts: set[int] = set()
    previous_block = -1
    for index, sentence in enumerate(sentences):
        if sentence.block > previous_block:
            between = article.blocks[previous_block + 1 : sentence.block]
            if any(b.kind is BlockKind.HEADING for b in between):
                starts.add(index)
            previous_block = sentence.block
    return starts


def target_words(seconds: float) -> int:
    """Words that take `seconds` to hear at the project's speaking rate."""
    return max(1, round(seconds / estimate_seconds(1)))


def summarize(article: Article, seconds: float = DEFAULT_SUMMARY_SECONDS) -> Article:
    """An extractive summary of about `seconds` listening time, marked with the full length."""
    full_words = article.words
    target = target_words(seconds)
    marked = dataclasses.replace(article, summary_of_words=full_words)
    sentences = _sentences(article)
    title_words = len(article.title.split())
    if full_words <= target * LENGTH_HIGH or not sentences:
        body = tuple(b for b in article.blocks if b.kind is not BlockKind.HEADING)
        return dataclasses.replace(marked, blocks=body)

    terms = [_terms(s.text) for s in sentences]
    vectors, title_vec = _vectors(terms, _terms(article.title))
    n = len(sentences)
    sim = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            sim[i][j] = sim[j][i] = _cosine(vectors[i], vectors[j])
    centrality = _textrank(sim)
    section_starts = _section_starts(article, sentences)
    scores = []
    for i, sentence in enumerate(sentences):
        position = 1.0 / math.sqrt(1 + i)
        title = _cosine(vectors[i], title_vec)
        figures = 1.0 if _DIGIT_RE.search(sentence.text) else 0.0
        score = (
            W_CENTRALITY * centrality[i]
            + W_POSITION * position
            + W_TITLE * title
            + W_FIGURES * figures
        )
        if i in section_starts:
            score += W_SECTION_START
        scores.append(score)

    units = _units(_links(sentences), n)
    unit_words = [sum(sentences[i].words for i in unit) for unit in units]
    unit_score = [sum(scores[i] for i in unit) / len(unit) for unit in units]
    anaphoric = [_opens_with_anaphor(s.text) for s in sentences]
    chosen: list[int] = []
    taken: set[int] = set()
    total = title_words
    candidates = set(range(len(units)))
    while candidates and total < target * LENGTH_LOW:
        best, best_value = -1, -math.inf
        for u in candidates:
            if total + unit_words[u] > target * LENGTH_HIGH:
                continue
            redundancy = max(
                (sim[i][j] for c in chosen for i in units[u] for j in units[c]), default=0.0
            )
            relevance = unit_score[u]
            head = units[u][0]
            if anaphoric[head] and head - 1 not in taken:
                relevance *= ANAPHOR_PENALTY
            value = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * redundancy
            if value > best_value:
                best, best_value = u, value
        if best < 0:
            break
        chosen.append(best)
        taken.update(units[best])
        candidates.discard(best)
        total += unit_words[best]

    if not chosen:
        # Every unit is longer than the whole summary may be (run-on text without sentence
        # ends): the opening words then, rather than a summary of the headline alone.
        first = sentences[units[0][0]]
        opening = first.text.split()[: max(1, target - title_words)]
        cut = dataclasses.replace(first, text=" ".join(opening) + " …", words=len(opening))
        return _rebuild(marked, [cut])
    keep = sorted(i for u in chosen for i in units[u])
    return _rebuild(marked, [sentences[i] for i in keep])


def _rebuild(article: Article, kept: Sequence[_Sentence]) -> Article:
    """The article with only the kept sentences, grouped back into their blocks."""
    lead = " ".join(s.text for s in kept if s.block == -1) or None
    blocks: list[Block] = []
    current = -2
    for sentence in kept:
        if sentence.block == -1:
            continue
        if sentence.block == current:
            blocks[-1] = Block(blocks[-1].kind, f"{blocks[-1].text} {sentence.text}")
        else:
            blocks.append(Block(sentence.kind, sentence.text))
            current = sentence.block
    return dataclasses.replace(article, lead=lead, blocks=tuple(blocks))
