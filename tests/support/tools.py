"""Tests of the system's ffmpeg and espeak-ng: required in CI, skipped with a reason elsewhere."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    """True in the CI run (.ci/run), which installs every tool the tests need."""
    return os.environ.get("CI", "").lower() == "true"


def require_system_tool(name: str) -> str:
    """The tool's path on PATH; fails the test under CI=true and skips it elsewhere if absent."""
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed: CI must test Debian's {name}")
        pytest.skip(f"{name} is not installed here; CI tests Debian's {name}")
    return path
