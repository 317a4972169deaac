"""Gender-inclusive spellings read as the pair form a newsreader says.

"Leser*innen", "Leser:innen", "Leser_innen", "LeserInnen", "Leser/-innen" and "Leser(innen)"
become "Leserinnen und Leser" (feminine first, as in German broadcast practice), the singular
"Leser*in" becomes "Leserin oder Leser", and compounds ("Wähler*innenstimmen") take the
generic form ("Wählerstimmen"). The masculine plural needs a little morphology
("Kolleg*innen" → "Kollegen", "Ärzt*innen" → "Ärzte") and the dative plural an "-n"
("mit den Bürger*innen" → "Bürgerinnen und Bürgern").
"""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import word_set
from bot.pipeline.normalize._grammar import previous_words

# Stem (lowercase, as written before the marker) → (masculine singular, masculine plural)
# for the stems the rules below get wrong.
_IRREGULAR: Final[dict[str, tuple[str, str]]] = {
    "bäuer": ("Bauer", "Bauern"),
    "jüd": ("Jude", "Juden"),
    "beamt": ("Beamter", "Beamte"),
    "französ": ("Franzose", "Franzosen"),
    "kund": ("Kunde", "Kunden"),
    "zeug": ("Zeuge", "Zeugen"),
    "genoss": ("Genosse", "Genossen"),
    "expert": ("Experte", "Experten"),
    "lots": ("Lotse", "Lotsen"),
    "gefährt": ("Gefährte", "Gefährten"),
    "bot": ("Bote", "Boten"),
    "türk": ("Türke", "Türken"),
    "russ": ("Russe", "Russen"),
    "pol": ("Pole", "Polen"),
    "griech": ("Grieche", "Griechen"),
    "schwed": ("Schwede", "Schweden"),
    "dän": ("Däne", "Dänen"),
    "finn": ("Finne", "Finnen"),
    "chines": ("Chinese", "Chinesen"),
    "portugies": ("Portugiese", "Portugiesen"),
    "brit": ("Brite", "Briten"),
    "schott": ("Schotte", "Schotten"),
    "ir": ("Ire", "Iren"),
    "kurd": ("Kurde", "Kurden"),
    "serb": ("Serbe", "Serben"),
    "slowak": ("Slowake", "Slowaken"),
    "tschech": ("Tscheche", "Tschechen"),
    "afghan": ("Afghane", "Afghanen"),
    "chef": ("Chef", "Chefs"),
    "fan": ("Fan", "Fans"),
    "gött": ("Gott", "Götter"),
    "sachverständig": ("Sachverständiger", "Sachverständige"),
    "angestellt": ("Angestellter", "Angestellte"),
    "abgeordnet": ("Abgeordneter", "Abgeordnete"),
    "vorsitzend": ("Vorsitzender", "Vorsitzende"),
    "studierend": ("Studierender", "Studierende"),
}
_DATIVE_CUES: Final = word_set(
    "den mit von bei aus zu nach seit gegenüber allen vielen diesen jenen unseren ihren "
    "seinen meinen deinen euren beiden anderen sämtlichen einigen wenigen mehreren "
    "zahlreichen manchen solchen welchen keinen"
)
# Words between a preposition and the noun that leave its case alone: "mit max. 16 Lehrer*innen",
# "bei rund 300 neuen Mitarbeiter*innen".
_PASSED_OVER: Final = word_set(
    "max. maximal mind. mindestens höchstens rund etwa ca. circa knapp fast über bis zu je gut nur "
    "insgesamt weiteren neuen anderen vielen"
)


def _dative_before(prev: list[str]) -> bool:
    """Whether a dative preposition governs the noun past numbers and adverbs before it."""
    for token in reversed(prev):
        word = token.lower()
        if word in _DATIVE_CUES:
            return True
        if not (word in _PASSED_OVER or word.replace(".", "").isdigit()):
            return False
    return False


_UMLAUT: Final = str.maketrans("äöüÄÖÜ", "aouAOU")


def masculine_forms(stem: str) -> tuple[str, str]:
    """Masculine singular and plural for a stem written before "*innen"."""
    lowered = stem.lower()
    for key in sorted(_IRREGULAR, key=len, reverse=True):
        if lowered.endswith(key) and (len(lowered) == len(key) or len(key) >= 3):
            singular, plural = _IRREGULAR[key]
            prefix = stem[: len(stem) - len(key)]
            if prefix:
                singular, plural = singular.lower(), plural.lower()
            return prefix + singular, prefix + plural
    if lowered.endswith(("er", "el", "en")):
        return stem, stem
    if lowered.endswith(("or", "om", "and", "ent", "ant", "ist", "at", "ot", "et", "it")):
        return stem, stem + "en"
    if lowered.endswith(("og", "eg", "ad")):
        return stem + "e", stem + "en"
    if lowered.endswith("eur"):
        return stem, stem + "e"
    # "Ärzt" → "Arzt"/"Ärzte", "Anwält" → "Anwalt"/"Anwälte", "Freund" → "Freund"/"Freunde"
    last = max(stem.rfind(c) for c in "äöüÄÖÜ")
    singular = stem[:last] + stem[last:].translate(_UMLAUT) if last >= 0 else stem
    return singular, stem + "e"


# The capital-I form only in the plural ("LeserInnen"): a singular "…In" is far more often a
# brand ("LinkedIn") than a "LeserIn".
_GENDER_RE: Final = re.compile(
    r"([A-ZÄÖÜ](?<![\w*:_/][A-ZÄÖÜ])[a-zäöüß]+)"
    r"(?:[*:_·/]-?i|/-i|I(?=nnen)|\(i)(nnen|n)\)?([a-zäöüß]*)(?![\w*])"
)
_ARTICLE_RE: Final = re.compile(
    r"(?<![\w*])(der|die|den|dem|des|ein|eine|einen|einem|einer|kein|keine|jede|jeder|jeden)"
    r"[*:_/](r|e|n|m|s|die|der|den|dem|des|ein|eine)(?![\w*])",
    re.IGNORECASE,
)


def _pair(match: re.Match[str]) -> str:
    stem, ending, tail = match.group(1), match.group(2), match.group(3)
    singular, plural = masculine_forms(stem)
    if tail:
        return plural + tail  # compound: the generic form ("Wählerstimmen")
    if ending == "n":
        return f"{stem}in oder {singular}"
    prev = previous_words(match.string, match.start(), 6)
    dative = any(t.lower().strip(",") in _DATIVE_CUES for t in prev[-2:]) or _dative_before(prev)
    if dative and not plural.endswith(("n", "s")):
        plural += "n"
    return f"{stem}innen und {plural}"


_ARTICLE_NOUN_RE: Final = re.compile(
    r"(?<![\w*])((?i:ein|kein|jede|eine|keine|jeder|der|die))[*:_/](r|e|die|der)"
    r"\s+([A-ZÄÖÜ][a-zäöüß]+)(?:[*:_·/]-?i|I)n(?![\w*])"
)


def _article_noun(match: re.Match[str]) -> str:
    first, second, stem = match.groups()
    full = second if len(second) > 1 else first + second
    feminine, masculine = (full, first) if full.lower().endswith("e") else (first, full)
    if feminine.lower() == "der":
        feminine, masculine = masculine, feminine
    singular, _ = masculine_forms(stem)
    joiner = "und" if first.lower().startswith("jede") else "oder"
    if first[:1].isupper():
        feminine = feminine[:1].upper() + feminine[1:]
    return f"{feminine} {stem}in {joiner} {masculine.lower()} {singular}"


def _article(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if len(second) <= 1:
        second = first + second
    # Feminine form first: "ein*e" → "eine oder ein", "jede*r" → "jede oder jeder".
    if second.lower().endswith("e") and not first.lower().endswith("e"):
        first, second = second, first
    return f"{first} oder {second}"


_HINT_RE: Final = re.compile(r"[*_·]|[:/]-?in|[a-zäöüß]In|\(in")


def expand_gender_forms(text: str) -> str:
    """Read gender-star, colon, underscore, slash and capital-I forms as pair forms."""
    if not _HINT_RE.search(text):
        return text
    text = _ARTICLE_NOUN_RE.sub(_article_noun, text)
    text = _ARTICLE_RE.sub(_article, text)
    return _GENDER_RE.sub(_pair, text)
