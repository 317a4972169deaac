"""Word lists of the normaliser: units, currencies, acronyms, domains.

Abbreviations, months and weekdays are shared with the chunker: `bot.pipeline.german`.
"""

from __future__ import annotations

from typing import Final

from bot.pipeline.german import word_set

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
    "mAh": ("Milliamperestunde", "Milliamperestunden"),
    "Ah": ("Amperestunde", "Amperestunden"),
    "Wh": ("Wattstunde", "Wattstunden"),
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
