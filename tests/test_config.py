"""Settings: every variable is documented in .env.example, and values parse as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_every_setting_is_documented_with_a_comment() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    documented = dict(re.findall(r"^([A-Z_]+)=(.*)$", text, re.MULTILINE))
    aliases = {field.alias for field in Settings.model_fields.values() if field.alias}
    assert aliases == set(documented), aliases ^ set(documented)
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[index - 1].startswith("#"), f"{line} has no comment above it"


def test_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name, value in re.findall(r"^([A-Z_]+)=(.*)$", text, re.MULTILINE):
        monkeypatch.setenv(name, value)
    from_example = load_settings()
    for name in re.findall(r"^([A-Z_]+)=", text, re.MULTILINE):
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings()
    assert from_example.model_dump() == defaults.model_dump()


def test_lists_and_limits_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOERCLUB_FETCH_ALLOW_NETWORKS", "127.0.0.0/8, ::1/128")
    monkeypatch.setenv("HOERCLUB_ALLOWED_USERS", "1,22")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings()
    assert settings.fetch_allow_networks == ["127.0.0.0/8", "::1/128"]
    assert settings.allowed_users == [1, 22]
    assert settings.upload_limit_bytes == 2000 * 1000 * 1000  # a self-hosted Bot API server
    monkeypatch.setenv("HOERCLUB_FETCH_ALLOW_NETWORKS", "not-a-network")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        load_settings()
