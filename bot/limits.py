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


# Pasted text is read aloud from this many words on (shorter is a chat message, not an
# article); the help, the refusal and the check before any status message all say this.
MIN_TEXT_WORDS: Final = 50
# A message without a link of at least this many words was meant to be read: it is told that
# it is too short, rather than that it lacks a link.
TEXT_ATTEMPT_WORDS: Final = 15
