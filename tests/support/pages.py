"""Small German article pages built in code, for the bot tests and the benchmark."""

from __future__ import annotations

import html
import subprocess
from functools import cache

from tests.support.audio import ffmpeg

SENTENCES = (
    "Die Stadtwerke haben am Montag neue Pläne für den Ausbau der Straßenbahn vorgestellt.",
    "Nach Angaben der Verwaltung sollen die ersten Bauarbeiten im kommenden Frühjahr beginnen.",
    "Anwohner hatten sich seit Jahren eine bessere Anbindung der äußeren Stadtteile gewünscht.",
    "Der Stadtrat will im Herbst über die Finanzierung des Vorhabens abstimmen.",
    "Kritiker bemängeln, dass die Kosten in den vergangenen Monaten deutlich gestiegen seien.",
    "Die Verkehrsbetriebe rechnen mit deutlich mehr Fahrgästen auf den neuen Linien.",
    "Während der Bauzeit sollen Busse die wichtigsten Haltestellen im Viertel bedienen.",
    "Eine Bürgerversammlung zu dem Projekt ist für Ende des Monats im Rathaus geplant.",
)


PLACES = ("Nordstadt", "Südviertel", "Altstadt", "Hafen", "Westend", "Oststadt", "Bahnhof")
TOPICS = ("Radwege", "Buslinien", "Schulen", "Spielplätze", "Parkhäuser", "Brücken", "Bäder")


def sentence(index: int) -> str:
    """The `index`-th sentence: news-like German, no two alike (cleaners drop repeats)."""
    base = SENTENCES[index % len(SENTENCES)]
    place = PLACES[index % len(PLACES)]
    topic = TOPICS[(index // len(PLACES)) % len(TOPICS)]
    return f"{base} Für die {place} sind außerdem {index + 2} neue {topic} vorgesehen."


def paragraphs(words: int, seed: int = 0) -> list[str]:
    """Paragraphs of plausible German news text, about `words` words in all."""
    out: list[str] = []
    current: list[str] = []
    count = 0
    index = seed
    while count < words:
        text = sentence(index)
        current.append(text)
        count += len(text.split())
        index += 1
        if len(current) == 3:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def article_page(
    title: str,
    words: int = 120,
    *,
    seed: int = 0,
    image: str | None = None,
    site: str = "Stadtanzeiger Beispielstadt",
    author: str = "Erika Muster",
    date: str = "2025-11-24T08:00:00+01:00",
) -> bytes:
    """A complete news page (head metadata, navigation, one article) as UTF-8 bytes."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs(words, seed))
    image_meta = f'<meta property="og:image" content="{html.escape(image)}">' if image else ""
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<title>{html.escape(title)} - {html.escape(site)}</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:site_name" content="{html.escape(site)}">
<meta name="author" content="{html.escape(author)}">
<meta property="article:published_time" content="{date}">
{image_meta}
</head><body>
<nav><a href="/">Startseite</a> | <a href="/lokales">Lokales</a></nav>
<article>
<h1>{html.escape(title)}</h1>
{body}
</article>
<footer>© Stadtanzeiger</footer>
</body></html>
""".encode()


@cache
def png_image(width: int = 800, height: int = 450) -> bytes:
    """A real PNG (a colour gradient) made by ffmpeg, to serve as the article image."""
    done = subprocess.run(
        [
            ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"gradients=s={width}x{height}:d=1",
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout
