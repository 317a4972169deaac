"""Limits that the job service, the settings keyboard, the CLI and assembly must agree on."""

from __future__ import annotations

from typing import Final

# Playback tempo: ffmpeg's atempo filter keeps the pitch and accepts 0.5–100, but beyond
# twice the speed speech becomes a blur, and below half it drags.
TEMPO_RANGE: Final = (0.5, 2.0)
# The buttons of the settings keyboard: the steps listeners of spoken articles use most.
TEMPO_CHOICES: Final = (1.0, 1.25, 1.5)


def tempo_allowed(tempo: float) -> bool:
    """Whether a tempo is inside TEMPO_RANGE."""
    return TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]
