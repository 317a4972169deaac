"""Pruning by class and id tokens: furniture goes, the article never does."""

from __future__ import annotations

import html as html_lib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from bot.models import Article, Block, BlockKind
from bot.pipeline.article import article_from_html
from bot.pipeline.clean import clean_article
from bot.pipeline.prune import is_furniture_class, prune_furniture


@pytest.mark.parametrize(
    "value",
    [
        "share",
        "article-share-bar",
        "social-share-buttons",
        "c-newsletter-box",
        "cookie-banner",
        "breadcrumbs",
        "byline",
        "wp-caption-text",
        "related-articles",
        "ad-slot",
        "back-to-top",
        "post-sharing__links",
    ],
)
def test_furniture_tokens(value: str) -> None:
    assert is_furniture_class(value)


@pytest.mark.parametrize(
    "value",
    [
        "home page-template cookies-not-set",
        "post-template-default single wp-featherlight-caption-style",
        "socialmedia-maincolor",
        "caption-dark",
        "tweak-blog-item-share-button-style-regular",
        "docked-sharebar-content-container",
        "entry-content no-share",
        "has-caption",
        "is-social-enabled",
        "shared-content",
        "headline",
        "sharepoint-embed",
        "loaded",
    ],
)
def test_names_that_only_contain_a_furniture_word_are_not_furniture(value: str) -> None:
    assert not is_furniture_class(value)


SENTENCES = [
    "Der Stadtrat hat am Dienstag den neuen Haushalt beschlossen.",
    "Die Grünen stimmten dafür.",
    "Die Linke stimmte dagegen.",
    "Nach Angaben der Verwaltung steigen die Ausgaben für Schulen um zwölf Prozent.",
    "„Wir investieren in die Zukunft“, sagte die Kämmerin nach der Sitzung.",
    "Kritik kam von den Elternverbänden, die mehr Personal für die Ganztagsbetreuung fordern.",
    "Die Bauarbeiten an der Grundschule Nord sollen im Frühjahr beginnen.",
    "Bis dahin lernen die Kinder in Containern auf dem Sportplatz.",
]
WRAPPER_TOKENS = [
    "share", "social", "cookies-not-set", "wp-featherlight-captions", "socialmedia-maincolor",
    "caption-dark", "no-share", "entry-content", "docked-sharebar-content-container", "related",
    "newsletter", "article-body", "content", "l-container", "js-share", "byline", "main-col",
]  # fmt: skip
PARAGRAPH_TOKENS = [
    "text", "caption-dark", "has-caption", "no-share", "paragraph", "p-share-enabled",
    "socialmedia-maincolor", "is-social", "lead-in", "",
]  # fmt: skip
FURNITURE_BOXES = [
    '<div class="share-bar"><a href="/s">Teilen</a> <a href="/t">Twittern</a></div>',
    '<aside class="related"><h3>Mehr zum Thema</h3><a href="/x">Neue Radwege</a></aside>',
    '<nav class="breadcrumb"><a href="/">Start</a> › <a href="/lokal">Lokales</a></nav>',
    '<div class="newsletter-box"><p>Der Stadtbote-Newsletter kommt jeden Morgen.</p></div>',
    '<footer><a href="/impressum">Impressum</a> <a href="/datenschutz">Datenschutz</a></footer>',
    '<div id="cookie-banner"><p>Wir verwenden Cookies.</p><button>OK</button></div>',
]


# trafilatura itself drops single paragraphs whose class contains "caption", "shar" or "social"
# (its guard only keeps its rules from removing nearly the whole page). The end-to-end property
# leaves those paragraph names to the pruning property above, which holds for every name.
TRAFILATURA_PARAGRAPH_TRIGGERS = ("caption", "shar", "social")


@st.composite
def pages(draw: st.DrawFn, *, trafilatura_safe: bool = False) -> tuple[str, list[str]]:
    paragraphs = draw(st.lists(st.sampled_from(SENTENCES), min_size=6, max_size=14, unique=False))
    # Keep one of each sentence: the page is an article, not a repeated block.
    paragraphs = list(dict.fromkeys(paragraphs)) + [s for s in SENTENCES if s not in paragraphs]
    paragraph_tokens = PARAGRAPH_TOKENS
    if trafilatura_safe:
        paragraph_tokens = [
            t for t in PARAGRAPH_TOKENS if not any(x in t for x in TRAFILATURA_PARAGRAPH_TRIGGERS)
        ]
    body = "".join(
        f'<p class="{draw(st.sampled_from(paragraph_tokens))}">{html_lib.escape(p)}</p>'
        for p in paragraphs
    )
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        classes = " ".join(draw(st.lists(st.sampled_from(WRAPPER_TOKENS), min_size=1, max_size=3)))
        tag = draw(st.sampled_from(["div", "section", "nav", "aside", "article", "main"]))
        body = f'<{tag} class="{classes}">{body}</{tag}>'
    boxes = draw(st.lists(st.sampled_from(FURNITURE_BOXES), max_size=4))
    split = draw(st.integers(min_value=0, max_value=len(boxes)))
    body_class = " ".join(draw(st.lists(st.sampled_from(WRAPPER_TOKENS), max_size=3)))
    page = (
        '<html lang="de"><head><title>Haushalt beschlossen</title></head>'
        f'<body class="{body_class}">{"".join(boxes[:split])}{body}{"".join(boxes[split:])}'
        "</body></html>"
    )
    return page, paragraphs


@given(pages())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_pruning_never_removes_article_paragraphs(case: tuple[str, list[str]]) -> None:
    page, paragraphs = case
    tree = lxml_html.document_fromstring(page)
    prune_furniture(tree)
    left = " ".join(tree.text_content().split())
    for paragraph in paragraphs:
        assert paragraph in left


@given(pages(trafilatura_safe=True))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_whole_article_is_heard_whatever_its_wrappers(case: tuple[str, list[str]]) -> None:
    page, paragraphs = case
    heard = " ".join(article_from_html(page).text.split())
    for paragraph in paragraphs:
        assert paragraph in heard
    for furniture in ("Teilen", "Impressum", "Wir verwenden Cookies", "Stadtbote-Newsletter"):
        assert furniture not in heard


PARTIES = ["SPD", "CDU", "CSU", "FDP", "AfD", "Die Linke", "Die Grünen", "BSW"]
GROUPS = ["Mieter", "Vermieter", "Pendler", "Radfahrer", "Rentner", "Studierende"]


@st.composite
def near_identical_articles(draw: st.DrawFn) -> Article:
    blocks: list[Block] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(min_value=3, max_value=25))):
        kind = draw(st.sampled_from(["vote", "question", "part"]))
        if kind == "vote":
            party = draw(st.sampled_from(PARTIES))
            verb = "stimmten" if party.startswith("Die ") else "stimmte"
            text = f"{'' if party.startswith('Die ') else 'Die '}{party} {verb} "
            text += draw(st.sampled_from(["dafür.", "dagegen.", "nicht ab."]))
            block = Block(BlockKind.PARAGRAPH, text)
        elif kind == "question":
            group = draw(st.sampled_from(GROUPS))
            block = Block(BlockKind.HEADING, f"Was ändert sich für {group}?")
        else:
            block = Block(BlockKind.HEADING, f"Teil {draw(st.integers(1, 40))}")
        if block.text in used:
            continue
        used.add(block.text)
        blocks.append(block)
    blocks.append(Block(BlockKind.PARAGRAPH, " ".join(SENTENCES)))  # enough running text
    return Article(title="Abstimmung im Landtag", blocks=tuple(blocks))


@given(near_identical_articles())
@settings(max_examples=200, deadline=None)
def test_cleaning_keeps_every_distinct_short_sentence_and_heading(article: Article) -> None:
    cleaned = clean_article(article)
    assert [b.text for b in cleaned.blocks] == [b.text for b in article.blocks]


def test_an_exact_repeat_goes_once_and_only_the_repeat() -> None:
    teaser = Block(BlockKind.PARAGRAPH, "Der Landtag hat das Gesetz beschlossen.")
    body = Block(BlockKind.PARAGRAPH, " ".join(SENTENCES))
    article = Article(
        title="Gesetz beschlossen",
        blocks=(
            Block(BlockKind.HEADING, "Gesetz  beschlossen"),
            teaser,
            body,
            Block(BlockKind.PARAGRAPH, "Der Landtag hat das Gesetz „beschlossen“."),
            Block(BlockKind.PARAGRAPH, "Der Landtag hat das Gesetz beschlossen."),
        ),
    )
    kept = [b.text for b in clean_article(article).blocks]
    assert kept == [teaser.text, body.text, "Der Landtag hat das Gesetz „beschlossen“."]


def test_a_short_sentence_or_heading_said_twice_is_heard_twice() -> None:
    vote = Block(BlockKind.PARAGRAPH, "Die SPD stimmte dafür.")
    summary = Block(BlockKind.HEADING, "Fazit")
    first = Block(BlockKind.PARAGRAPH, " ".join(SENTENCES[:4]))
    second = Block(BlockKind.PARAGRAPH, " ".join(SENTENCES[4:]))
    blocks = (vote, summary, first, vote, summary, second)
    kept = clean_article(Article(title="Zwei Abstimmungen", blocks=blocks)).blocks
    assert kept == blocks
