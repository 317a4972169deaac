"""Hostile text for the fuzz tests: German words mixed with what real input brings along.

Control characters, right-to-left text and bidi overrides, emoji with skin tones and
joiners, combining marks, odd spaces, huge tokens: all the things a pasted article, a
forwarded post or a scraped page contains sooner or later.
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

GERMAN_WORDS: Final = (
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "Bürgermeisterin",
    "Gemeinde",
    "äußerte",
    "sich",
    "am",
    "Dienstag",
    "über",
    "Größe",
    "Schwimmbad",
    "Straße",
    "Öffnungszeiten",
    "Schüler",
    "Senioren",
    "günstiger",
    "Verwaltung",
    "Sitzung",
    "Gemeinderat",
    "Haushalt",
    "Kosten",
    "Verkehr",
    "Anwohner",
    "Fahrzeuge",
    "Parkplatz",
    "Grundschule",
    "Regierung",
    "Bundestag",
    "Wahl",
    "Klimaschutz",
    "Energie",
    "Heizung",
    "Bahn",
    "Verspätung",
    "Zug",
    "Wetter",
    "Regen",
    "Sommer",
)

LETTERS: Final = "abcdefghijklmnopqrstuvwxyzäöüßéèçñ"
# Characters that break naive code: controls, bidi marks, joiners, odd spaces, surrogates'
# neighbours, the replacement character, a BOM.
HOSTILE_CHARS: Final = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x1c\x1f\x7f\x85\xa0\xad"
    "\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2069"
    "\u3000\ufeff\ufffd\ufffc\u0301\u0308\u20ac"
)
HOSTILE_TOKENS: Final = (
    "😀",
    "👍🏽",
    "👩‍👩‍👧‍👦",
    "🇩🇪",
    "שלום",
    "مرحبا",
    "\u202eevil\u202c",
    "\u05d0\u05d1\u05d2 abc",
    "Ḁ̸̢̛̝̟̻",
    "ｆｕｌｌｗｉｄｔｈ",
    "𝔊𝔬𝔱𝔥𝔦𝔰𝔠𝔥",
    "...",
    "„Zitat“",
    "»Zitat«",
    "z.B.",
    "Dr.",
    "3.",
    "1.000,50€",
    "24,5%",
    "10:30",
    "USA",
    "Lehrer*innen",
    "https://www.example.com/pfad?x=1",
    "-",
    "–",
    "/",
    "&",
    "#",
    "@name",
)

word = st.one_of(
    st.sampled_from(GERMAN_WORDS),
    st.text(alphabet=LETTERS, min_size=2, max_size=14),
    st.text(alphabet=LETTERS, min_size=2, max_size=10).map(str.capitalize),
)
hostile = st.one_of(
    st.sampled_from(HOSTILE_TOKENS),
    st.text(alphabet=HOSTILE_CHARS, min_size=1, max_size=4),
    st.text(min_size=1, max_size=6),  # anything at all, surrogates excluded by hypothesis
)
huge_token = st.builds(
    lambda c, n: c * n, st.sampled_from("a1.ü😀-/\u202e"), st.integers(200, 3000)
)
token = st.one_of(word, word, word, hostile)
separator = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", " \u00a0", "\r\n"])


@st.composite
def hostile_text(draw: st.DrawFn, max_tokens: int = 60, huge: bool = True) -> str:
    """Words and hostile tokens joined by assorted whitespace (sometimes one huge token)."""
    tokens = draw(st.lists(token, max_size=max_tokens))
    if huge and draw(st.integers(0, 9)) == 0:
        tokens.insert(draw(st.integers(0, len(tokens))), draw(huge_token))
    out = []
    for t in tokens:
        out.append(t)
        out.append(draw(separator))
    return "".join(out)


@st.composite
def sentence(draw: st.DrawFn, min_words: int = 3, max_words: int = 25) -> str:
    """A German-looking sentence: a capitalised word, words, maybe a hostile token, a stop."""
    words = draw(st.lists(word, min_size=min_words, max_size=max_words))
    if draw(st.booleans()):
        words.insert(draw(st.integers(0, len(words))), draw(hostile))
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + draw(st.sampled_from([".", ".", "!", "?", "…", ".“"]))


@st.composite
def paragraph(draw: st.DrawFn, max_sentences: int = 6) -> str:
    """One to `max_sentences` sentences."""
    return " ".join(draw(st.lists(sentence(), min_size=1, max_size=max_sentences)))
