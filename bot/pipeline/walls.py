"""Paywalls and consent walls: found only on positive evidence on the page itself.

Words in scripts, style blocks, URLs or a consent manager's code are not evidence: nearly every
German news page ships a consent manager, and short news items are real articles. The signs we
accept are what the page shows or declares about the article:
- JSON-LD `isAccessibleForFree: false` on the article, or a `hasPart` that names the paywalled
  part with a `cssSelector`;
- a paywall container (a class or id token such as `paywall`) whose *visible* text offers a
  subscription or a login;
- for a consent wall: the visible page is the consent dialog, and no article text exists.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Final

from bot.errors import PaywallError
from bot.models import Article, count_words
from bot.pipeline.prune import text_lengths

# Class/id tokens of paywall containers seen on German news sites (Piano, Steady, CMS plugins).
_PAYWALL_TOKEN: Final = re.compile(
    r"^(paywall|paywall[-_]\w+|\w+[-_]paywall|piano[-_](offer|paywall|template)|"
    r"plus[-_]teaser|paid[-_]content|premium[-_](teaser|wall)|regwall|subscription[-_]wall)$",
    re.IGNORECASE,
)
# What a paywall box says (visible text only).
_OFFER: Final = re.compile(
    r"(abonn|\babo\b|-abo\b|freischalten|weiterlesen mit|jetzt (testen|lesen)|anmelden|"
    r"einloggen|registrier|subscribe|log in|sign in|€|euro im monat|monatlich kündbar)",
    re.IGNORECASE,
)
# Words of a consent dialog, counted in the visible text only.
_CONSENT: Final = re.compile(
    r"(cookies?|zustimm|einwillig|datenschutzeinstellungen|datenschutzerklärung|pur-abo|"
    r"werbefrei|consent|personalisierte (werbung|anzeigen)|akzeptieren)",
    re.IGNORECASE,
)
# Visible text of a consent-only page is short; a page with more visible text has content.
CONSENT_PAGE_MAX_CHARS: Final = 3000
# Consent text is dense with its words: at least this many per 100 words, and this many in all.
# News text, even about cookies and data protection, stays well below (one or two per 100 words).
CONSENT_HITS_PER_100_WORDS: Final = 3
CONSENT_MIN_HITS: Final = 4
# A teaser shorter than this before a paywall is not worth a listen: refused with the reason.
MIN_TEASER_WORDS: Final = 40
# A page declared not free that still carries this many words shows the whole article.
FULL_ARTICLE_WORDS: Final = 350
_NOT_FREE: Final = (False, "False", "false", "FALSE")


@dataclass(frozen=True)
class WallSigns:
    """What a page declares or shows about access to its article."""

    paywall: str | None = None  # the kind of evidence, None when there is none
    paywalled_selectors: tuple[str, ...] = field(default_factory=tuple)
    consent_dialog: bool = False  # the visible page reads like a consent dialog


def _json_ld_signs(json_ld: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    not_free = False
    selectors: list[str] = []
    for item in json_ld:
        if item.get("isAccessibleForFree") in _NOT_FREE:
            not_free = True
        parts = item.get("hasPart")
        for part in parts if isinstance(parts, list) else [parts]:
            if not isinstance(part, dict) or part.get("isAccessibleForFree") not in _NOT_FREE:
                continue
            not_free = True
            selector = part.get("cssSelector")
            if isinstance(selector, str) and selector.strip():
                selectors.append(selector.strip())
    return not_free, selectors


def _visible_text(element: Any) -> str:
    texts = element.xpath(
        ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
        " or ancestor::template)]"
    )
    return " ".join(" ".join(texts).split())


def paywall_boxes(tree: Any) -> list[Any]:
    """The page's paywall containers that offer a subscription or a login in visible text."""
    boxes = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tokens = f"{element.get('class', '')} {element.get('id', '')}".split()
        if any(_PAYWALL_TOKEN.match(token) for token in tokens) and _OFFER.search(
            _visible_text(element)
        ):
            boxes.append(element)
    return boxes


def _consent_dialog(tree: Any) -> bool:
    body = tree.find(".//body")
    if body is None:
        return False
    visible_chars = text_lengths(body).get(body, 0)
    if visible_chars > CONSENT_PAGE_MAX_CHARS:
        return False
    return len(_CONSENT.findall(_visible_text(body))) >= 3


def read_wall_signs(tree: Any, json_ld: list[dict[str, Any]]) -> WallSigns:
    """Read a parsed page's paywall and consent signs (before anything is pruned)."""
    not_free, selectors = _json_ld_signs(json_ld)
    box = bool(paywall_boxes(tree))
    kind = "json-ld" if not_free else None
    if box:
        kind = "json-ld+box" if not_free else "box"
    return WallSigns(kind, tuple(selectors), _consent_dialog(tree))


def _reads_like_consent(text: str) -> bool:
    """True when the 'article' is the consent dialog's text (consent words in every sentence)."""
    hits = len(_CONSENT.findall(text))
    return hits >= CONSENT_MIN_HITS and hits * 100 >= CONSENT_HITS_PER_100_WORDS * count_words(text)


def explain_missing_text(signs: WallSigns) -> None:
    """No article text was found: raise PaywallError when a wall explains it."""
    if signs.paywall:
        raise PaywallError(f"no free text and a paywall ({signs.paywall})")
    if signs.consent_dialog:
        raise PaywallError("consent wall: the visible page is the consent dialog")


def check_walls(article: Article, signs: WallSigns) -> Article:
    """Text was found: read it, read it marked `paywalled` when it looks cut off, or refuse a scrap.

    A page may declare itself not free and still carry the whole text; only a paywall box or a
    declared paid part means the text is cut. A teaser too short to be worth a listen is refused
    with the reason.
    """
    if signs.consent_dialog and _reads_like_consent(article.text):
        raise PaywallError("consent wall: the only text is the consent dialog")
    if not signs.paywall:
        return article
    cut = "box" in signs.paywall or bool(signs.paywalled_selectors)
    if not cut and article.words >= FULL_ARTICLE_WORDS:
        return article
    if article.words < MIN_TEASER_WORDS:
        raise PaywallError(f"only {article.words} free words before a paywall ({signs.paywall})")
    return dataclasses.replace(article, paywalled=True)
