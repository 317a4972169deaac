"""Article → Article: remove what a listener must not hear, restore the lead, detect walls."""

from __future__ import annotations

import dataclasses
import logging
import re
from difflib import SequenceMatcher
from typing import Any, Final

from bot.errors import NoArticleError, PaywallError
from bot.models import Article, Block, BlockKind

logger = logging.getLogger(__name__)

# Fewer running words than this after cleaning is "no article" (issue 2).
MIN_ARTICLE_WORDS: Final = 50
# A block longer than this is prose even if it starts like boilerplate ("Foto: …" never runs on).
BOILERPLATE_MAX_WORDS: Final = 40
# Two blocks this similar (difflib ratio) are the same text told twice (teaser repeated).
DUPLICATE_RATIO: Final = 0.9

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
    )
]
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

_PAYWALL_MARKERS: Final = re.compile(
    r"(paywall|plus-artikel|\bplus\b.*\babo\b|jetzt (weiter)?lesen mit|weiterlesen mit|"
    r"exklusiv für abonnenten|nur für abonnenten|jetzt abonnieren|abo abschließen|"
    r"testen sie .*(kostenlos|für \d)|sie haben bereits ein abo|bereits abonnent|"
    r"\d+ ?€ ?(im|pro) monat|jetzt freischalten|artikel freischalten)",
    _I,
)
_CONSENT_MARKERS: Final = re.compile(
    r"(cookies?|zustimm|einwillig|datenschutzeinstellungen|werbefrei|pur-abo|consent|"
    r"tracking|personalisierte werbung|akzeptieren)",
    _I,
)


def _words(text: str) -> int:
    return len(text.split())


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def is_boilerplate(text: str) -> bool:
    """True for a short block that is a caption, credit, call to action or other page furniture."""
    stripped = text.strip()
    if not stripped:
        return True
    if _AGENCY_STAMP.match(stripped):
        return True
    if _words(stripped) > BOILERPLATE_MAX_WORDS:
        return False
    return any(p.search(stripped) for p in _BOILERPLATE_BLOCK)


def _similar(a: str, b: str) -> bool:
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    return SequenceMatcher(None, na, nb, autojunk=False).ratio() >= DUPLICATE_RATIO


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


def clean_article(article: Article) -> Article:
    """Drop boilerplate and duplicates, restore the lead; NoArticleError when too little is left."""
    kept: list[Block] = []
    seen: list[str] = []
    title = article.title
    for block in article.blocks:
        text = _clean_text(block.text)
        if not text or is_boilerplate(text):
            logger.debug("clean: dropped %r", text[:80])
            continue
        if title and block.kind is BlockKind.HEADING and _similar(text, title):
            continue  # the headline, repeated in the body
        if title and _similar(text, title):
            continue
        if any(_similar(text, earlier) for earlier in seen):
            continue  # a teaser block or the same sentence told twice
        seen.append(text)
        kept.append(dataclasses.replace(block, text=text))

    # Trailing headings with nothing after them announce related content, not the article.
    while kept and kept[-1].kind is BlockKind.HEADING:
        kept.pop()

    lead = article.lead
    body_text = " ".join(block.text for block in kept)
    description = article.description
    if (
        lead is None
        and description
        and _looks_like_lead(description)
        and not _contains(body_text, description)
    ):
        lead = description
    if lead and kept and _similar(kept[0].text, lead):
        kept.pop(0)  # the body starts with the teaser: keep it once, as the lead

    cleaned = dataclasses.replace(article, blocks=tuple(kept), lead=lead)
    running = sum(_words(b.text) for b in kept if b.kind is not BlockKind.HEADING)
    running += _words(lead or "")
    prose = sum(_words(b.text) for b in kept if b.kind in (BlockKind.PARAGRAPH, BlockKind.QUOTE))
    if running < MIN_ARTICLE_WORDS or prose < MIN_ARTICLE_WORDS // 2:
        raise NoArticleError(f"only {running} words of running text after cleaning")
    return cleaned


def detect_wall(html: str, article: Article | None, json_ld: list[dict[str, Any]]) -> None:
    """Raise PaywallError when the page shows a paywall or a consent wall instead of the text."""
    words = article.words if article else 0
    for item in json_ld:
        free = item.get("isAccessibleForFree")
        if free in (False, "False", "false") and words < 250:
            raise PaywallError("the page declares the article as not free")
    if words >= 150:
        return
    lowered = html.lower()
    if _PAYWALL_MARKERS.search(lowered):
        raise PaywallError("paywall markers on a page with little text")
    if len(_CONSENT_MARKERS.findall(lowered)) >= 4:
        raise PaywallError("consent wall: the page shows only the cookie dialogue")
