"""`hoerclub voices`: every engine and its voices, with language and gender."""

from __future__ import annotations

import json

from bot.tts.registry import ENGINE_NAMES
from tests.test_cli import run_cli


def test_voices_json_lists_every_engine_with_language_and_gender() -> None:
    result = run_cli("voices", "--json")
    assert result.returncode == 0, result.stderr
    voices = json.loads(result.stdout)
    assert {v["engine"] for v in voices} == set(ENGINE_NAMES)
    by_id = {(v["engine"], v["voice"]): v for v in voices}
    ingrid = by_id[("edge", "de-AT-IngridNeural")]
    assert (ingrid["language"], ingrid["locale"], ingrid["gender"]) == ("de", "de-AT", "female")
    assert by_id[("edge", "de-CH-JanNeural")]["gender"] == "male"
    assert by_id[("gtts", "de")]["language"] == "de"
    assert by_id[("espeak", "de")]["gender"] == "male"
    assert all(
        set(v) == {"engine", "voice", "language", "locale", "gender", "name"} for v in voices
    )


def test_voices_for_one_language_as_a_table() -> None:
    result = run_cli("voices", "--language", "de")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.split()[:4] == ["edge", "de-DE-KatjaNeural", "de-DE", "weiblich"] for line in lines
    )
    assert all(line.split()[2].startswith("de") for line in lines)
    assert {line.split()[0] for line in lines} == set(ENGINE_NAMES)
