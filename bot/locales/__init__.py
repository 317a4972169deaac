"""User-facing strings per locale: German is the default, English the second language."""

from __future__ import annotations

import json
import string
from functools import cache
from importlib import resources
from typing import Final

DEFAULT_LOCALE: Final = "de"
LOCALES: Final = ("de", "en")


@cache
def load_locale(locale: str) -> dict[str, str]:
    """The key → template table of one locale, read once from its JSON file."""
    if locale not in LOCALES:
        raise KeyError(locale)
    text = resources.files(__name__).joinpath(f"{locale}.json").read_text(encoding="utf-8")
    table = json.loads(text)
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in table.items()
    ):
        raise ValueError(f"locale {locale} must map keys to strings")
    return table


def pick_locale(language_code: str | None) -> str:
    """The locale for a Telegram `language_code`: English for "en…", German otherwise."""
    if language_code and language_code.lower().split("-")[0] in LOCALES:
        return language_code.lower().split("-")[0]
    return DEFAULT_LOCALE


def template(key: str, locale: str = DEFAULT_LOCALE) -> str:
    """The raw template for a key, falling back to German when a locale lacks it."""
    table = load_locale(locale if locale in LOCALES else DEFAULT_LOCALE)
    if key in table:
        return table[key]
    return load_locale(DEFAULT_LOCALE)[key]


def placeholders(text: str) -> set[str]:
    """The names of the `{placeholders}` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def translate(key: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """A message as plain text (for the CLI); the bot escapes values itself for HTML."""
    return template(key, locale).format_map({k: str(v) for k, v in params.items()})
