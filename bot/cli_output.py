"""Where the command line writes audio: a safe file name, and a write that replaces only files.

The audio is rendered inside a private directory beside the target and renamed onto it only
when the target is a regular file or a new name: `-o /dev/full`, a FIFO or a symbolic link is
refused (exit 2), never overwritten. `-o -` writes the audio to stdout.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.errors import UsageError

_UMLAUTS: dict[int, str] = {
    ord(k): v
    for k, v in {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
    }.items()
}


def safe_filename(title: str, suffix: str) -> str:
    """A file name from a title: ASCII letters, digits and dashes only, at most 80 characters."""
    text = title.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80].rstrip("-")
    return f"{text or 'artikel'}.{suffix}"


def check_output(path: Path) -> None:
    """Refuse an output path that names anything but a regular file or nothing yet: a
    directory, a symbolic link, a device or a pipe is never replaced (UsageError, exit 2)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot use {path} as output: {exc.strerror or exc}") from exc
    if stat.S_ISREG(mode):
        return
    what = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a symbolic link"
        if stat.S_ISLNK(mode)
        else "not a regular file (a device, a pipe or a socket)"
    )
    raise UsageError(f"{path} is {what}; give a file name for the audio")


@contextlib.contextmanager
def staged_output(target: Path | None, suffix: str) -> Iterator[Path]:
    """The path to render into: inside a private directory beside `target` (so the final
    rename stays on one file system), or a temporary one for stdout; removed afterwards."""
    if target is not None:
        check_output(target)
    try:
        parent = target.parent if target is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".hoerclub-", dir=parent))
    except OSError as exc:
        raise UsageError(f"cannot write the audio there: {exc.strerror or exc}") from exc
    try:
        yield staging / (target.name if target is not None else f"hoerclub.{suffix}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(rendered: Sequence[Path], target: Path | None) -> list[Path]:
    """Move the rendered file(s) onto the target (checked again just before), or write them to
    stdout when there is no target; the final paths."""
    if target is None:
        for path in rendered:
            sys.stdout.buffer.write(path.read_bytes())
        sys.stdout.buffer.flush()
        return []
    final: list[Path] = []
    for path in rendered:
        destination = target.with_name(path.name)  # parts keep their -teilN names
        check_output(destination)
        path.replace(destination)
        final.append(destination)
    return final


def output_target(spec: str | None, default: str) -> Path | None:
    """The -o argument as a path; None for "-" (stdout, refused on a terminal)."""
    if spec != "-":
        return Path(spec or default)
    if sys.stdout.isatty():
        raise UsageError("-o - writes audio to stdout: redirect it into a file or a player")
    return None
