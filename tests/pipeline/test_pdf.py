"""PDFs read like pages: text layer, title, headings, joined hyphenation, no running furniture."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.errors import (
    ExtractTimeoutError,
    NotAnArticleError,
    PdfBrokenError,
    PdfEncryptedError,
    PdfScannedError,
    TooLargeError,
)
from bot.locales import translate
from bot.models import BlockKind
from bot.pipeline.article import ArticleLoader
from bot.pipeline.fetch import Fetcher
from bot.pipeline.pdf import article_from_pdf, blocks_from_lines, drop_running_lines, join_lines
from tests.support.article_server import ArticleServer
from tests.support.pdfs import HEADER, encrypted, make_pdf, report_pages


def _loader(**env: object) -> ArticleLoader:
    settings = load_settings(HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8", **env)
    return ArticleLoader(Fetcher(settings), extract_timeout=settings.extract_timeout)


def test_a_report_reads_as_title_headings_and_paragraphs() -> None:
    pdf = make_pdf(report_pages("Der neue Verkehrsplan"), title="Der neue Verkehrsplan der Stadt")
    article = article_from_pdf(pdf, "https://www.stadt.example/plan.pdf")
    assert article.title == "Der neue Verkehrsplan der Stadt"  # the metadata's title
    assert article.language == "de"
    assert article.site == "stadt.example"
    headings = [b.text for b in article.blocks if b.kind == BlockKind.HEADING]
    assert headings == ["Die Planung", "Was es kostet"]
    text = article.text
    # Running header and "Seite n von m" footers are furniture, not text.
    assert "Sonderheft" not in text
    assert "Seite 1 von" not in text
    # Hyphenation at a line end is joined; a shortened compound keeps its hyphen.
    assert "Verkehrsplanung" in text
    assert "Verkehrs-" not in text
    assert "Bus- und Bahnverkehr" in text
    # The title printed on page 1 is said once (as the title), not again as a heading.
    assert not article.blocks[0].text.startswith("Der neue Verkehrsplan")
    paragraphs = [b for b in article.blocks if b.kind == BlockKind.PARAGRAPH]
    assert len(paragraphs) >= 5
    assert all(p.text.endswith((".", "!", "?")) for p in paragraphs)


def test_without_a_usable_metadata_title_the_first_line_is_the_title() -> None:
    pages = report_pages("Radwege für alle Stadtteile")
    for title in (None, "Microsoft Word - entwurf_v3.docx"):
        article = article_from_pdf(make_pdf(pages, title=title))
        assert article.title == "Radwege für alle Stadtteile"
        assert article.blocks[0].text == "Die Planung"


def test_line_joining_rules() -> None:
    assert join_lines("die Verkehrs-", "planung der Stadt") == "die Verkehrsplanung der Stadt"
    assert join_lines("Bus-", "und Bahn") == "Bus- und Bahn"
    assert join_lines("die CDU-", "Fraktion") == "die CDU-Fraktion"
    assert join_lines("am Ende", "weiter") == "am Ende weiter"


def test_running_lines_go_only_where_they_repeat_at_the_edges() -> None:
    def page(n: int) -> list[str]:
        body = [f"Zeile {chr(64 + k)} auf Blatt {chr(64 + n)} erzählt etwas." for k in range(1, 9)]
        body.insert(4, "Ein Satz, der auf jeder Seite in der Mitte steht.")
        return ["Kopfzeile des Berichts", *body, f"– {n} –"]

    kept = drop_running_lines([page(n) for n in range(1, 4)])
    assert kept[0][0] == "Zeile A auf Blatt A erzählt etwas."
    assert kept[2][-1] == "Zeile H auf Blatt C erzählt etwas."
    assert all(len(lines) == 9 for lines in kept)
    assert all("Ein Satz, der auf jeder Seite in der Mitte steht." in lines for lines in kept)
    # One page alone has no repeats, but its bare page number still goes.
    assert drop_running_lines([["Kopf", "Text.", "Seite 1 von 1"]]) == [["Kopf", "Text."]]


def test_a_scan_an_encrypted_file_and_junk_are_told_apart() -> None:
    pages = report_pages("Ein Bericht")
    with pytest.raises(PdfScannedError) as scanned:
        article_from_pdf(make_pdf(pages, scanned=True))
    assert "eingescannt" in translate(scanned.value.key, "de")
    with pytest.raises(PdfEncryptedError) as locked:
        article_from_pdf(encrypted(make_pdf(pages)))
    assert "Passwort" in translate(locked.value.key, "de")
    assert "password" in translate(locked.value.key, "en")
    with pytest.raises(PdfBrokenError):
        article_from_pdf(b"%PDF-1.4\n" + b"\x00kaputt" * 50)


def test_blocks_of_plain_lines_without_a_sentence_end_still_close() -> None:
    blocks = blocks_from_lines(["Kurzer Titel", "ein Text ohne Punkt am Ende"])
    assert [b.kind for b in blocks] == [BlockKind.HEADING, BlockKind.PARAGRAPH]


async def test_a_pdf_link_is_read_by_content_type_or_by_its_magic() -> None:
    pdf = make_pdf(report_pages("Die Brücke am Hafen"), title="Die Brücke am Hafen")
    loader = _loader()
    try:
        with ArticleServer() as server:
            typed = server.add_route("/bericht.pdf", body=pdf, content_type="application/pdf")
            bare = server.add_route("/download", body=pdf, content_type="application/octet-stream")
            other = server.add_route(
                "/daten.bin", body=b"\x00\x01" * 100, content_type="application/octet-stream"
            )
            for url in (typed, bare):
                article = await loader.load(url)
                assert article.title == "Die Brücke am Hafen"
                assert article.url == url
                assert HEADER not in article.text
            with pytest.raises(NotAnArticleError):
                await loader.load(other)
    finally:
        await loader.aclose()


async def test_a_pdf_keeps_the_size_limit_and_the_deadline_of_pages() -> None:
    pdf = make_pdf(report_pages("Ein Bericht", words=400), title="Ein Bericht")
    small = _loader(HOERCLUB_FETCH_MAX_BYTES=len(pdf) - 1)
    try:
        with pytest.raises(TooLargeError):
            await small.load_pdf(pdf)
    finally:
        await small.aclose()
    # Far too short a deadline for any PDF: the worker is stopped, the error is the pages' one.
    hasty = _loader(HOERCLUB_EXTRACT_TIMEOUT=0.0005)
    try:
        with pytest.raises(ExtractTimeoutError):
            await hasty.load_pdf(pdf)
    finally:
        await hasty.aclose()
