"""The command line on hostile or odd input and output: one clear line and the documented exit
code instead of a traceback; nothing outside the named file is ever replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.audio import probe
from tests.support.checkout import checkout_env
from tests.support.fake_gtts import FakeGTTS

PAGES = Path(__file__).parent / "data" / "pages"
SAMPLE = PAGES / "regional-bahn.html"
TEXT = (PAGES / "clubhouse-musk.expected.txt").read_text(encoding="utf-8")


def run(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """`python -m bot …` in a fresh process; stdin and stdout as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        env=checkout_env(dict(os.environ) | (env or {})),
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single line a failure prints; fails on a traceback or on more lines."""
    stderr = result.stderr.decode("utf-8", "replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("hoerclub: "), stderr
    return lines[0]


# --- links and articles the CLI refuses -----------------------------------------------------
@pytest.mark.parametrize(
    "url", ["http://[::1", "http://xn--.example/", "http://127.0.0.1:99999/x", "http://a.test:0/"]
)
def test_a_malformed_link_is_exit_3(url: str) -> None:
    result = run("read", url, "--dry-run")
    assert result.returncode == 3
    assert "fehlerhaft" in one_line(result)


def test_an_article_over_the_word_limit_is_exit_4(tmp_path: Path) -> None:
    big = tmp_path / "lang.txt"
    big.write_text("Ein langer Text\n\n" + "Wort und noch ein Wort. " * 50_000, encoding="utf-8")
    result = run("read", str(big), "--dry-run")
    assert result.returncode == 4
    assert "mehr als 12000 Wörter" in one_line(result)


def test_binary_data_on_stdin_is_refused() -> None:
    binary = Path(sys.executable).resolve().read_bytes()[:50_000]
    result = run("read", "-", "--dry-run", stdin=binary)
    assert result.returncode == 4
    assert "Binärdaten" in one_line(result)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    assert run("read", "-", "--dry-run", stdin=png).returncode == 4


def test_emoji_only_text_has_no_words_to_read() -> None:
    result = run("read", "-", "--dry-run", stdin=("🎧 🎉 👍 — … " * 60).encode())
    assert result.returncode == 4
    assert "keine Wörter" in one_line(result)


def test_local_files_and_stdin_share_the_fetch_size_limit(tmp_path: Path) -> None:
    limit = {"HOERCLUB_FETCH_MAX_BYTES": "100000"}
    page = tmp_path / "riesig.html"
    page.write_bytes(SAMPLE.read_bytes() + b"<!-- " + b"x" * 200_000 + b" -->")
    for source, stdin in ((str(page), b""), ("-", TEXT.encode() * 40), ("/dev/zero", b"")):
        result = run("read", source, "--dry-run", stdin=stdin, env=limit)
        assert result.returncode == 3, source
        assert "zu groß" in one_line(result)
    assert run("read", str(SAMPLE), "--dry-run", env=limit).returncode == 0


def test_a_windows_1252_file_is_decoded_like_the_same_page_over_http(tmp_path: Path) -> None:
    text = "Grüße aus München\n\n" + TEXT.replace('"', "„", 1)
    for name, data in (
        ("brief.txt", text.encode("cp1252", errors="ignore")),
        ("seite.html", SAMPLE.read_text(encoding="utf-8").encode("cp1252", errors="ignore")),
    ):
        path = tmp_path / name
        path.write_bytes(data.replace(b'<meta charset="utf-8">', b""))
        result = run("read", str(path), "--dry-run", "--json")
        assert result.returncode == 0, result.stderr
        decoded = result.stdout.decode("utf-8")
        assert "\ufffd" not in decoded
        assert "München" in decoded or "Göttingen" in decoded


def test_normalize_reads_a_file_in_any_charset(tmp_path: Path) -> None:
    path = tmp_path / "zeilen.txt"
    path.write_bytes("Grüße aus München\nAm 3. Mai um 14 Uhr\n".encode("latin-1"))
    result = run("normalize", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert lines[0] == "Grüße aus München"
    assert "dritten Mai" in lines[1]
    binary = run("normalize", "-", stdin=b"\xff\xfeA\x00")
    assert binary.returncode == 0  # stdin streams line by line; odd bytes do not crash it


# --- where the audio goes -------------------------------------------------------------------
def test_output_onto_anything_but_a_regular_file_is_refused(tmp_path: Path) -> None:
    tmp_path = tmp_path / "aus"  # beside the data directory the fixtures set up
    tmp_path.mkdir()
    kept = tmp_path / "bleibt.txt"
    kept.write_text("unverändert", encoding="utf-8")
    (tmp_path / "ordner").mkdir()
    (tmp_path / "verweis.mp3").symlink_to(kept)
    os.mkfifo(tmp_path / "rohr.mp3")
    for name in ("ordner", "verweis.mp3", "rohr.mp3"):
        target = tmp_path / name
        result = run("read", str(SAMPLE), "--engine", "espeak", "-o", str(target))
        assert result.returncode == 2, name
        assert str(target) in one_line(result)
    assert kept.read_text(encoding="utf-8") == "unverändert"
    assert (tmp_path / "verweis.mp3").is_symlink()
    assert (tmp_path / "rohr.mp3").is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bleibt.txt",
        "ordner",
        "rohr.mp3",
        "verweis.mp3",
    ]  # no temporary file left behind


def test_output_replaces_a_regular_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    tmp_path = tmp_path / "aus"
    tmp_path.mkdir()
    target = tmp_path / "alt.mp3"
    target.write_bytes(b"old")
    result = run("read", str(SAMPLE), "--engine", "espeak", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == str(target)
    assert probe(target)["duration"] > 30
    assert [p.name for p in tmp_path.iterdir()] == ["alt.mp3"]


def test_output_dash_writes_the_audio_to_stdout(tmp_path: Path) -> None:
    result = run("read", str(SAMPLE), "--engine", "espeak", "-o", "-")
    assert result.returncode == 0, result.stderr
    # Nothing written into the working directory but the data directory (the clip cache).
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
    out = tmp_path / "stdout.mp3"
    out.write_bytes(result.stdout)
    assert probe(out)["duration"] > 30


# --- a speech service that answers with junk ------------------------------------------------
def test_junk_from_the_speech_service_falls_back_and_exits(tmp_path: Path) -> None:
    with FakeGTTS() as fake:
        fake.corrupt_next(10_000, "garbage")
        out = tmp_path / "x.mp3"
        result = run(
            "read", "-", "-o", str(out), "--engine", "gtts", stdin=TEXT.encode(),
            env={"HOERCLUB_GTTS_ENDPOINT": fake.url, "HOERCLUB_GTTS_RETRIES": "1"},
            timeout=180,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Ersatzstimme espeak" in result.stderr.decode()
    assert probe(out)["duration"] > 60
