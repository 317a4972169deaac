"""Just enough German grammar to inflect numbers: noun gender, case and adjective endings.

An ordinal is an adjective ("am 24. November" → "vierundzwanzigsten"), and "1" before a noun
is an article ("1 Mitarbeiter" → "einen Mitarbeiter"). Both need the gender of the noun that
follows and the case that the words before imply. This is a heuristic reading of the few
words around the number, not a parser: it covers what news text does most of the time.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from bot.pipeline.german import MONTH_SET, WEEKDAYS, word_set

Gender = Literal["m", "f", "n"]
Case = Literal["nom", "acc", "dat"]


def _genders(**groups: str) -> dict[str, Gender]:
    out: dict[str, Gender] = {}
    for gender, words in groups.items():
        for word in words.split():
            out[word] = gender  # type: ignore[assignment]
    return out


# Nouns (lowercase) and compound heads; a compound takes the gender of its last part.
GENDERS: Final = _genders(
    m=(
        " ".join(name.lower() for name in sorted(MONTH_SET | WEEKDAYS))
        + " tag monat meter kilometer zentimeter millimeter mikrometer nanometer liter "
        "milliliter hektoliter hektar euro cent dollar franken rappen yen rubel yuan real "
        "peso grad platz rang punkt prozentpunkt sieg satz stock teil abschnitt absatz artikel "
        "paragraf paragraph band versuch anlauf durchgang wahlgang weltkrieg preis advent "
        "geburtstag jahrestag todestag spieltag mitarbeiter mensch mann einwohner besucher "
        "wagen fall sitz antrag vertrag entwurf plan vorschlag tweet post film song titel "
        "pokal lauf gang akt gipfel kongress senat bundestag landtag parteitag verein club "
        "klub fc sv fsv tsv vfb vfl sc bvb schritt weg grund morgen abend test schuss "
        "patient schüler student soldat polizist kunde kollege bürger nutzer leser wähler "
        "zuschauer fan spieler trainer minister präsident kanzler richter arzt autor "
        "lehrer sportler politiker experte journalist könig kaiser papst fuß zoll knoten "
        "quadratmeter kubikmeter quadratkilometer kubikzentimeter quadratzentimeter "
        "rekord termin monatsanfang jahresbeginn anfang beginn bezirk kreis ort staat "
        "konzern betrieb markt händler hersteller anbieter dienst job posten kandidat "
        "sender kanal beitrag brief bericht kommentar hinweis fehler schaden verlust "
        "gewinn umsatz kurs wert index dax anteil zins zuschlag rabatt betrag lohn "
        "haushalt etat kredit fonds euro-raum tatverdächtige verdächtige angeklagte "
        "mord anschlag angriff unfall brand einsatz streik protest krieg konflikt "
        "vulkan berg see fluss wald garten park hafen flughafen bahnhof zug bus lkw pkw"
    ),
    f=(
        "stunde minute sekunde millisekunde woche nacht uhr million milliarde billion "
        "tonne meile kilowattstunde megawattstunde gigawattstunde terawattstunde kalorie "
        "kilokalorie liga bundesliga runde etage klasse auflage ausgabe staffel folge "
        "halbzeit minute stelle amtszeit sitzung lesung republik mannschaft armee division "
        "person frau seite zeile nummer hälfte flasche tasse tablette dosis impfung "
        "infektion welle generation ebene stufe phase kategorie gruppe etappe tour szene "
        "episode meisterschaft olympiade wahlperiode legislaturperiode kammer instanz "
        "stadt gemeinde firma partei stimme wahl saison meldung anfrage woche bank "
        "aktie anleihe quote rate steuer gebühr strafe zahl summe marke grenze frist "
        "straße autobahn linie strecke route brücke schule universität klinik praxis "
        "kirche region provinz insel küste fahrt reise tür wohnung familie mutter "
        "tochter schwester patientin ärztin kundin kollegin bürgerin "
        # feminine nouns in "-er", which the suffix rule would make masculine (a plain
        # "Leiter" stays the person; only the ladders are listed)
        "mauer feier drehleiter steckleiter strickleiter tonleiter dauer ziffer kammer "
        "schulter feder faser butter oper klammer trauer"
    ),
    n=(
        "jahr jahrzehnt jahrhundert jahrtausend quartal halbjahr quartal semester "
        "prozent promille gramm kilogramm kilo milligramm pfund mal stück kind tor "
        "kapitel gesetz gebot buch korps haus auto fahrzeug land unternehmen projekt "
        "spiel mandat opfer video bild foto wort zeichen ziel drittel viertel dutzend "
        "paar hundert tausend tier glas album lied konzert festival turnier rennen team "
        "programm paket watt kilowatt megawatt gigawatt volt byte kilobyte megabyte "
        "gigabyte terabyte dezibel hertz bar ps mitglied land bundesland dorf viertel "
        "gebäude zimmer hotel restaurant schiff boot flugzeug modell gerät handy telefon "
        "system netz netzwerk konto budget ergebnis verfahren urteil gericht amt "
        "ministerium institut museum theater stadion krankenhaus zentrum gebiet "
        "wochenende ende datum event update feld level "
        # neuter nouns in "-er" (not "ufer", "alter": a compound's head would make "Läufer",
        # "Verwalter" neuter)
        "fenster wasser feuer lager zeitalter mittelalter messer muster wetter gewitter kloster "
        "gitter register abenteuer semester theater zimmer"
    ),
)
# Feminine, neuter and masculine suffixes for nouns not in the table.
_SUFFIX_GENDERS: Final[tuple[tuple[str, Gender], ...]] = (
    ("ung", "f"), ("heit", "f"), ("keit", "f"), ("schaft", "f"), ("ion", "f"),
    ("tät", "f"), ("ik", "f"), ("ie", "f"), ("ei", "f"), ("enz", "f"), ("anz", "f"),
    ("ur", "f"), ("age", "f"), ("ade", "f"), ("in", "f"), ("chen", "n"), ("lein", "n"),
    ("ment", "n"), ("tum", "n"), ("um", "n"), ("ma", "n"), ("nis", "n"), ("ling", "m"),
    ("ismus", "m"), ("or", "m"), ("ant", "m"), ("ent", "m"), ("ist", "m"), ("ich", "m"),
    ("ig", "m"), ("eur", "m"), ("er", "m"), ("ionen", "f"), ("ungen", "f"), ("heiten", "f"),
    ("keiten", "f"), ("schaften", "f"), ("täten", "f"), ("innen", "f"), ("en", "n"), ("e", "f"),
)  # fmt: skip


def noun_gender(noun: str) -> Gender:
    """The gender of a noun: the table, then the compound's head, then its suffix."""
    word = noun.lower().strip(".,;:!?\"'“”„»«()")
    found = GENDERS.get(word)
    if found:
        return found
    if word.endswith("en") and GENDERS.get(word[:-1]) == "m":
        return "m"  # a weak noun or adjective noun: "1 Tatverdächtigen"
    for k in range(1, len(word) - 2):
        found = GENDERS.get(word[k:])
        if found:
            return found
    for suffix, gender in _SUFFIX_GENDERS:
        if word.endswith(suffix):
            return gender
    return "m"


# Determiners after which an adjective takes the weak ending "-en" whatever follows.
_DET_EN: Final = word_set(
    "dem den des am im zum zur vom beim diesem diesen jenem jenen jedem jeden einem einen "
    "einer eines keinem keinen keiner keines meinem meinen meiner meines deinem deinen "
    "seinem seinen seiner seines ihrem ihren ihrer ihres unserem unseren unserer unseres "
    "eurem euren allen beiden welchem welchen"
)
# Determiners after which the ending is "-e" (nominative or accusative singular).
_DET_E: Final = word_set(
    "die das diese dieses jede jedes jene jenes welche welches ins ans aufs fürs übers ums "
    "durchs eine keine meine deine seine ihre unsere eure"
)
# Of those, the ones that are also plural: before a masculine or neuter noun they are.
_DET_E_PLURAL: Final = word_set("die diese jene welche keine meine deine seine ihre unsere eure")
# "der" and "dieser" are nominative masculine, or dative/genitive feminine after a
# preposition or a noun ("in der 2. Liga", "Sieger der 3. Runde").
_DET_DER: Final = word_set("der dieser jener jeder welcher")
# "ein", "kein", "mein"…: mixed declension, the ending shows the gender.
_DET_MIXED: Final = word_set("ein kein mein dein sein ihr unser euer")

PREPOSITIONS_DAT: Final = word_set(
    "mit von bei aus nach seit zu gegenüber vor in an unter hinter neben zwischen binnen "
    "nahe entgegen samt ab"
)
PREPOSITIONS_ACC: Final = word_set("für durch gegen ohne um auf wider")
PREPOSITIONS: Final = (
    PREPOSITIONS_DAT
    | PREPOSITIONS_ACC
    | word_set("über bis während wegen trotz innerhalb außerhalb statt laut dank per pro")
)
# Verbs that take a direct object: "hat 1 Mitarbeiter" → "einen".
_ACCUSATIVE_VERBS: Final = word_set(
    "hat habe haben hatte hatten hätte gibt gab geben kostet kosten kostete kosteten "
    "beschäftigt beschäftigte beschäftigen sucht suchte suchen braucht brauchte brauchen "
    "erhält erhielt erhalten bekommt bekam bekommen zahlt zahlte zahlen verdient verdiente "
    "gewinnt gewann gewonnen verliert verlor verloren erzielt erzielte erzielten holt holte "
    "investiert investierte spendet spendete kauft kaufte verkauft verkaufte plant plante "
    "fordert forderte bietet bot umfasst umfasste meldet meldete schoss schießt verzeichnet "
    "verzeichnete registriert registrierte nennt nannte zählt zählte entließ entlässt "
    "entlassen verhängt verhängte verhängen nahm nimmt brachte bringt erreichte erreicht "
    "traf trifft tötete verletzte fand findet baute eröffnete eröffnet schuf schafft "
    "dauert dauerte dauerten wartete warteten überlebte überlebten stellte stellt "
    "wählte wählten schickte schickt "
    # verbs of measure: "beträgt einen Kilometer", "misst einen Meter", "wog einen Zentner"
    "beträgt betrug betragen betrugen misst maß messen maßen wiegt wog wiegen wogen"
)
# Verbs whose object right after them is a dative ("widmet sich Kaiser Wilhelm dem Zweiten",
# "gratulierte 1 Kollegin"). Not "droht", "folgt", "gehört": their subject follows them too.
_DATIVE_VERBS: Final = word_set(
    "widmet widmete widmen widmeten gratuliert gratulierte gratulieren dankt dankte danken "
    "hilft half helfen halfen begegnet begegnete begegneten widerspricht widersprach "
    "vertraut vertraute huldigt huldigte ähnelt ähnelte"
)
# Adjectives of measure take the measure in the accusative: "einen Kilometer lang",
# "einen Monat später", "einen Meter vom Ufer entfernt".
_MEASURE_ADJECTIVES: Final = word_set(
    "lang breit hoch tief weit dick schwer alt entfernt groß länger kürzer höher tiefer "
    "weiter breiter älter jünger früher später zuvor danach vorher zurück lang"
)
# Words between the determiner/verb and the number that do not change the case.
_SKIPPABLE: Final = word_set(
    "nur rund etwa knapp ca. circa zirka mehr weniger als fast mindestens höchstens genau "
    "lediglich gerade noch immerhin insgesamt exakt nahezu beinahe gut über bis schon "
    "bereits ganze"
)
_TOKEN_RE: Final = re.compile(r"\S+")
_STRIP: Final = ".,;:!?\"'“”„»«()[]"


def previous_words(text: str, pos: int, count: int = 4) -> list[str]:
    """The last `count` whitespace-separated tokens before `pos`, nearest last."""
    window = text[max(0, pos - 80) : pos]
    tokens = _TOKEN_RE.findall(window)
    if pos - 80 > 0 and tokens and not window[:1].isspace():
        tokens = tokens[1:]  # the first token may be cut off
    return tokens[-count:]


def next_word(text: str, pos: int) -> str:
    """The next whitespace-separated token at or after `pos` (empty at the end)."""
    match = _TOKEN_RE.search(text, pos, pos + 80)
    return match.group(0) if match else ""


def bare(token: str) -> str:
    """The token without the punctuation, quotes and brackets around it."""
    return token.strip(_STRIP)


def _clean(token: str) -> str:
    return bare(token).lower()


_ADJECTIVE_ENDINGS: Final = ("e", "en", "er", "es", "em")
_NUMBER_WORD_RE: Final = re.compile(
    r"[a-zäöüß]*(?:eins?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zig|ßig"
    r"|hundert|tausend)"
)
_ORDINAL_TOKEN_RE: Final = re.compile(r"\d+\.|[a-zäöüß]+(?:ste|te)[nrsm]?")


def noun_after(text: str, end: int) -> str | None:
    """The noun a number belongs to: the next capitalised word, past adjectives ("3. große
    Sieg") and other numbers ("3. und 4. Platz"), but not past other words ("als 5. ins Ziel")."""
    for token in text[end : end + 60].split()[:4]:
        word = bare(token)
        if word[:1].isupper():
            return word if not word.isupper() else None
        if token[-1:] in ",;:!?" or (
            token.endswith(".") and not _ORDINAL_TOKEN_RE.fullmatch(token)
        ):
            return None
        if not (
            word in {"und", "bis", "oder", "sowie", "–", "-"}
            or word.isdigit()
            or _NUMBER_WORD_RE.fullmatch(word)
            or _ORDINAL_TOKEN_RE.fullmatch(token)
            or word.endswith(_ADJECTIVE_ENDINGS)
        ):
            return None
    return None


def _is_ordinal_token(token: str) -> bool:
    return bool(re.fullmatch(r"\(?\d{1,3}\.", token))


def looks_plural(noun: str | None) -> bool:
    """Whether a noun after "die" is plural: "-en" and "-innen" nouns mostly are."""
    if not noun:
        return False
    word = noun.lower()
    return word.endswith("en") and GENDERS.get(word) is None and not word.endswith("ion")


def ending_after(
    prev: list[str], gender: Gender | None, *, plural: bool = False, month: bool = False
) -> str:
    """The adjective ending ("e", "en", "er", "es") after the given preceding tokens."""
    tokens = list(prev)
    # "vom 3. bis 5. Mai", "der 3. und 4. Platz": the second ordinal shares the first's context.
    if (
        len(tokens) >= 2
        and _clean(tokens[-1]) in {"bis", "und", "oder", "sowie", "bzw.", "–", "-"}
        and _is_ordinal_token(tokens[-2])
    ):
        if _clean(tokens[-1]) == "bis" and not any(
            _clean(t) in _DET_EN | _DET_E | _DET_DER | PREPOSITIONS for t in tokens[:-2]
        ):
            return "en"
        tokens = tokens[:-2]
    if not tokens:
        return _strong(gender)
    last = tokens[-1]
    word = _clean(last)
    # "am Montag, 24. November": an apposition to the weekday shares its case.
    if last.endswith(",") and last[:-1] in WEEKDAYS and len(tokens) >= 2:
        before = _clean(tokens[-2])
        if before in _DET_EN or before in PREPOSITIONS:
            return "en"
        return _strong(gender)
    if last[-1:] in ',;:("„“»«' or last.endswith("..."):
        return _strong(gender)
    if word in _DET_EN:
        return "en"
    if word in _DET_E:
        if plural or (word in _DET_E_PLURAL and gender in ("m", "n")):
            return "en"
        return "e"
    if word in _DET_DER:
        if len(tokens) >= 2:
            before = tokens[-2]
            if _clean(before) in PREPOSITIONS:
                return "en"
            if (
                word == "der"
                and before[:1].isupper()
                and before[-1:].isalpha()
                and last[:1].islower()
                and _clean(before) not in _SKIPPABLE
            ):
                return "en"  # genitive after a noun: "Sieger der 3. Runde"
        return "e"
    if word in _DET_MIXED:
        return {"m": "er", "n": "es"}.get(gender or "m", "e")
    if word in PREPOSITIONS:
        if month:
            return "en"  # "ab 1. Juli" is read "ab ersten Juli"
        # No article: strong dative or accusative, "in zweiter Lesung", "für ersten Platz".
        if word in PREPOSITIONS_ACC:
            return {"m": "en", "f": "e", "n": "es"}.get(gender or "m", "en")
        return {"m": "em", "f": "er", "n": "em"}.get(gender or "m", "en")
    return _strong(gender)


def _strong(gender: Gender | None) -> str:
    """Ending without a determiner, nominative: "dritter Platz", "dritte Liga", "drittes Mal"."""
    return {"m": "er", "f": "e", "n": "es"}.get(gender or "m", "er")


# Words after which "an" takes the accusative ("der Brief an …", "erinnerte an …");
# elsewhere it is read as dative ("Kritik an …", "an der Spitze").
_AN_ACCUSATIVE: Final = word_set(
    "brief briefe schreiben appell aufruf botschaft gruß grüße frage fragen nachricht "
    "forderung forderungen bitte erinnerung gedenken erinnert erinnerte erinnern denkt "
    "dachte appelliert appellierte schrieb schreibt wandte wendet richtete richtet glaubt"
)


def case_before(prev: list[str]) -> Case:
    """The case a number phrase takes from the preposition or verb before it."""
    coordinated = 0  # after "und"/"oder", look past the first conjunct ("hat 2 Kinder und 1 …")
    for index in range(len(prev) - 1, -1, -1):
        token = prev[index]
        word = _clean(token)
        if token[-1:] in ',;:("„“»«' and word not in _SKIPPABLE:
            return "nom"
        if word in _SKIPPABLE:
            continue
        if word == "an" and index and _clean(prev[index - 1]) in _AN_ACCUSATIVE:
            return "acc"
        if word in PREPOSITIONS_DAT:
            return "dat"
        if word in PREPOSITIONS_ACC or word in _ACCUSATIVE_VERBS:
            return "acc"
        if word in _DATIVE_VERBS or (
            word == "sich" and index and _clean(prev[index - 1]) in _DATIVE_VERBS
        ):
            return "dat"
        if word in {"und", "oder", "sowie"} and not coordinated:
            coordinated = 4
            continue
        if coordinated > 1:
            coordinated -= 1
            continue
        return "nom"
    return "nom"


_ONE: Final[dict[tuple[Gender, Case], str]] = {
    ("m", "nom"): "ein",
    ("m", "acc"): "einen",
    ("m", "dat"): "einem",
    ("f", "nom"): "eine",
    ("f", "acc"): "eine",
    ("f", "dat"): "einer",
    ("n", "nom"): "ein",
    ("n", "acc"): "ein",
    ("n", "dat"): "einem",
}


def measure_follows(text: str, end: int, *, noun_next: bool = True) -> bool:
    """Whether an adjective of measure follows the noun within its phrase ("1 km lang",
    "1 km vom Bahnhof entfernt"); `end` is before the noun, or after it without `noun_next`."""
    skip = 1 if noun_next else 0
    for token in text[end : end + 50].split()[skip : skip + 4]:
        if bare(token) in _MEASURE_ADJECTIVES:
            return True
        if token[-1:] in ",;:!?.)" or bare(token) in {"und", "oder", "als", "wie"}:
            return False
    return False


# Lowercase words before a number that are not verbs.
_NOT_VERBS: Final = word_set(
    "und oder aber sowie als wie nur rund etwa knapp fast noch schon bereits mehr weniger "
    "der die das ein eine jeder jede jedes dieser diese dieses pro je fehlt fehlte bleibt "
    "blieb reicht reichte vergeht verging genügt genügte folgt folgte"
)
# Nouns of time: "1 Tag" right after a verb is an accusative of time ("lag einen Tag …").
_TIME_NOUNS: Final = word_set("tag monat jahr woche stunde minute sekunde nacht abend morgen")


def one_before(noun: str, prev: list[str], *, measure: bool = False) -> str:
    """ "1" as an article before a noun: "ein", "eine", "einen", "einem" or "einer";
    with `measure`, a nominative reading becomes the accusative of measure."""
    if noun.lower().strip(_STRIP) == "uhr":
        return "ein"
    case = case_before(prev)
    if case == "nom" and not measure and prev and _clean(noun) in _TIME_NOUNS:
        last = prev[-1]
        measure = last.isalpha() and last.islower() and _clean(last) not in _NOT_VERBS
    if measure and case == "nom":
        case = "acc"
    return _ONE[(noun_gender(noun), case)]


# Prepositions before which a date needs its article said: "seit 01.01.2002" is read
# "seit dem ersten Januar"; "ab 1. Juli" and "bis 3. Mai" are read without one.
_DATE_ARTICLE_PREPOSITIONS: Final = word_set("seit vor nach")


def date_article(prev: list[str]) -> str:
    """ "dem " when the preposition before a date implies the article, else ""."""
    return "dem " if prev and _clean(prev[-1]) in _DATE_ARTICLE_PREPOSITIONS else ""


_SCALE_NOUNS: Final = frozenset({"Million", "Milliarde", "Billion"})


def scale_in_case(words: str, prev: list[str]) -> str:
    """A number that starts with "eine Million" takes the case of the words before it:
    "bei einer Million zweihunderttausend Euro", "mit einer Milliarde"."""
    head, _, rest = words.partition(" ")
    if head != "eine":
        return words
    noun, _, tail = rest.partition(" ")
    if noun not in _SCALE_NOUNS:
        return words
    spoken = f"{one_before(noun, prev)} {noun}"
    return f"{spoken} {tail}" if tail else spoken
