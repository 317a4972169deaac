"""Pages shaped like real sites, one per way extraction used to fail: read, marked or refused.

Each case in tests/data/extraction/cases.json names what the listener must hear, what they must
not hear, and whether the page is read, read with the paywall note, or refused (and why).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.errors import NoArticleError, PaywallError
from bot.models import Article
from bot.pipeline.article import article_from_html

DATA = Path(__file__).parent.parent / "data" / "extraction"
CASES: list[dict[str, Any]] = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _load(case: dict[str, Any]) -> Article:
    html = (DATA / case["file"]).read_text(encoding="utf-8")
    return article_from_html(html, url=f"https://example.org/{case['file']}")


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_page_is_read_marked_or_refused_as_expected(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if expect in {"refuse_paywall", "refuse_consent"}:
        with pytest.raises(PaywallError):
            _load(case)
        return
    if expect == "no_article":
        with pytest.raises(NoArticleError) as caught:
            _load(case)
        assert not isinstance(caught.value, PaywallError)
        return
    article = _load(case)
    assert article.paywalled is (expect == "read_paywalled")
    heard = _flat(article.text)
    paragraphs = {_flat(p) for p in article.paragraphs()}
    must = case.get("must_contain", [])
    missing = [s for s in must if _flat(s) not in heard]
    assert not missing, f"lost: {missing}"
    # A heading ("Folge 1") is heard as a paragraph of its own, not as part of "Folge 10".
    headings = [s for s in must if len(s.split()) <= 3 and s.rstrip()[-1] not in ".!?。”“"]
    short = [s for s in headings if _flat(s) not in paragraphs]
    assert not short, f"not heard as a line of its own: {short}"
    # A sentence is heard once: a repeat of the headline or the teaser goes.
    repeated = [s for s in must if len(s.split()) >= 6 and heard.count(_flat(s)) > 1]
    assert not repeated, f"heard twice: {repeated}"
    leaked = [s for s in case.get("must_not_contain", []) if _flat(s) in heard]
    assert not leaked, f"kept furniture: {leaked}"
    if case.get("language"):
        assert article.language == case["language"]
