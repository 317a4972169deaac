"""The dependency audit of CI: pip-audit on the installed environment, with recorded exceptions.

Run as `.venv/bin/python .ci/audit.py` (after `make install`). A known vulnerability fails the
run unless `.ci/pip-audit-ignore.toml` records its id with a reason and a date. A package that
pip-audit could not look up (the index has no vulnerability data for it, or is unreachable)
is "not audited": the step says so loudly (a silent "no known vulnerabilities" over packages
nobody checked would be a false pass). With HOERCLUB_AUDIT_STRICT=true that fails the run; the
default only warns, because the project's CI machines reach a package mirror without PyPI's
vulnerability data, where every package comes back unaudited and a failure would block every
change for a reason no change can fix.
`--report FILE` judges a saved `pip-audit --format json` report instead of running pip-audit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.toml")


def read_ignores(path: Path) -> list[str]:
    """The ids to ignore; ValueError for an entry without an id, a reason or a date."""
    data = tomllib.loads(path.read_text("utf-8"))
    ids = []
    for entry in data.get("ignore", []):
        vuln = str(entry.get("id", "")).strip()
        reason = str(entry.get("reason", "")).strip()
        date = entry.get("date")
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        if not vuln or not reason or not isinstance(date, dt.date):
            raise ValueError(f"{path.name}: every entry needs an id, a reason and a date: {entry}")
        ids.append(vuln)
    return ids


def run_pip_audit(ignores: list[str]) -> dict[str, Any]:
    """pip-audit's JSON report of this interpreter's environment (our own package skipped)."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--local",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    for vuln in ignores:
        command += ["--ignore-vuln", vuln]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if not done.stdout.strip():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"audit: pip-audit produced no report (exit {done.returncode})")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def judge(report: dict[str, Any], ignores: list[str], *, strict: bool) -> int:
    """Print the findings; 1 for a vulnerability not ignored (or, when strict, an unaudited one)."""
    found, skipped = [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        for vuln in dep.get("vulns", []):
            ids = {vuln.get("id"), *vuln.get("aliases", [])}
            if not ids & set(ignores):
                fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
                found.append(f"{dep['name']} {dep.get('version')}: {vuln.get('id')} ({fixed})")
    audited = len(report.get("dependencies", [])) - len(skipped)
    print(f"audit: {audited} packages audited, {len(skipped)} not audited, {len(found)} findings")
    for line in found:
        print(f"audit: VULNERABLE {line}")
    if skipped:
        print(
            f"audit: not audited (no vulnerability data): {skipped[0]}"
            + (f" and {len(skipped) - 1} more" if len(skipped) > 1 else "")
        )
    if found:
        print(
            f"audit: upgrade, or record the id with a reason and a date in .ci/{IGNORE_FILE.name}"
        )
        return 1
    if skipped and strict:
        print("audit: HOERCLUB_AUDIT_STRICT=true needs every dependency audited; no data came")
        return 1
    if skipped:
        print("audit: WARNING: packages were not audited here (no vulnerability data reachable)")
    return 0


def main() -> int:
    """Run (or read) the audit and judge it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="a saved pip-audit JSON report to judge")
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE)
    args = parser.parse_args()
    try:
        ignores = read_ignores(args.ignore_file)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"audit: {exc}")
        return 2
    if args.report is not None:
        report = json.loads(args.report.read_text("utf-8"))
    else:
        report = run_pip_audit(ignores)
    strict = os.environ.get("HOERCLUB_AUDIT_STRICT", "").lower() == "true"
    return judge(report, ignores, strict=strict)


if __name__ == "__main__":
    sys.exit(main())
