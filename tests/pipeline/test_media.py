"""Which ffmpeg runs: the one HOERCLUB_FFMPEG asks for, the system's by name, the wheel's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import AudioError
from bot.pipeline.media import ffmpeg_exe, find_ffmpeg
from tests.support.tools import in_ci, require_system_tool


def test_the_chosen_ffmpeg_is_the_one_that_runs() -> None:
    choice = load_settings().ffmpeg
    exe = ffmpeg_exe()
    if choice == "system" or (choice == "auto" and shutil.which("ffmpeg")):
        assert exe == shutil.which("ffmpeg")
    else:
        assert "imageio_ffmpeg" in exe


def test_system_ffmpeg_by_name() -> None:
    system = require_system_tool("ffmpeg")
    assert find_ffmpeg("system") == system


def test_bundled_ffmpeg_by_name() -> None:
    try:
        exe = find_ffmpeg("bundled")
    except AudioError:
        if in_ci():
            raise
        pytest.skip("imageio-ffmpeg (the extra 'bundled') is not installed")
    assert "imageio_ffmpeg" in exe
    assert Path(exe).is_file()


def test_system_insists_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioError, match="HOERCLUB_FFMPEG=system"):
        find_ffmpeg("system")
