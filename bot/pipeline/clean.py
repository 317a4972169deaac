"""Article → Article: remove what a listener must not hear and restore the lead.

Nothing here removes a fact: a block goes only when it is page furniture (a caption, a credit, a
call to action) or an exact repeat of the headline, the lead or an earlier block. Short
paragraphs that differ in one word ("Die FDP stimmte dafür." / "Die AfD stimmte dagegen.") are
different facts, so there is no similarity threshold.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from typing import Final

from bot.errors import NoArticleError
from bot.models import Article, Block, BlockKind, count_words

logger = logging.getLogger(__name__)

# Fewer words of running text (sentences, not headings or menu lines) than this after cleaning
# is "no article": a short news item of 60–90 words is a real article and is read.
MIN_ARTICLE_WORDS: Final = 20
# A block with this many words is running text even without a sentence end (a list item).
SENTENCE_MIN_WORDS: Final = 12
# A block longer than this is prose even if it starts like boilerplate ("Foto: …" never runs on).
BOILERPLATE_MAX_WORDS: Final = 40
# A heading or a block shorter than this may be said twice ("Fazit", "Die SPD stimmte dafür." in
# two votes); a longer block said twice is the page repeating itself (a teaser box, a pull quote).
REPEAT_MIN_WORDS: Final = 6
# Navigation leftovers are a few words at most ("Zurück nach oben").
NAVIGATION_MAX_WORDS: Final = 6

_I = re.IGNORECASE

# Whole blocks that are boilerplate on German news sites. Each is anchored to the block start;
# they only apply to short blocks (BOILERPLATE_MAX_WORDS), so prose that merely mentions
# a newsletter survives.
_BOILERPLATE_BLOCK: Final = [
    re.compile(p, _I)
    for p in (
        r"^(foto|fotos|bild|bilder|grafik|video|quelle|illustration|montage)\s*:",
        r"^\(?(foto|bild)\s*:.*\)?$",
        r"^©",
        r"^(copyright|\(c\))\b",
        r"^(lesen sie auch|lies auch|auch interessant|mehr zum thema|weitere artikel|"
        r"das könnte (dich|sie) auch interessieren|empfehlungen der redaktion|passend dazu|"
        r"zum thema|weiterlesen|jetzt lesen|hier weiterlesen|mehr dazu)\b",
        r"\b(folge|folgt|folgen sie) (uns|unserem|unserer)\b",
        r"^(du willst|sie wollen|willst du) (mehr|keine)\b",
        r"\b(newsletter|whatsapp-kanal|whatsapp kanal|telegram-kanal|google news|"
        r"push-nachrichten)\b"
        r".*\b(abonnieren|anmelden|folgen|bestellen|erhalten|registrieren|abonniere)\b",
        r"^(jetzt |hier )?(kostenlos )?(den |unseren )?newsletter\b",
        r"^(fehler gefunden|haben sie einen fehler gefunden)\b",
        r"^(stand|aktualisiert|veröffentlicht|erstellt|zuletzt aktualisiert)\s*(am)?\s*:?\s*\d",
        r"^(lesezeit|lesedauer)\b",
        r"^\d+\s*min(\.|uten)?\s*(lesezeit|lesen)\b",
        r"^(teilen|twittern|per e-mail senden|artikel teilen|drucken|kommentare)\b",
        r"^anzeige$",
        r"^(werbung|sponsored|gesponsert)$",
        r"\bdpa-infocom\b",
        r"^(ein klick für den datenschutz|externer inhalt|empfohlener externer inhalt)\b",
        r"^(wir verwenden cookies|diese (webseite|website) verwendet cookies)\b",
        r"\b(cookies? (akzeptieren|zustimmen)|alle akzeptieren|zustimmen und weiter)\b",
        r"^(von|text|interview)\s*:?\s*[A-ZÄÖÜ][\w.-]+(\s+[A-ZÄÖÜ][\w.-]+){0,3}"
        r"(\s*(,|·|\||und)\s*.*)?$",
        r"^themen\s*:",
        r"^(mehr|alle) (artikel|nachrichten|news) (zu|aus|von)\b",
        r"^(hinweis|transparenzhinweis)\s*:.*\b(affiliate|provision)\b",
        r"^\*?\s*(affiliate|provisions)-?links?\b",
        r"^(tags|schlagworte|schlagwörter)\s*:",
        r"^(bildquelle|bildnachweis|titelbild|teaserbild)\b",
        # Subscription offers that trafilatura keeps from a paywall box.
        r"^(jetzt )?(abonnieren|abo abschließen|freischalten)\b",
        r"^sie haben (bereits|schon) ein (abo|abonnement|konto)\b",
        r"^(testen sie|weiterlesen mit|jetzt weiterlesen|jetzt testen)\b",
        # Newsletter boxes: "Der Morgenpost-Newsletter" + "… jeden Morgen in Ihrem Postfach."
        r"^(der|die|das|unser|ihr|dein)?\s*[\wäöüß]+-newsletter\b",
        r"\b(in (ihr|ihrem|ihre|dein|deinem|deine) (e-mail-)?(postfach|posteingang|inbox)|"
        r"direkt in (ihr|dein) postfach|per e-mail (erhalten|zugeschickt|zugestellt))\b",
        r"^(ihre |deine )?e-mail(-adresse)?\s*\*?:?$",
        r"^mit (der|ihrer|deiner) anmeldung (stimmen|stimmst|akzeptieren|akzeptierst)\b",
    )
]
# Short navigation lines that trafilatura keeps at the end of some articles.
_NAVIGATION: Final = re.compile(
    r"^(zurück (nach oben|zum seitenanfang|zum anfang|zur (listenansicht|übersicht|startseite|"
    r"artikelübersicht|liste))|nach oben|zum seitenanfang|seitenanfang|top|"
    r"(jetzt )?(anmelden|abonnieren|registrieren)|mehr anzeigen|weitere meldungen)\W*$",
    _I,
)
# A trailing credit inside a paragraph: "… sagte er. (Foto: dpa)" / "Foto: picture alliance".
_TRAILING_CREDIT: Final = re.compile(
    r"\s*[\(\[]?\s*(foto|bild|fotos|quelle|grafik)\s*:\s*[^.!?()\[\]]{1,120}[\)\]]?\s*$", _I
)
# Agencies' stamp at the very end: "(dpa)", "dpa/tmn", "AFP/lea".
_AGENCY_STAMP: Final = re.compile(
    r"^\(?(dpa|afp|ap|reuters|epd|kna|sid|dts)(\s*[/,-]\s*\w{2,4})*\)?\.?$", _I
)
# Markdown-ish pipes never reach the voice (tables are read row by row in extract).
_PIPES: Final = re.compile(r"\s*\|\s*")

_QUOTES: Final = str.maketrans(dict.fromkeys("„“”‚‘’«»‹›'", '"'))


def _words(text: str) -> int:
    return count_words(text)


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _key(text: str) -> str:
    """A block's identity for exact-repeat checks: whitespace, quotes and case normalised."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return " ".join(text.split()).rstrip(" .:")


def is_boilerplate(text: str) -> bool:
    """True for a short block that is a caption, credit, call to action or other page furniture."""
    stripped = text.strip()
    if not stripped:
        return True
    if _AGENCY_STAMP.match(stripped):
        return True
    words = _words(stripped)
    if words <= NAVIGATION_MAX_WORDS and _NAVIGATION.match(stripped):
        return True
    if words > BOILERPLATE_MAX_WORDS:
        return False
    return any(p.search(stripped) for p in _BOILERPLATE_BLOCK)


def _contains(haystack: str, needle: str) -> bool:
    """True when `needle` (a teaser, maybe cut with an ellipsis) is already in `haystack`."""
    n = _norm(needle.rstrip(".… "))
    return bool(n) and n in _norm(haystack)


def _clean_text(text: str) -> str:
    text = _TRAILING_CREDIT.sub("", text)
    text = _PIPES.sub(", ", text) if text.count("|") >= 2 else text
    return text.strip()


def _looks_like_lead(description: str) -> bool:
    """A meta description is a usable lead when it is prose, not SEO ("Alle Infos hier …")."""
    d = description.strip()
    if _words(d) < 8 or d.endswith(("…", "...")):
        return False
    if re.search(r"\b(hier|jetzt|klicken|alle infos|lesen sie)\b", d, _I) and _words(d) < 20:
        return False
    return d[-1] in '.!?“"»'


def _is_running_text(block: Block) -> bool:
    if block.kind is BlockKind.HEADING:
        return False
    text = block.text.rstrip()
    return bool(text) and (text[-1] in '.!?:;…"“»)' or _words(text) >= SENTENCE_MIN_WORDS)


def clean_article(article: Article) -> Article:
    """Drop furniture and exact repeats, restore the lead; NoArticleError when no text is left."""
    kept: list[Block] = []
    title_key = _key(article.title) if article.title else ""
    lead = article.lead
    lead_key = _key(lead) if lead else ""
    seen: set[str] = set()
    for block in article.blocks:
        text = _clean_text(block.text)
        if not text or is_boilerplate(text):
            logger.debug("clean: dropped %r", text[:80])
            continue
        key = _key(text)
        if key == title_key:
            continue  # the headline, repeated in the body
        if key == lead_key:
            continue  # the lead, repeated as the first paragraph: it is read once, as the lead
        repeatable = block.kind is BlockKind.HEADING or _words(text) < REPEAT_MIN_WORDS
        if key in seen and not repeatable:
            logger.debug("clean: dropped a repeat of %r", text[:80])
            continue  # the page really repeats this block (a teaser box, a pull quote)
        seen.add(key)
        kept.append(dataclasses.replace(block, text=text))

    # Trailing headings with nothing after them announce related content, not the article.
    while kept and kept[-1].kind is BlockKind.HEADING:
        kept.pop()

    body_text = " ".join(block.text for block in kept)
    if lead and _contains(body_text, lead):
        lead = None  # the body already says it (the lead is part of a longer first paragraph)
    description = article.description
    if (
        lead is None
        and description
        and _looks_like_lead(description)
        and not _contains(body_text, description)
        and _key(description) != title_key
    ):
        lead = description
        if kept and _key(kept[0].text) == _key(lead):
            kept.pop(0)

    cleaned = dataclasses.replace(article, blocks=tuple(kept), lead=lead)
    running = sum(_words(b.text) for b in kept if _is_running_text(b)) + _words(lead or "")
    if running < MIN_ARTICLE_WORDS:
        raise NoArticleError(f"only {running} words of running text after cleaning")
    return cleaned
