"""`hoerclub read --summary / --llm / --talk` as a user runs them: real processes, a local model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.fake_openai import FakeOpenAI
from tests.support.summaries import FIXTURES, load_fixture

ARTICLE = load_fixture(FIXTURES / "politik-haushalt.json").article


def _cli(*args: str, stdin: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "read", "-", "--dry-run", "--json", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ) | (env or {}),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    info: dict[str, object] = json.loads(result.stdout)
    info["stderr"] = result.stderr
    return info


def _as_text() -> str:
    return "\n\n".join(ARTICLE.paragraphs())


def test_summary_dry_run_json() -> None:
    info = _cli("--summary", "--engine", "gtts", stdin=_as_text())
    assert info["summary"] is True
    assert info["summary_method"] == "extractive"
    assert info["full_words"] == ARTICLE.words
    text = str(info["text"])
    assert text.startswith(ARTICLE.title)
    assert 150 <= int(str(info["words"])) <= 225  # 75 s ± 20 % at 150 words a minute
    for paragraph in text.split("\n\n")[1:]:
        assert paragraph in " ".join(ARTICLE.text.split()) or all(
            sentence in ARTICLE.text for sentence in paragraph.split(". ")
        )
    spoken = " ".join(str(chunk) for chunk in info["spoken"])  # type: ignore[attr-defined]
    assert "Kurzfassung" in spoken
    assert "Der ganze Artikel dauert etwa neun Minuten" in spoken
    full = _cli(stdin=_as_text())
    assert full["summary"] is False
    assert "Kurzfassung" not in " ".join(str(c) for c in full["spoken"])  # type: ignore[attr-defined]


def test_llm_summary_and_its_fallback_told_only_when_asked() -> None:
    with FakeOpenAI() as fake:
        env = {"HOERCLUB_LLM_BASE_URL": fake.base_url, "HOERCLUB_LLM_MODEL": "m"}
        fake.content = (
            "Der Bundestag hat den Haushalt für 2026 mit 372 Stimmen beschlossen. Er sieht "
            "Ausgaben von 524,5 Milliarden Euro und neue Schulden von 89,3 Milliarden Euro vor. "
            "Mehr Geld gibt es für die Bundeswehr und die Sanierung der Bahn."
        )
        info = _cli("--llm", stdin=_as_text(), env=env)
        assert info["summary_method"] == "llm"
        assert str(info["text"]).endswith("Sanierung der Bahn.")
        fake.mode = "error"
        asked = _cli("--llm", stdin=_as_text(), env=env)
        assert asked["summary_method"] == "extractive"
        assert "Sprachmodell war nicht verfügbar" in str(asked["stderr"])
        auto = _cli("--summary", stdin=_as_text(), env=env)
        assert auto["summary_method"] == "extractive"
        assert "Sprachmodell" not in str(auto["stderr"])


def test_talk_dry_run_and_without_a_model() -> None:
    turn = (
        "Der Haushalt sieht Ausgaben von 524,5 Milliarden Euro vor, davon fließt viel in die "
        "Bundeswehr, in die Schiene und in Brücken, und die neuen Schulden liegen bei 89,3 "
        "Milliarden Euro im Kernhaushalt, dazu kommen Kredite der Sondervermögen."
    )
    lines = [{"speaker": "host", "line": "Aus dem Hauptstadtbericht: Was wurde beschlossen?"}]
    lines += [{"speaker": "guest", "line": turn}, {"speaker": "host", "line": "Und dann?"}] * 8
    with FakeOpenAI() as fake:
        fake.content = json.dumps({"lines": lines}, ensure_ascii=False)
        env = {"HOERCLUB_LLM_BASE_URL": fake.base_url, "HOERCLUB_LLM_MODEL": "m"}
        info = _cli("--talk", stdin=_as_text(), env=env)
    assert info["talk"] is True
    assert [line["speaker"] for line in info["lines"]][:2] == ["host", "guest"]  # type: ignore[index]
    assert str(info["text"]).startswith("Aus dem Hauptstadtbericht")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "read", "-", "--talk", "--dry-run"],
        input=_as_text(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "HOERCLUB_LLM_BASE_URL" in result.stderr


def test_summary_renders_audio_with_espeak(tmp_path: Path) -> None:
    from tests.support.audio import probe

    out = tmp_path / "kurz.mp3"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "read", "-", "--summary", "--engine", "espeak",
         "-o", str(out)],
        input=_as_text(), capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # About 190 words plus the host's lines; the full article would take nine minutes.
    assert 50 < probe(out)["duration"] < 150
