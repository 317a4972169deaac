"""Chapters a listener can see: the sections with timestamps in the caption, per part."""

from __future__ import annotations

import html
import re
from pathlib import Path

from mutagen.id3 import ID3

from bot.telegram.chapters import timestamp, with_chapters
from bot.telegram.texts import AudioMeta, build_caption, visible_length
from tests.support.article_server import ArticleServer
from tests.support.fake_telegram import FakeTelegram
from tests.support.pages import paragraphs
from tests.telegram.conftest import USER, StartBot, settle

SECTIONS = (
    "Wie alles begann",
    "Der Streit im Stadtrat",
    "Was die Anwohner sagen",
    "Die Kosten im Überblick",
    "Wie es weitergeht",
    "Ein Blick in andere Städte",
)
_LINE = re.compile(r"^(\d+:\d\d(?::\d\d)?) (.+)$")


def _sectioned_page(title: str, words_per_section: int) -> bytes:
    body = []
    for n, heading in enumerate(SECTIONS):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs(words_per_section, seed=n * 40))
    return f"""<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><meta property="og:title" content="{html.escape(title)}">
<meta property="og:site_name" content="Stadtanzeiger">
</head><body><article><h1>{html.escape(title)}</h1>
{"".join(body)}
</article></body></html>""".encode()


def _caption_chapters(caption: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for line in caption.splitlines() if (m := _LINE.match(line))]


def _seconds(stamp: str) -> int:
    total = 0
    for piece in stamp.split(":"):
        total = total * 60 + int(piece)
    return total


def _file_chapters(path: Path) -> list[tuple[str, float]]:
    tag = ID3(path)
    found = [(str(c.sub_frames["TIT2"]), c.start_time / 1000) for c in tag.getall("CHAP")]
    return sorted(found, key=lambda c: c[1])


def test_timestamps_are_the_form_telegram_links() -> None:
    assert timestamp(0) == "0:00"
    assert timestamp(83.9) == "1:23"  # rounded down: the jump never skips the first word
    assert timestamp(3723) == "1:02:03"


def test_the_chapter_list_never_overflows_the_caption() -> None:
    meta = AudioMeta("Ein Titel", url="https://example.org/a", site="Zeitung")
    caption = build_caption(meta, 1800, "de")
    many = [
        (f"Ein sehr langer Abschnittstitel Nummer {n} " + "x" * 80, n * 30.0) for n in range(60)
    ]
    full = with_chapters(caption, many, "de")
    assert visible_length(full) <= 1024
    lines = _caption_chapters(full)
    assert 2 <= len(lines) < 60
    assert full.endswith("\n…")
    assert all(len(title) <= 70 for _, title in lines)
    # Few chapters keep their whole titles; a single chapter is no list at all.
    few = with_chapters(caption, [("Anfang", 0.0), ("Die Mitte <b>", 61.5)], "de")
    assert few.endswith("0:00 Anfang\n1:01 Die Mitte &lt;b&gt;")
    assert with_chapters(caption, [("Anfang", 0.0)], "de") == caption


async def test_split_audio_lists_each_parts_chapters_relative_to_the_part(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_UPLOAD_LIMIT_MB=1)
    url = articles.add_route("/abschnitte.html", body=_sectioned_page("Der neue Stadtpark", 110))
    fake.send_text(USER, url, language_code="en")
    await fake.wait_for_sent(USER, kind="audio", count=2, timeout=120)
    await settle(0.5)
    sends = [c for c in fake.calls_to("sendAudio") if "audio" in c.files]
    assert len(sends) >= 2
    count = len(sends)
    seen_titles: set[str] = set()
    listed = 0
    for n, call in enumerate(sends, start=1):
        upload = call.files["audio"]
        # Split files are named in the listener's language.
        assert upload.filename == f"Der neue Stadtpark ({n} of {count}).mp3"
        path = tmp_path / f"part{n}.mp3"
        path.write_bytes(upload.data)
        in_file = _file_chapters(path)
        in_caption = _caption_chapters(str(call.params["caption"]))
        if len(in_file) < 2:  # one running section from 0:00 is no list
            assert "Sections" not in str(call.params["caption"])
            continue
        listed += 1
        assert "Sections" in str(call.params["caption"])
        # The caption's times are the part's own chapter starts (to the second below, within
        # the 46 ms the cover's remux moves the tags by), titles in the same order.
        assert len(in_caption) == len(in_file)
        for (stamp, _), (_, at) in zip(in_caption, in_file, strict=True):
            assert _seconds(stamp) - 0.1 <= at < _seconds(stamp) + 1.1
        assert [title for _, title in in_caption] == [title for title, _ in in_file]
        assert in_caption[0][0] == "0:00"
        seen_titles.update(title for _, title in in_caption)
    assert listed >= 1
    assert set(SECTIONS) <= seen_titles
