"""A deterministic ~2,000-word German news article for the chunker's tests and the benchmarks.

The two saved sample articles in tests/data/pages (real German news text), followed by
news-like paragraphs with numbers, dates, money, units, abbreviations, acronyms and gender forms
drawn from fixed templates with a seeded RNG.
"""

from __future__ import annotations

import random
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent / "data" / "pages"
WORDS = 2000

_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember")  # fmt: skip
_TEMPLATES = (
    "Am {d}. {month} {year} stimmte der Bundestag in {o}. Lesung über das Gesetz ab; {n} "
    "Abgeordnete votierten dafür, {m} dagegen.",
    "Die Inflationsrate lag im {o}. Quartal bei {p},{q} %, teilte das Statistische Bundesamt "
    "am {dd}.{mm}.{year} mit.",
    "Ein Liter Super E10 kostete zuletzt {e},{c} €, Diesel {e},{c2} Euro – ca. {x} Cent mehr "
    "als im Vorjahr.",
    "Der DAX schloss um {h}:{mi} Uhr bei {t}.{hundreds} Punkten, ein Plus von {p},{q}%.",
    "Laut ADAC standen am Wochenende rund {n} km Stau auf den Autobahnen, v. a. auf der A{a} "
    "zwischen Köln und Dortmund.",
    "Die EU-Kommission will bis {year2} insgesamt {b} Mrd. Euro in den Ausbau der Netze "
    "investieren, u. a. für {n} neue Windparks mit je {mw} MW.",
    "Die Lehrer*innen der {n} Schulen in der Stadt fordern z. B. kleinere Klassen mit max. "
    "{k} Schüler:innen.",
    "Im Spiel gegen den 1. FC Köln gewann der Gastgeber mit {a2}:{b2}; das Tor zum 1:0 fiel "
    "in der {mi}. Minute.",
    "Der Konzern beschäftigt weltweit {t}.{hundreds} Mitarbeiter, davon {n} in Deutschland, "
    "und setzte {year} rund {b},{q} Mrd. US-Dollar um.",
    "Die Temperaturen steigen am Wochenende auf bis zu {k} °C, nachts sind es im Bergland nur "
    "−{a} Grad.",
    "Weitere Informationen gibt es unter www.beispiel-stadt.de oder per Mail an "
    "presse@beispiel-stadt.de.",
    "Prof. Dr. Maria Schulz von der Universität Hamburg sagte, das sei „ein wichtiger "
    "Schritt“, allerdings reichten {n} Mio. Euro nicht aus.",
    "Zwischen {y1} und {year} wuchs die Bevölkerung von {t}.{hundreds} auf {t2}.{hundreds} "
    "Einwohner, das entspricht {p},{q} Prozent.",
    "Die Veranstaltung findet vom {d}. bis {d2}. {month} statt, Einlass ist jeweils ab {h} "
    "Uhr, der Eintritt kostet {e} €.",
    "Nach Angaben der WHO erkrankten im Jahr {year} weltweit etwa {m} Millionen Menschen, "
    "1/3 davon Kinder unter {k} Jahren.",
    "Der ICE {n} von Berlin nach München hatte am Dienstag {mi} Minuten Verspätung; die "
    "Deutsche Bahn nannte eine Signalstörung als Grund.",
    "Karl V. und Ludwig XIV. gelten als die mächtigsten Herrscher ihrer Zeit, schreibt der "
    "Historiker in seinem Buch (S. {p}–{k}).",
    "Das neue Smartphone hat {g} GB Speicher und wiegt {w} g; es kommt mit iOS {a}.{b2} am "
    "{d}.{mm}. auf den Markt.",
    "Der Landkreis meldete am Mo., {d}. {month}, {n} neue Fälle, die 7-Tage-Inzidenz liegt "
    "bei {p},{q}.",
    "Die Gewerkschaft Verdi fordert {p} % mehr Lohn, mindestens aber {e}0 Euro pro Monat, für "
    "eine Laufzeit von {k} Monaten.",
    "Bürgermeisterin Anna Weber (SPD) kündigte an, die 2. Ausbaustufe bis Ende {year2} "
    "abzuschließen; die Kosten lägen bei {e}.{hundreds}.000 Euro.",
    "Die Polizei nahm gegen 23:{mi} Uhr einen {k}-jährigen Mann fest, der mit {a2},{q} ‰ am "
    "Steuer saß.",
)


def _fill(template: str, rng: random.Random) -> str:
    year = rng.randint(2015, 2026)
    values = {
        "d": rng.randint(1, 28), "d2": rng.randint(1, 28), "dd": f"{rng.randint(1, 28):02d}",
        "mm": f"{rng.randint(1, 12):02d}", "month": rng.choice(_MONTHS), "year": year,
        "year2": rng.randint(2027, 2045), "y1": rng.randint(1950, 1999), "o": rng.randint(1, 4),
        "n": rng.randint(2, 999), "m": rng.randint(2, 99), "p": rng.randint(1, 19),
        "q": rng.randint(1, 9), "e": rng.randint(1, 9), "c": rng.randint(10, 99),
        "c2": rng.randint(10, 99), "x": rng.randint(2, 40), "h": rng.randint(6, 22),
        "mi": rng.randint(10, 59), "t": rng.randint(11, 99), "t2": rng.randint(11, 99),
        "hundreds": f"{rng.randint(0, 999):03d}", "a": rng.randint(1, 9),
        "b": rng.randint(2, 90), "a2": rng.randint(0, 5), "b2": rng.randint(0, 5),
        "k": rng.randint(12, 40), "mw": rng.randint(5, 400), "g": rng.choice((64, 128, 256)),
        "w": rng.randint(150, 240),
    }  # fmt: skip
    return template.format(**values)


def build_article(words: int = WORDS, seed: int = 2026) -> list[str]:
    """Paragraphs of a deterministic ~`words`-word German news article."""
    paragraphs: list[str] = []
    for name in ("clubhouse-musk.expected.txt", "regional-bahn.expected.txt"):
        path = PAGES / name
        if path.is_file():
            paragraphs.extend(p for p in path.read_text(encoding="utf-8").split("\n\n") if p)
    rng = random.Random(seed)
    count = sum(len(p.split()) for p in paragraphs)
    while count < words:
        sentences = [_fill(rng.choice(_TEMPLATES), rng) for _ in range(rng.randint(2, 4))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return paragraphs
