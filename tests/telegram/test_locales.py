"""Every user-facing string exists in every locale, with the same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot import errors
from bot.jobs import api as jobs_api
from bot.locales import LOCALES, load_locale, pick_locale, placeholders, translate

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"


def test_every_key_exists_in_every_locale() -> None:
    keys = {locale: set(load_locale(locale)) for locale in LOCALES}
    reference = keys["de"]
    for locale, found in keys.items():
        assert found == reference, (
            f"{locale}: missing {reference - found}, extra {found - reference}"
        )


@pytest.mark.parametrize("key", sorted(load_locale("de")))
def test_placeholders_match_across_locales(key: str) -> None:
    expected = placeholders(load_locale("de")[key])
    for locale in LOCALES:
        assert placeholders(load_locale(locale)[key]) == expected, (locale, key)


def test_no_empty_strings_and_valid_json() -> None:
    for locale in LOCALES:
        text = (BOT_DIR / "locales" / f"{locale}.json").read_text(encoding="utf-8")
        table = json.loads(text)
        assert all(value.strip() for value in table.values()), locale


def _error_keys() -> set[str]:
    keys = set()
    for module in (errors, jobs_api):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, errors.HoerclubError):
                keys.add(value.key)
    keys.add(jobs_api.DELIVERY_INTERRUPTED_KEY)
    return keys


def test_every_error_key_has_a_message() -> None:
    missing = _error_keys() - set(load_locale("de"))
    assert not missing


def test_every_key_used_in_the_telegram_code_exists() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*(?:f?)["']([a-z_]+\.[a-z_.]+)["']""")
    for path in (BOT_DIR / "telegram").glob("*.py"):
        used.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys at all"
    known = set(load_locale("de"))
    counted: set[str] = set()
    for path in (BOT_DIR / "telegram").glob("*.py"):
        counted.update(re.findall(r"""\bt_count\(\s*["']([a-z_.]+)["']""", path.read_text()))
    assert counted, "no counted keys found"
    for key in counted:
        assert {f"{key}.one", f"{key}.other"} <= known, key
    prefixes = {key for key in used if key.endswith((".", "_"))}  # keys built at run time
    assert used - prefixes <= known, used - prefixes - known
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in known), prefix


def test_german_is_the_default_and_english_is_picked_for_en() -> None:
    assert pick_locale(None) == "de"
    assert pick_locale("fr") == "de"
    assert pick_locale("en-GB") == "en"
    assert pick_locale("de-AT") == "de"


def test_translate_fills_placeholders_as_plain_text() -> None:
    assert "7" in translate("error.queue_limit", "de", limit=7)
    assert translate("error.queue_limit", "en", limit=7).startswith("🚦 You already have 7")
