"""The CI step that audits dependencies: which reports fail the run and which pass.

The step's verdict is tested on saved reports in pip-audit's JSON format, since the test run
has no vulnerability database to ask; CI runs the same script against the real index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / ".ci" / "audit.py"
IGNORES = ROOT / ".ci" / "pip-audit-ignore.toml"

VULNERABLE = {
    "dependencies": [
        {"name": "httpx", "version": "0.27.0", "vulns": []},
        {
            "name": "lxml",
            "version": "4.0.0",
            "vulns": [{"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["9"]}],
        },
    ],
    "fixes": [],
}
UNAUDITED = {
    "dependencies": [
        {"name": "httpx", "version": "0.27.0", "vulns": []},
        {"name": "lxml", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}


def _audit(
    tmp_path: Path, report: dict[str, Any], ignores: str = "ignore = []\n", *, strict: bool = False
) -> subprocess.CompletedProcess[str]:
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report), "utf-8")
    ignore_file = tmp_path / "ignore.toml"
    ignore_file.write_text(ignores, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "HOERCLUB_AUDIT_STRICT"}
    if strict:
        env["HOERCLUB_AUDIT_STRICT"] = "true"
    return subprocess.run(
        [sys.executable, str(AUDIT), "--report", str(saved), "--ignore-file", str(ignore_file)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.mark.reliability("security: dependency audit", sees="CI fails, naming the package")
def test_a_known_vulnerability_fails_the_run(tmp_path: Path) -> None:
    done = _audit(tmp_path, VULNERABLE)
    assert done.returncode == 1
    assert "VULNERABLE lxml 4.0.0: PYSEC-2099-1 (9)" in done.stdout


@pytest.mark.reliability("security: dependency audit", sees="CI passes a recorded finding")
@pytest.mark.parametrize("vuln_id", ["PYSEC-2099-1", "CVE-2099-0001"])
def test_a_finding_recorded_with_reason_and_date_passes(tmp_path: Path, vuln_id: str) -> None:
    ignores = (
        f'[[ignore]]\nid = "{vuln_id}"\nreason = "not reachable from the bot"\ndate = 2026-12-01\n'
    )
    done = _audit(tmp_path, VULNERABLE, ignores)
    assert done.returncode == 0, done.stdout
    assert "0 findings" in done.stdout


@pytest.mark.reliability("security: dependency audit", sees="CI fails: entry without a reason")
@pytest.mark.parametrize(
    "entry",
    ['id = "PYSEC-2099-1"\ndate = 2026-12-01\n', 'id = "PYSEC-2099-1"\nreason = "later"\n'],
)
def test_an_ignore_entry_needs_a_reason_and_a_date(tmp_path: Path, entry: str) -> None:
    done = _audit(tmp_path, VULNERABLE, f"[[ignore]]\n{entry}")
    assert done.returncode == 2
    assert "needs an id, a reason and a date" in done.stdout


@pytest.mark.reliability(
    "security: dependency audit", sees="a loud warning when nothing was checked"
)
def test_unaudited_packages_warn_and_fail_when_strict(tmp_path: Path) -> None:
    strict = _audit(tmp_path, UNAUDITED, strict=True)
    assert strict.returncode == 1
    assert "1 not audited" in strict.stdout
    local = _audit(tmp_path, UNAUDITED)
    assert local.returncode == 0
    assert "WARNING: packages were not audited here" in local.stdout


@pytest.mark.reliability("security: dependency audit", sees="CI passes with our ignore file")
def test_the_repositorys_ignore_file_is_valid(tmp_path: Path) -> None:
    clean = {"dependencies": [{"name": "httpx", "version": "0.27.0", "vulns": []}], "fixes": []}
    done = _audit(tmp_path, clean, IGNORES.read_text("utf-8"), strict=True)
    assert done.returncode == 0, done.stdout
