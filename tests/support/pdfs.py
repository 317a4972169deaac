"""PDF fixtures written by hand: pages of text lines (Helvetica, WinAnsi), an optional title,
scans without text, encrypted copies. Small, deterministic and our own."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from pypdf import PdfWriter

from tests.support.pages import paragraphs

PAGE_WIDTH = 595  # A4 in points
PAGE_HEIGHT = 842
LINE_CHARS = 78
HEADER = "Stadtanzeiger Beispielstadt · Sonderheft Verkehr 2025"


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: Sequence[str]) -> bytes:
    """One text line each 14 pt, from the top margin down."""
    out = [b"BT /F1 11 Tf 14 TL 56 790 Td"]
    for line in lines:
        out.append(b"(" + _escape(line) + b") Tj T*")
    out.append(b"ET")
    return b"\n".join(out)


def make_pdf(
    pages: Sequence[Sequence[str]], *, title: str | None = None, scanned: bool = False
) -> bytes:
    """A PDF with one page per line list; `scanned` draws a grey box instead (no text layer)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * n for n in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for n, lines in enumerate(pages):
        stream = b"q 0.6 g 40 60 515 720 re f Q" if scanned else _content(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R"
            b" >> >> /Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, page_ids[n] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    info_id = None
    if title is not None:
        objects.append(b"<< /Title (" + _escape(title) + b") /Producer (Hoerclub-Tests) >>")
        info_id = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % info_id if info_id else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref,
    )
    return bytes(out)


def encrypted(pdf: bytes) -> bytes:
    """The PDF locked with a user password (RC4, which pypdf reads without extra packages)."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    secret = "geheim-" + str(len(pdf))  # a test file's lock, nothing to protect
    writer.encrypt(user_password=secret, owner_password=secret, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def report_pages(
    title: str, *, sections: Sequence[str] = ("Die Planung", "Was es kostet"), words: int = 140
) -> list[list[str]]:
    """A report as printed: the title, sections with headings, paragraphs wrapped at 78
    characters, one word hyphenated at a line end, a running header and "Seite n von m"
    footers; 16 lines a page."""
    body: list[str] = [title, ""]
    for n, heading in enumerate(sections):
        body += [heading]
        for paragraph in paragraphs(words, seed=n * 31):
            body += textwrap.wrap(paragraph, LINE_CHARS)
            body += [""]
    # A word broken at the line end, and a shortened compound that must keep its hyphen.
    body += [
        "Die Stadt legt zudem einen Plan für die Verkehrs-",
        "planung der kommenden Jahre vor, der Bus- und Bahnverkehr enger verbindet.",
        "",
    ]
    per_page = 16
    lines = [line for line in body if line]
    chunks = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    count = len(chunks)
    return [[HEADER, *chunk, f"Seite {n} von {count}"] for n, chunk in enumerate(chunks, 1)]
