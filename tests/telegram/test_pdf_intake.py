"""PDFs through the bot: a link to a PDF and a PDF sent as a file become audio; scans, locked
and oversized files are told apart in plain German."""

from __future__ import annotations

import asyncio

from tests.support.article_server import ArticleServer
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.pdfs import encrypted, make_pdf, report_pages
from tests.telegram.conftest import GROUP, USER, StartBot, audios, settle

TITLE = "Der Verkehrsplan für die Innenstadt"


async def _final(fake: FakeTelegram, chat_id: int, needle: str) -> SentMessage:
    return await fake.wait_for(
        lambda f: next(
            (m for m in f.sent(chat_id) if m.kind == "text" and needle in (m.text or "")), None
        ),
        60,
        what=f"a message with {needle!r}",
    )


async def test_a_link_to_a_pdf_is_read_aloud(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot()
    pdf = make_pdf(report_pages("Innenstadt"), title=TITLE)
    url = articles.add_route("/plan.pdf", body=pdf, content_type="application/pdf")
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=90)
    assert audio.audio is not None
    assert audio.audio["title"] == TITLE
    assert TITLE in (audio.caption or "")
    assert audio.audio["duration"] > 20
    # Its two sections are the caption's chapters.
    assert "📑" in (audio.caption or "")
    assert "Die Planung" in (audio.caption or "")


async def test_a_pdf_sent_as_a_file_is_read_aloud(fake: FakeTelegram, start_bot: StartBot) -> None:
    bot = await start_bot()
    pdf = make_pdf(report_pages("Innenstadt"), title=TITLE)
    fake.send_document(USER, pdf, file_name="verkehrsplan.pdf")
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=90)
    assert audio.audio is not None
    assert audio.audio["title"] == TITLE
    assert any(c.method == "getFile" for c in fake.calls)
    # The job is marked delivered just after the upload.
    for _ in range(100):
        delivered = await bot.jobs.history(USER)
        if delivered:
            break
        await asyncio.sleep(0.1)
    assert delivered[0].request.kind == "pdf"
    # A file without metadata is named by its first line.
    fake.send_document(USER, make_pdf(report_pages("Radwege im Norden")), file_name="x.pdf")
    second = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=90)
    assert second.audio is not None
    assert second.audio["title"] == "Radwege im Norden"


async def test_scans_locked_and_oversized_pdfs_get_a_clear_word(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot(HOERCLUB_FETCH_MAX_BYTES=200_000)
    pages = report_pages("Innenstadt")
    scan = articles.add_route(
        "/scan.pdf", body=make_pdf(pages, scanned=True), content_type="application/pdf"
    )
    fake.send_text(USER, scan)
    told = await _final(fake, USER, "eingescannt")
    assert "127.0.0.1/scan.pdf" in (told.text or "")  # the error names its link
    fake.send_document(USER, encrypted(make_pdf(pages)), file_name="geheim.pdf")
    await _final(fake, USER, "mit einem Passwort geschützt")
    fake.send_document(USER, b"%PDF-1.4\n" + bytes(300_000), file_name="riesig.pdf")
    big = await _final(fake, USER, "zu groß")
    assert "Ich lese Dateien bis" in (big.text or "")
    # In English too.
    fake.send_document(USER, make_pdf(pages, scanned=True), file_name="s.pdf", language_code="en")
    await _final(fake, USER, "probably a scan")
    await settle(0.5)
    assert audios(fake, USER) == []


async def test_in_a_group_only_a_pdf_addressed_to_the_bot_is_read(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    pdf = make_pdf(report_pages("Innenstadt"), title=TITLE)
    fake.send_document(GROUP, pdf, file_name="a.pdf", user_id=USER, chat_type="supergroup")
    await settle(1.0)
    assert audios(fake, GROUP) == []
    fake.send_document(
        GROUP,
        pdf,
        file_name="a.pdf",
        user_id=USER,
        chat_type="supergroup",
        caption=f"@{fake.bot_username} bitte vorlesen",
    )
    audio = await fake.wait_for_sent(GROUP, kind="audio", timeout=90)
    assert audio.audio is not None
    assert audio.audio["title"] == TITLE
