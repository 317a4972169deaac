"""Facts about written German that the chunker and the normaliser share.

Word sets, month and weekday names, the words that start a sentence, and the one table of
dotted abbreviations: the normaliser reads them out, the chunker never ends a sentence after
them. A new abbreviation goes here once and both know it.
"""

from __future__ import annotations

import re
from typing import Final


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


MONTHS: Final = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
MONTH_SET: Final = frozenset(MONTHS) | {"Jänner"}
# Written "Jan.", "Feb." … and the longer "Febr.", "Sept."; "Mai" has none.
MONTH_ABBREVIATIONS: Final[dict[str, str]] = {
    **{f"{month[:3]}.": month for month in MONTHS if month != "Mai"},
    "Febr.": "Februar",
    "Sept.": "September",
}
WEEKDAY_NAMES: Final = (
    "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
)  # fmt: skip
WEEKDAYS: Final = frozenset(WEEKDAY_NAMES) | {"Sonnabend"}
# "Mo" → "Montag" … as in opening hours ("Mo–Fr", "Sa. 10 Uhr").
WEEKDAY_SHORT: Final[dict[str, str]] = {day[:2]: day for day in WEEKDAY_NAMES}

# Capitalised words that start a sentence but never follow an ordinal: "… um 3. Danach …"
# ends a sentence after "3.", "am 3. Mai" does not.
SENTENCE_STARTERS: Final = word_set(
    """
    Der Die Das Den Dem Des Ein Eine Einen Einem Er Sie Es Wir Ich Ihr Man Doch Aber Und
    Auch Dann Danach Damit Dabei Dazu Daher Deshalb Trotzdem So Im Am Zum Zur Bei Mit Nach
    Seit In An Auf Laut Zudem Außerdem Dies Diese Dieser Dieses Was Wie Wer Wo Warum Wann
    Nun Jetzt Heute Gestern Bis Vor Für Als Wenn Weil Ob Obwohl Während Zuvor Zuletzt
    Insgesamt Allerdings Jedoch Hier Dort Da Denn Noch Schon Bereits Viele Alle Keine Kein
    Unter Von Aus Um Gegen Ohne Durch Seine Ihre Unsere Jeder Jede Jedes Welche Nicht Nur
    Immer Oft Sogar Vielmehr Ebenfalls Gleichzeitig Inzwischen Mittlerweile Demnach Somit
    Also Zunächst Anschließend Später Damals Dagegen Hingegen Denn Sonst Trotz Wegen
    """
)

# Dotted abbreviations of German news and their spoken forms. Keys are written with single
# spaces between the parts ("z. B."); the normaliser also accepts them unspaced ("z.B.") and
# with a capital first letter at a sentence start. Abbreviations whose reading depends on a
# number ("S. 3", "Nr. 5", "5 Mio.", "Art. 5") are handled in the normaliser's rules.
ABBREVIATIONS: Final[dict[str, str]] = {
    "z. B.": "zum Beispiel",
    "d. h.": "das heißt",
    "u. a.": "unter anderem",
    "o. a.": "oder andere",
    "u. ä.": "und ähnliche",
    "o. ä.": "oder ähnlich",
    "u. Ä.": "und Ähnliches",
    "o. Ä.": "oder Ähnliches",
    "u. U.": "unter Umständen",
    "v. a.": "vor allem",
    "i. d. R.": "in der Regel",
    "z. T.": "zum Teil",
    "z. Zt.": "zurzeit",
    "z. Z.": "zurzeit",
    "s. o.": "siehe oben",
    "s. u.": "siehe unten",
    "m. E.": "meines Erachtens",
    "n. Chr.": "nach Christus",
    "v. Chr.": "vor Christus",
    "u. a. m.": "und anderes mehr",
    "u. v. m.": "und vieles mehr",
    "e. V.": "eingetragener Verein",
    "a. D.": "außer Dienst",
    "i. R.": "im Ruhestand",
    "i. A.": "im Auftrag",
    "h. c.": "honoris causa",
    "z. Hd.": "zu Händen",
    "a. M.": "am Main",
    "i. Br.": "im Breisgau",
    "i. Allg.": "im Allgäu",
    "bzw.": "beziehungsweise",
    "ca.": "circa",
    "ggf.": "gegebenenfalls",
    "inkl.": "inklusive",
    "exkl.": "exklusive",
    "usw.": "und so weiter",
    "usf.": "und so fort",
    "etc.": "et cetera",
    "vgl.": "vergleiche",
    "evtl.": "eventuell",
    "bspw.": "beispielsweise",
    "insb.": "insbesondere",
    "insbes.": "insbesondere",
    "zzgl.": "zuzüglich",
    "abzgl.": "abzüglich",
    "bzgl.": "bezüglich",
    "wg.": "wegen",
    "MwSt.": "Mehrwertsteuer",
    "betr.": "betreffend",
    "allg.": "allgemein",
    "urspr.": "ursprünglich",
    "vs.": "versus",
    "zus.": "zusammen",
    "gem.": "gemäß",
    "lt.": "laut",
    "max.": "maximal",
    "mind.": "mindestens",
    "rd.": "rund",
    "gest.": "gestorben",
    "geb.": "geboren",
    "gegr.": "gegründet",
    "verst.": "verstorben",
    "zw.": "zwischen",
    "ggü.": "gegenüber",
    "v. l. n. r.": "von links nach rechts",
    "u. v. a.": "und viele andere",
    "verh.": "verheiratet",
    "Dr.": "Doktor",
    "Prof.": "Professor",
    "Dipl.-Ing.": "Diplom-Ingenieur",
    "Hrsg.": "Herausgeber",
    "Str.": "Straße",
    "Tel.": "Telefon",
    "Abb.": "Abbildung",
    "Anm.": "Anmerkung",
    "Aufl.": "Auflage",
    "Tab.": "Tabelle",
    "Jg.": "Jahrgang",
    "Jgg.": "Jahrgänge",
    "Bj.": "Baujahr",
    "Whg.": "Wohnung",
    "Zi.": "Zimmer",
    "Kl.": "Klasse",
    "Pkt.": "Punkte",
    "Std.": "Stunden",
    "Min.": "Minuten",
    "Sek.": "Sekunden",
    "Mill.": "Millionen",
    "Stk.": "Stück",
    "Forts.": "Fortsetzung",
    "Verf.": "Verfasser",
    "Erg.": "Ergebnis",
    "Co.": "Ko",
    "St.": "Sankt",
    "Hl.": "Heilige",
    "Mio.": "Millionen",
    "Mrd.": "Milliarden",
    "Bio.": "Billionen",
    "Tsd.": "Tausend",
    "Jh.": "Jahrhundert",
    "Jhd.": "Jahrhundert",
    "Jhdt.": "Jahrhundert",
    "Gebr.": "Gebrüder",
    "Fa.": "Firma",
    "Frl.": "Fräulein",
    "Hr.": "Herr",
    "kath.": "katholisch",
    "ev.": "evangelisch",
    "eigtl.": "eigentlich",
    "entspr.": "entsprechend",
    "mtl.": "monatlich",
    "zit.": "zitiert",
    **{f"{short}.": day for short, day in WEEKDAY_SHORT.items() if short not in {"Fr", "So"}},
    **MONTH_ABBREVIATIONS,
}
# Adjectival abbreviations inflected like an ordinal ("die sog. Experten" → "sogenannten").
ADJECTIVE_ABBREVIATIONS: Final[dict[str, str]] = {
    "sog.": "sogenannt",
    "ehem.": "ehemalig",
    "o. g.": "oben genannt",
    "sog": "sogenannt",
}
# Abbreviations after which the period may also end the sentence ("…, Birnen usw. Die Preise …").
SENTENCE_FINAL: Final = frozenset({"usw.", "usf.", "etc.", "u. a. m.", "u. v. m.", "u.s.w."})
# Abbreviations that are only expanded before a number (else they are initials or words);
# the chunker, too, reads them as abbreviations only there ("Art. 5", but "… der Art. Die …").
BEFORE_NUMBER: Final[dict[str, tuple[str, str]]] = {
    # written: (singular, plural)
    "S.": ("Seite", "Seiten"),
    "Nr.": ("Nummer", "Nummern"),
    "Nrn.": ("Nummern", "Nummern"),
    "Art.": ("Artikel", "Artikel"),
    "Abs.": ("Absatz", "Absatz"),
    "Bd.": ("Band", "Band"),
    "Kap.": ("Kapitel", "Kapitel"),
    "Ziff.": ("Ziffer", "Ziffer"),
    "Fr.": ("Freitag", "Freitag"),
    "So.": ("Sonntag", "Sonntag"),
}
# Abbreviations the normaliser leaves as written (the engines read them, or the reading
# depends on more than the word) but after which no sentence ends.
KNOWN_ABBREVIATIONS: Final = frozenset(
    {"ausg.", "bes.", "Corp.", "d. J.", "d. Ä.", "Dipl.", "ff.", "Ges.", "GmbH.", "hins.",
     "i. V.", "Inc.", "Ing.", "Inh.", "jur.", "k. o.", "Kfm.", "Ltd.", "med.", "Mr.", "Mrs.",
     "Ms.", "n. N.", "nat.", "Pfd.", "reg.", "rer.", "u.s.w.", "Ztg.", "Nr.", "Nrn.",
     "Abs.", "Bd.", "Kap.", "Fr."}
)  # fmt: skip
# Abbreviations that are also a name or a word at the end of a sentence ("… sagte Jan.",
# "… max."): abbreviations only before a number ("5. Jan. 2024", "max. 5 Personen"). Left
# out entirely: "so", "art", "mag", "phil", which end sentences as words far more often.
WORD_LIKE: Final = frozenset({"Jan.", "max."})


def _stem(written: str) -> str:
    """ "z. B." → "z.b": lowercase, no spaces, without the final period (the chunker's key)."""
    return re.sub(r"\s", "", written).lower().removesuffix(".")


_ALL: Final = [*ABBREVIATIONS, *ADJECTIVE_ABBREVIATIONS, *KNOWN_ABBREVIATIONS]
# For the chunker: stems after which a period never ends a sentence (single letters and
# initials are handled there) …
ABBREVIATION_STEMS: Final = frozenset(
    _stem(k) for k in _ALL if k.endswith(".") and k not in WORD_LIKE
)
# … only before a number …
ABBREVIATION_STEMS_BEFORE_DIGIT: Final = (
    frozenset(_stem(k) for k in (*BEFORE_NUMBER, *WORD_LIKE)) - ABBREVIATION_STEMS
)
# … and those that may also close a sentence.
SENTENCE_FINAL_STEMS: Final = frozenset(_stem(k) for k in SENTENCE_FINAL)
