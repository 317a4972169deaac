"""Golden tests: saved German pages → the text a listener should hear."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.errors import NoArticleError, PaywallError
from bot.models import Article, BlockKind
from bot.pipeline.article import article_from_html
from bot.pipeline.clean import is_boilerplate
from bot.pipeline.extract import parse_page
from bot.pipeline.walls import explain_missing_text

PAGES = Path(__file__).parent.parent / "data" / "pages"


def _load(name: str) -> Article:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return article_from_html(html, url=f"https://example.org/{name}")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?“])\s+", text.replace("\n\n", " ")) if s]


@pytest.mark.parametrize("name", ["clubhouse-musk", "regional-bahn"])
def test_clean_text_equals_expected_sentence_for_sentence(name: str) -> None:
    expected = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    article = _load(name)
    assert _sentences(article.text) == _sentences(expected)
    assert article.text == expected


def test_clubhouse_metadata_and_structure() -> None:
    article = _load("clubhouse-musk")
    assert article.title.startswith("Elon Musk auf Twitter")
    assert article.site == "Digital Life Magazin"
    assert article.author == "Lena Beispiel"
    assert article.date == dt.date(2021, 2, 15)
    assert article.language == "de"
    assert article.lead
    assert article.lead.startswith("An den Account des Kremls")
    headings = [b.text for b in article.blocks if b.kind is BlockKind.HEADING]
    assert headings == ["Elon Musk: Von Twitter zu Clubhouse", "Weitere Projekte des Tesla-Chefs"]
    text = article.text
    for unwanted in ("Foto:", "Google News", "Lesezeit", "Teilen", "Cookies", "Anzeige", "Themen"):
        assert unwanted not in text
    assert text.count("Er würde sich gerne mit Wladimir Putin unterhalten.") == 1
    assert text.count("Tesla-Chef stellt überraschende Anfrage an Putin") == 1


def test_regional_page_drops_inline_credit_related_link_stamp_and_consent() -> None:
    text = _load("regional-bahn").text
    for unwanted in (
        "Foto:",
        "Lesen Sie auch",
        "(dpa)",
        "Fehler gefunden",
        "Externer Inhalt",
        "Stand:",
        "Newsletter",
        "Meistgelesen",
    ):
        assert unwanted not in text
    assert "12.000 Reisende" in text


def test_table_is_read_row_by_row_without_pipes() -> None:
    article = _load("bundesliga-tabelle")
    rows = [b.text for b in article.blocks if b.kind is BlockKind.LIST_ITEM]
    # The header is read once, then each row with its first cell as the label.
    assert rows[0] == "Platz, Verein, Punkte."
    assert rows[1] == "1: Bayer Leverkusen, Punkte 32."
    assert len(rows) == 4
    assert "|" not in article.text


def test_index_page_is_no_article() -> None:
    with pytest.raises(NoArticleError):
        _load("startseite")


def test_paywall_is_detected_honestly() -> None:
    html = (PAGES / "paywall.html").read_text(encoding="utf-8")
    # Too little free text for an article, and the page says why: a paywall.
    with pytest.raises(PaywallError):
        _load("paywall")
    with pytest.raises(PaywallError):
        explain_missing_text(parse_page(html).walls)


def test_english_article_is_detected_as_english() -> None:
    article = _load("english-news")
    assert article.language == "en"
    assert article.site == "Riverside Times"


@pytest.mark.parametrize(
    "text",
    [
        "Foto: dpa/Picture Alliance",
        "Bild: Getty Images",
        "© dpa-infocom, dpa:240124-99-712345/3",
        "Lesen Sie auch: Neue Straßenbahn kommt später",
        "Du willst mehr von uns lesen? Folge uns auf Google News.",
        "Folgen Sie uns auf WhatsApp",
        "Jetzt den Newsletter abonnieren",
        "Fehler gefunden? Jetzt melden.",
        "Stand: 24.01.2024, 06:15 Uhr",
        "Lesezeit: 3 Min.",
        "Von Lena Beispiel",
        "Ein Klick für den Datenschutz",
        "Anzeige",
        "(dpa)",
        "AFP/lea",
    ],
)
def test_boilerplate_patterns(text: str) -> None:
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    [
        "Von Berlin aus fuhr der Zug weiter nach Hamburg, wo er am Abend ankam.",
        "Die Redaktion hat den Newsletter im vergangenen Jahr eingestellt, sagte die Sprecherin "
        "auf Anfrage und verwies auf sinkende Leserzahlen und steigende Kosten für den Versand "
        "der wöchentlichen Ausgabe an mehr als zwanzigtausend Abonnenten im ganzen Land.",
        "Bild und Ton waren gestört.",
    ],
)
def test_prose_is_not_boilerplate(text: str) -> None:
    assert not is_boilerplate(text)


def test_json_ld_of_any_shape_is_read_without_crashing() -> None:
    html = (
        "<html><head>"
        '<script type="application/ld+json">"just a string"</script>'
        '<script type="application/ld+json">42</script>'
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        ' "isAccessibleForFree": false}, "x"]}</script>'
        "</head><body><p>Kurz.</p></body></html>"
    )
    page = parse_page(html)
    assert page.json_ld == [{"@type": "NewsArticle", "isAccessibleForFree": False}]
    with pytest.raises(PaywallError):
        explain_missing_text(page.walls)


SHORT_ITEM = (
    "Die Koalitionspartner im Rathaus haben sich am Montag auf einen Kompromiss beim Busverkehr "
    "geeinigt. Nach Angaben der Partner soll die Linie 12 ab März wieder im Zehn-Minuten-Takt "
    "fahren. Die Kosten von rund 400.000 Euro im Jahr teilen sich Stadt und Kreis. Die Opposition "
    "begrüßte die Einigung, kritisierte aber, dass die Partner die Fahrgastverbände nicht gehört "
    "hätten. Der Stadtrat soll den Vertrag im Februar beschließen; eine Mehrheit gilt als sicher, "
    "weil beide Partner zusammen 31 der 52 Sitze haben."
)


def test_a_short_item_beside_a_visible_cookie_banner_and_topic_links_is_read() -> None:
    page = f"""<html lang="de"><head><title>Einigung beim Busverkehr</title></head><body>
    <div class="cmp-banner"><p>Wir und unsere Partner verwenden Cookies. Mit „Akzeptieren“
    stimmen Sie zu; Ihre Einwilligung können Sie jederzeit widerrufen.</p>
    <button>Akzeptieren</button></div>
    <article><h1>Einigung beim Busverkehr</h1><p>{SHORT_ITEM}</p>
    <h3>Mehr zum Thema</h3><ul><li><a href="/a">Neue Radwege in der Innenstadt</a></li>
    <li><a href="/b">Parkgebühren steigen im Sommer</a></li></ul></article></body></html>"""
    article = article_from_html(page)
    assert SHORT_ITEM in article.text
    assert not article.paywalled
