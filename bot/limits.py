"""Limits that the job service, the settings keyboard, the CLI and assembly must agree on."""

from __future__ import annotations

from typing import Final

# Playback tempo: ffmpeg's atempo filter keeps the pitch and accepts 0.5–100, but beyond
# twice the speed speech becomes a blur, and below half it drags.
TEMPO_RANGE: Final = (0.5, 2.0)
# The steps of the settings keyboard and of "⏪ Langsamer"/"⏩ Schneller" under an audio: the
# steps podcast players offer, from a careful 0.75× to the 2× that practised listeners use.
TEMPO_CHOICES: Final = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


def tempo_step(tempo: float, steps: int) -> float | None:
    """The choice `steps` places faster (or slower, when negative) than `tempo`, or None."""
    nearest = min(range(len(TEMPO_CHOICES)), key=lambda i: abs(TEMPO_CHOICES[i] - tempo))
    index = nearest + steps
    return TEMPO_CHOICES[index] if 0 <= index < len(TEMPO_CHOICES) else None


def tempo_allowed(tempo: float) -> bool:
    """Whether a tempo is inside TEMPO_RANGE."""
    return TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]


# Pasted text is read aloud from this many words on (shorter is a chat message, not an
# article); the help, the refusal and the check before any status message all say this.
MIN_TEXT_WORDS: Final = 50
# A message without a link of at least this many words was meant to be read: it is told that
# it is too short, rather than that it lacks a link.
TEXT_ATTEMPT_WORDS: Final = 15
