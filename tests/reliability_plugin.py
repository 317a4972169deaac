"""The reliability report: every test marked `reliability(kind, sees=...)` counted per class.

`pytest --reliability-report=docs/reliability.md` writes a Markdown table from the run it ends:
each class of fault or bad input, how many cases were tried and passed, and what the user sees,
under the date, the command and the peak memory of the test process and of its children.
A parametrised test counts once per parameter set. Without the option nothing is written.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MARKER = "reliability"
OPTION = "--reliability-report"


@dataclass
class _Case:
    kind: str
    sees: str
    outcome: str = "not run"  # passed, failed, skipped


@dataclass
class _Row:
    tried: int = 0
    passed: int = 0
    skipped: int = 0
    sees: list[str] = field(default_factory=list)


_cases: dict[str, _Case] = {}
_started: list[float] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    """--reliability-report=PATH."""
    parser.addoption(
        OPTION,
        dest="reliability_report",
        default=None,
        metavar="PATH",
        help="write the table of reliability cases (tests marked 'reliability') to PATH",
    )


def case_of(item: pytest.Item) -> tuple[str, str] | None:
    """(kind, sees) of a marked test, or None."""
    mark = item.get_closest_marker(MARKER)
    if mark is None:
        return None
    if not mark.args or "sees" not in mark.kwargs:
        raise pytest.UsageError(
            f"{item.nodeid}: use @pytest.mark.reliability('<kind>', sees='<what the user sees>')"
        )
    return str(mark.args[0]), str(mark.kwargs["sees"])


def pytest_configure(config: pytest.Config) -> None:
    """Note when the run began, for its wall time."""
    _started[:] = [time.monotonic()]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Remember every marked test that is going to run."""
    _cases.clear()
    for item in items:
        found = case_of(item)
        if found is not None:
            _cases[item.nodeid] = _Case(*found)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A case failed if any phase failed, was skipped if set-up or call skipped it."""
    case = _cases.get(report.nodeid)
    if case is None:
        return
    if report.failed:
        case.outcome = "failed"
    elif report.skipped and case.outcome != "failed":
        case.outcome = "skipped"
    elif report.when == "call" and report.passed and case.outcome == "not run":
        case.outcome = "passed"


def _peak_mb(who: int) -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(who).ru_maxrss / scale


def _wall() -> float:
    return time.monotonic() - _started[0] if _started else 0.0


def _command(config: pytest.Config) -> str:
    """The pytest command line as typed, with paths under the checkout made relative."""
    root = Path(config.rootpath)
    args: list[str] = []
    for arg in config.invocation_params.args:
        text = str(arg)
        if text.startswith(str(root)):
            text = str(Path(text).relative_to(root)) or "."
        args.append(f'"{text}"' if " " in text else text)
    return " ".join(["python -m pytest", *args])


def render(config: pytest.Config) -> str:
    """The Markdown report of this run."""
    rows: dict[str, _Row] = defaultdict(_Row)
    for case in _cases.values():
        if case.outcome == "not run":  # deselected, or the session was interrupted
            continue
        row = rows[case.kind]
        if case.outcome == "skipped":
            row.skipped += 1
            continue
        row.tried += 1
        row.passed += case.outcome == "passed"
        if case.sees not in row.sees:
            row.sees.append(case.sees)
    tried = sum(r.tried for r in rows.values())
    passed = sum(r.passed for r in rows.values())
    skipped = sum(r.skipped for r in rows.values())
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability: faults and bad input",
        "",
        "Written by the test run itself (`make reliability`); do not edit by hand. Each row is a",
        "class of fault or bad input; a case is one test (one per parameter set) marked",
        "`@pytest.mark.reliability(kind, sees=...)`, and it passes only if what the user sees and",
        "what is kept (no lost job, no duplicate, no half-written file) hold.",
        "",
        f"- Run: {now}, Python {platform.python_version()} on {platform.system()}, "
        f"{os.cpu_count()} CPUs, {_wall():.0f} s wall time",
        f"- Command: `{_command(config)}`",
        f"- Peak memory (max RSS): test process {_peak_mb(resource.RUSAGE_SELF):.0f} MB, "
        f"largest child process {_peak_mb(resource.RUSAGE_CHILDREN):.0f} MB (Linux counts "
        "the memory a child inherits at fork into its peak)",
        f"- Cases: {tried} tried, {passed} passed"
        + (f", {skipped} skipped" if skipped else "")
        + f", in {len(rows)} classes",
        "",
        "| Class of fault or bad input | Cases tried | Passed | What the user sees |",
        "|---|---:|---:|---|",
    ]
    for kind in sorted(rows):
        row = rows[kind]
        sees = "; ".join(row.sees) or "–"
        lines.append(f"| {_cell(kind)} | {row.tried} | {row.passed} | {_cell(sees)} |")
    lines.append(f"| **Total** | **{tried}** | **{passed}** | |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the report when asked for."""
    target = session.config.getoption("reliability_report")
    if not target:
        return
    path = Path(target)
    if not path.is_absolute():
        path = Path(session.config.invocation_params.dir) / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(session.config), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: the cases counted and where the table went."""
    if not _cases:
        return
    passed = sum(c.outcome == "passed" for c in _cases.values())
    tried = sum(c.outcome in ("passed", "failed") for c in _cases.values())
    target = terminalreporter.config.getoption("reliability_report")
    where = f"; table written to {target}" if target else ""
    terminalreporter.write_line(f"reliability cases: {passed} of {tried} passed{where}")
