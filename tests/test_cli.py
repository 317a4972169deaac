"""The `hoerclub` command line as a user runs it: real processes, real files, real audio."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.pipeline.script import WORDS_PER_MINUTE
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.checkout import REPO, checkout_env

PAGES = Path(__file__).parent / "data" / "pages"
SAMPLE = PAGES / "clubhouse-musk.html"


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` in a fresh process with the test's environment."""
    full_env = checkout_env(dict(os.environ) | (env or {}))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def test_dry_run_json_contract() -> None:
    result = run_cli("read", str(SAMPLE), "--dry-run", "--json", "--engine", "gtts")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    info = json.loads(lines[0])
    expected = (PAGES / "clubhouse-musk.expected.txt").read_text(encoding="utf-8").strip()
    assert info["text"] == expected
    assert info["title"].startswith("Elon Musk auf Twitter")
    assert info["site"] == "Digital Life Magazin"
    assert info["author"] == "Lena Beispiel"
    assert info["date"] == "2021-02-15"
    assert info["language"] == "de"
    assert info["words"] == len(expected.split())
    assert 60 < info["estimated_seconds"] < 400
    spoken = info["spoken"]
    assert all(0 < len(chunk) <= 100 for chunk in spoken)
    # The host intro comes first; the article's numbers are spoken, not written.
    assert "Hörclub" in spoken[0]
    joined = " ".join(spoken)
    assert "2020" not in joined
    assert "zweitausendzwanzig" in joined


def test_dry_run_without_json_is_human_readable() -> None:
    result = run_cli("read", str(SAMPLE), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Titel:" in result.stdout
    assert "Digital Life Magazin" in result.stdout


def test_read_text_from_stdin_with_espeak(tmp_path: Path) -> None:
    text = (PAGES / "clubhouse-musk.expected.txt").read_text(encoding="utf-8")
    out = tmp_path / "stdin.mp3"
    result = run_cli("read", "-", "-o", str(out), "--engine", "espeak", stdin=text)
    assert result.returncode == 0, result.stderr
    info = probe(out)
    # About 330 words at 150-180 words a minute, plus intro and pauses.
    assert 90 < info["duration"] < 300, info


def test_read_url_from_local_server_ogg(tmp_path: Path) -> None:
    with ArticleServer() as server:
        url = server.url("/regional-bahn.html")
        out = tmp_path / "bahn.ogg"
        result = run_cli(
            "read",
            url,
            "-o",
            str(out),
            "--engine",
            "espeak",
            "--format",
            "ogg",
            env={"HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8"},
        )
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert info["codec"] == "opus"
    assert 60 < info["duration"] < 300, info


def test_output_name_comes_from_the_title(tmp_path: Path) -> None:
    result = run_cli("read", str(PAGES / "regional-bahn.html"), "--engine", "espeak")
    assert result.returncode == 0, result.stderr
    name = result.stdout.strip().splitlines()[-1]
    assert name == "Bahnstrecke-zwischen-Kassel-und-Goettingen-wird-ab-Maerz-gesperrt.mp3"
    assert Path(name).is_file()  # the test's working directory is its tmp dir


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("read", "http://127.0.0.1:9/x"), 3),  # loopback without the allow list
        (("read", "http://2130706433/"), 3),
        (("read", "ftp://example.org/a.html"), 3),
        (("read", "file:///etc/passwd"), 3),
        (("read", str(PAGES / "startseite.html")), 4),
        (("read", str(PAGES / "paywall.html")), 4),
        (("read", "does-not-exist.html"), 2),
        (("read",), 2),
        (("frobnicate",), 2),
    ],
)
def test_exit_codes_and_one_clear_line(args: tuple[str, ...], code: int) -> None:
    result = run_cli(*args, env={"HOERCLUB_FETCH_ALLOW_NETWORKS": ""})
    assert result.returncode == code, result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert error_lines, "a failure must say something"
    if code != 2:
        assert len(error_lines) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_synthesis_failure_is_exit_5(tmp_path: Path) -> None:
    # A gTTS endpoint that refuses connections, fallback off: the engine fails after retries.
    result = run_cli(
        "read",
        str(PAGES / "regional-bahn.html"),
        "-o",
        str(tmp_path / "x.mp3"),
        "--engine",
        "gtts",
        env={
            "HOERCLUB_GTTS_ENDPOINT": "http://127.0.0.1:9/batchexecute",
            "HOERCLUB_GTTS_RETRIES": "1",
            "HOERCLUB_TTS_FALLBACK": "false",
        },
    )
    assert result.returncode == 5, result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


def test_extract_json_lines() -> None:
    result = run_cli("extract", str(SAMPLE), str(PAGES / "startseite.html"), "--json")
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert lines[0]["title"].startswith("Elon Musk")
    assert lines[0]["source"] == str(SAMPLE)
    assert set(lines[0]) == {
        "source",
        "title",
        "text",
        "language",
        "site",
        "author",
        "date",
        "paywalled",
    }
    assert set(lines[1]) == {"source", "error"}
    assert result.returncode == 4


def test_normalize_is_line_for_line() -> None:
    text = "Am 24. November kamen 1.234 Menschen.\n\nDas kostet 3,50 €.\n"
    result = run_cli("normalize", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == 3
    assert "vierundzwanzigsten" in lines[0]
    assert lines[1] == ""
    assert "Euro" in lines[2]


def test_demo_writes_artikel_mp3() -> None:
    result = run_cli("demo", env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.returncode == 0, result.stderr
    out = Path("artikel.mp3")
    assert out.is_file()
    assert str(out.resolve()) in result.stdout
    assert 60 < probe(out)["duration"] < 400


def test_check_reports_the_installation() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ffmpeg:" in result.stdout
    assert "espeak:   ok" in result.stdout


def test_operator_can_switch_the_host_intro_off() -> None:
    result = run_cli(
        "read", str(SAMPLE), "--dry-run", "--json", env={"HOERCLUB_HOST_INTRO": "false"}
    )
    assert result.returncode == 0, result.stderr
    spoken = json.loads(result.stdout)["spoken"]
    assert not any("Hörclub" in chunk for chunk in spoken)
    assert "Tesla-Chef stellt überraschende Anfrage" in spoken[0]


def test_progress_is_shown_on_a_terminal_and_not_in_a_pipe(tmp_path: Path) -> None:
    import pty

    main_fd, child_fd = pty.openpty()
    out = tmp_path / "p.mp3"
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "read", str(SAMPLE), "-o", str(out), "--engine", "espeak"],
        stdout=subprocess.PIPE,
        stderr=child_fd,
        env=checkout_env(),
    ) as process:
        os.close(child_fd)
        seen = b""
        while True:
            try:
                data = os.read(main_fd, 4096)
            except OSError:  # the terminal closes when the process exits
                break
            if not data:
                break
            seen += data
        assert process.wait(timeout=120) == 0
    os.close(main_fd)
    terminal = seen.decode("utf-8", errors="replace")
    assert "Lade Seite" in terminal
    assert re.search(r"Spreche: (\d+)/\1 Abschnitte", terminal), terminal
    assert "Fertig." in terminal
    piped = run_cli("read", str(SAMPLE), "-o", str(tmp_path / "q.mp3"), "--engine", "espeak")
    assert piped.returncode == 0
    assert "Abschnitte" not in piped.stderr


def test_subprocesses_run_the_checkouts_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        capture_output=True, text=True, env=checkout_env(), check=True, timeout=60,
    )  # fmt: skip
    assert Path(done.stdout.strip()).resolve() == REPO / "bot" / "__init__.py"


def test_tempo_is_checked_against_the_shared_range() -> None:
    refused = run_cli("read", str(SAMPLE), "--dry-run", "--tempo", "3")
    assert refused.returncode == 2
    assert "tempo must be between 0.5 and 2" in refused.stderr
    fast = run_cli("read", str(SAMPLE), "--dry-run", "--json", "--tempo", "2")
    assert fast.returncode == 0, fast.stderr
    info = json.loads(fast.stdout)
    assert info["estimated_seconds"] == pytest.approx(
        info["words"] / WORDS_PER_MINUTE * 60 / 2, abs=0.1
    )
