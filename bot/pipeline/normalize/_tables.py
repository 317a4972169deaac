"""Word lists of the normaliser: abbreviations, units, currencies, acronyms, domains."""

from __future__ import annotations

from typing import Final

from bot.pipeline.normalize._grammar import word_set

# Dotted abbreviations of German news and their spoken forms. Keys are written with single
# spaces between the parts ("z. B."); the matcher also accepts them unspaced ("z.B.") and
# with a capital first letter at a sentence start. Abbreviations whose reading depends on a
# number ("S. 3", "Nr. 5", "5 Mio.", "Art. 5") are handled in the rules.
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
    "Mo.": "Montag",
    "Di.": "Dienstag",
    "Mi.": "Mittwoch",
    "Do.": "Donnerstag",
    "Sa.": "Samstag",
    "Jan.": "Januar",
    "Feb.": "Februar",
    "Febr.": "Februar",
    "Mär.": "März",
    "Apr.": "April",
    "Jun.": "Juni",
    "Jul.": "Juli",
    "Aug.": "August",
    "Sep.": "September",
    "Sept.": "September",
    "Okt.": "Oktober",
    "Nov.": "November",
    "Dez.": "Dezember",
}
# Adjectival abbreviations inflected like an ordinal ("die sog. Experten" → "sogenannten").
ADJECTIVE_ABBREVIATIONS: Final[dict[str, str]] = {
    "sog.": "sogenannt",
    "ehem.": "ehemalig",
    "o. g.": "oben genannt",
    "sog": "sogenannt",
}
# Abbreviations after which the period may also end the sentence.
SENTENCE_FINAL: Final = frozenset({"usw.", "usf.", "etc.", "u. a. m.", "u. v. m."})
# Abbreviations that are only expanded before a number (else they are initials or words).
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

# Units after a number: written → (singular, plural).
UNITS: Final[dict[str, tuple[str, str]]] = {
    "km/h": ("Kilometer pro Stunde", "Kilometer pro Stunde"),
    "km/s": ("Kilometer pro Sekunde", "Kilometer pro Sekunde"),
    "m/s": ("Meter pro Sekunde", "Meter pro Sekunde"),
    "mph": ("Meile pro Stunde", "Meilen pro Stunde"),
    "Mbit/s": ("Megabit pro Sekunde", "Megabit pro Sekunde"),
    "MBit/s": ("Megabit pro Sekunde", "Megabit pro Sekunde"),
    "Gbit/s": ("Gigabit pro Sekunde", "Gigabit pro Sekunde"),
    "GBit/s": ("Gigabit pro Sekunde", "Gigabit pro Sekunde"),
    "kbit/s": ("Kilobit pro Sekunde", "Kilobit pro Sekunde"),
    "g/km": ("Gramm pro Kilometer", "Gramm pro Kilometer"),
    "l/100 km": ("Liter auf hundert Kilometer", "Liter auf hundert Kilometer"),
    "km²": ("Quadratkilometer", "Quadratkilometer"),
    "m²": ("Quadratmeter", "Quadratmeter"),
    "cm²": ("Quadratzentimeter", "Quadratzentimeter"),
    "qkm": ("Quadratkilometer", "Quadratkilometer"),
    "qm": ("Quadratmeter", "Quadratmeter"),
    "m³": ("Kubikmeter", "Kubikmeter"),
    "cm³": ("Kubikzentimeter", "Kubikzentimeter"),
    "ccm": ("Kubikzentimeter", "Kubikzentimeter"),
    "km": ("Kilometer", "Kilometer"),
    "m": ("Meter", "Meter"),
    "cm": ("Zentimeter", "Zentimeter"),
    "mm": ("Millimeter", "Millimeter"),
    "µm": ("Mikrometer", "Mikrometer"),
    "μm": ("Mikrometer", "Mikrometer"),
    "nm": ("Nanometer", "Nanometer"),
    "kg": ("Kilogramm", "Kilogramm"),
    "g": ("Gramm", "Gramm"),
    "mg": ("Milligramm", "Milligramm"),
    "µg": ("Mikrogramm", "Mikrogramm"),
    "t": ("Tonne", "Tonnen"),
    "l": ("Liter", "Liter"),
    "ml": ("Milliliter", "Milliliter"),
    "hl": ("Hektoliter", "Hektoliter"),
    "ha": ("Hektar", "Hektar"),
    "ft": ("Fuß", "Fuß"),
    "kwh": ("Kilowattstunde", "Kilowattstunden"),
    "°C": ("Grad Celsius", "Grad Celsius"),
    "°F": ("Grad Fahrenheit", "Grad Fahrenheit"),
    "°": ("Grad", "Grad"),
    "kWh": ("Kilowattstunde", "Kilowattstunden"),
    "MWh": ("Megawattstunde", "Megawattstunden"),
    "GWh": ("Gigawattstunde", "Gigawattstunden"),
    "TWh": ("Terawattstunde", "Terawattstunden"),
    "W": ("Watt", "Watt"),
    "kW": ("Kilowatt", "Kilowatt"),
    "MW": ("Megawatt", "Megawatt"),
    "GW": ("Gigawatt", "Gigawatt"),
    "kV": ("Kilovolt", "Kilovolt"),
    "V": ("Volt", "Volt"),
    "Hz": ("Hertz", "Hertz"),
    "kHz": ("Kilohertz", "Kilohertz"),
    "MHz": ("Megahertz", "Megahertz"),
    "GHz": ("Gigahertz", "Gigahertz"),
    "kB": ("Kilobyte", "Kilobyte"),
    "KB": ("Kilobyte", "Kilobyte"),
    "MB": ("Megabyte", "Megabyte"),
    "GB": ("Gigabyte", "Gigabyte"),
    "TB": ("Terabyte", "Terabyte"),
    "PS": ("PS", "PS"),
    "kcal": ("Kilokalorie", "Kilokalorien"),
    "dB": ("Dezibel", "Dezibel"),
    "bar": ("Bar", "Bar"),
    "ppm": ("ppm", "ppm"),
    "h": ("Stunde", "Stunden"),
    "Std.": ("Stunde", "Stunden"),
    "min": ("Minute", "Minuten"),
    "Min.": ("Minute", "Minuten"),
    "s": ("Sekunde", "Sekunden"),
    "Sek.": ("Sekunde", "Sekunden"),
    "sek.": ("Sekunde", "Sekunden"),
    "ms": ("Millisekunde", "Millisekunden"),
    "Mio.": ("Million", "Millionen"),
    "Mrd.": ("Milliarde", "Milliarden"),
    "Bio.": ("Billion", "Billionen"),
    "Mio": ("Million", "Millionen"),
    "Mrd": ("Milliarde", "Milliarden"),
    "Tsd.": ("Tausend", "Tausend"),
    "Million": ("Million", "Millionen"),
    "Millionen": ("Million", "Millionen"),
    "Milliarde": ("Milliarde", "Milliarden"),
    "Milliarden": ("Milliarde", "Milliarden"),
    "Billion": ("Billion", "Billionen"),
    "Billionen": ("Billion", "Billionen"),
    "Stunden": ("Stunde", "Stunden"),
    "Stunde": ("Stunde", "Stunden"),
    "Minuten": ("Minute", "Minuten"),
    "Minute": ("Minute", "Minuten"),
    "Sekunden": ("Sekunde", "Sekunden"),
    "Sekunde": ("Sekunde", "Sekunden"),
    "Tonnen": ("Tonne", "Tonnen"),
    "Tonne": ("Tonne", "Tonnen"),
    "%": ("Prozent", "Prozent"),
    "‰": ("Promille", "Promille"),
    "Prozent": ("Prozent", "Prozent"),
}
# Units that are also ordinary words or letters: only read as units right after a number
# with nothing but a space between, and not before another letter.
SCALES: Final = frozenset({"Tausend", "Million", "Millionen", "Milliarde", "Milliarden",
                           "Billion", "Billionen"})  # fmt: skip

# Currencies: written → (name, name of the hundredth).
CURRENCIES: Final[dict[str, tuple[str, str]]] = {
    "€": ("Euro", "Cent"),
    "EUR": ("Euro", "Cent"),
    "Euro": ("Euro", "Cent"),
    "Cent": ("Cent", ""),
    "ct": ("Cent", ""),
    "$": ("Dollar", "Cent"),
    "US$": ("US-Dollar", "Cent"),
    "USD": ("US-Dollar", "Cent"),
    "Dollar": ("Dollar", "Cent"),
    "US-Dollar": ("US-Dollar", "Cent"),
    "£": ("Pfund", "Pence"),
    "GBP": ("Pfund", "Pence"),
    "Pfund": ("Pfund", "Pence"),
    "CHF": ("Franken", "Rappen"),
    "sFr.": ("Franken", "Rappen"),
    "Fr.": ("Franken", "Rappen"),
    "Franken": ("Franken", "Rappen"),
    "¥": ("Yen", ""),
    "JPY": ("Yen", ""),
    "Yen": ("Yen", ""),
    "₹": ("Rupien", ""),
    "₽": ("Rubel", ""),
    "Rubel": ("Rubel", "Kopeken"),
    "Yuan": ("Yuan", ""),
    "CNY": ("Yuan", ""),
    "₺": ("Lira", ""),
    "Bitcoin": ("Bitcoin", ""),
}

# Acronyms read as a word (and how to write them so the engine does).
WORD_ACRONYMS: Final[dict[str, str]] = {
    w.upper(): w
    for w in word_set(
        "Nato Uno Nasa Dax MDax SDax TecDax Uefa Fifa Opec Esa Unesco Unicef Aids Sars Mers "
        "Covid Stiko Bamf Bafög Tüv Gau Ufo Pisa Nafta Asean Isis Fide Attac Nabu Gema Kita "
        "Hartz Lidl Aldi Ikea Edeka Rewe Otto Cern Lego Fiat Nivea Dekra Arte Pegida Insa "
        "Forsa Ifo Infas Emnid Destatis Bafin Frontex Interpol Europol Eurostat Unrwa Bund "
        "Mercosur Ceta Nasdaq Laser Radar Verdi Juso Jusos Kfor Isaf Eufor Ampel Wums Mint "
        "Opel Tesla Audi Seat Haribo Tui Lufthansa Bild Taz Zeit Stern Focus Spiegel Welt "
        "Neos Ukip Fidesz Syriza Podemos Hamas Fatah Hisbollah Taliban Ebit Ebitda Solar Vox "
        "Sky Nabu Mali Peru Iran Irak Oman Chile Kuba Togo"
    )
}
# Acronyms spelled letter by letter; unknown all-capital words of two or three letters are
# spelled too. Listed here: those a German spells although they could be read as a word.
SPELLED_ACRONYMS: Final = word_set(
    "ADAC ARD ZDF EU USA UN US UK CDU CSU SPD FDP AFD BSW NPD DKP ÖVP FPÖ SPÖ SVP EVP "
    "WHO IWF EZB EKD OECD OSZE BGH BVG BKA LKA BND BSI BMW VW SAP IBM BASF RWE EON "
    "CEO CFO CTO COO DFB DFL DGB DRK THW ICE IC DB RKI HIV DNA DNS RNA PCR SUV "
    "ÖPNV NRW KI IT PC TV CD DVD USB PDF HTML URL SMS GPS LED LCD ATM DDR BRD SED "
    "NSU RAF ISS NGO NGOS FBI CIA NSA KGB FSB MAD BAG BVB HSV FCB VFB VFL "
    "MDR NDR WDR SWR BR HR RBB SR ORF SRF BBC CNN NBC CBS ABC AP AFP "
    "DPA KNA EPD RTL RND FAZ SZ NZZ WAZ FR HAZ BZ AG SE KG GMBH OHG "
    "VWL BWL TU FU LMU RWTH ETH MIT UCLA EM WM DM ESC IOC DOSB NBA NFL NHL "
    "XXL SOS UFC WWF MRT CT EKG OP ICU IQ PR"
)

# Top-level domains that mark a bare word as a web address ("heise.de").
TLDS: Final = word_set(
    "de at ch com org net eu io info gov edu uk fr it es nl be pl dk se no fi cz "
    "ru us tv ai app dev news online shop berlin bayern hamburg koeln nrw swiss "
    "biz co me ly to gg int mil jp cn in br au ca"
)
