"""The SpeechEngine interface every engine implements (engines subclass it for `voice_for`
and `voices_for`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol, runtime_checkable

from bot.models import ROLES, Clip, Role


@runtime_checkable
class SpeechEngine(Protocol):
    """One text-to-speech engine: a name, a per-request limit, voices and `synthesize`."""

    name: str
    max_chars: int
    output_format: Literal["mp3", "wav"]
    voices: Mapping[str, str]  # language code ("de", "en", …) -> voice id

    def voice_for(self, language: str) -> str | None:
        """The voice id for a language ("de-AT" → the "de" voice), or None when there is none."""
        return self.voices.get(language.lower().replace("_", "-").split("-")[0])

    def voices_for(self, language: str) -> dict[Role, str] | None:
        """A voice id per role (host, reader, quote, guest) for a language, or None.

        An engine with one voice per language gives every role that voice (the host is then
        set apart by pauses and the chime); one with several overrides this.
        """
        voice = self.voice_for(language)
        return None if voice is None else dict.fromkeys(ROLES, voice)

    async def synthesize(self, text: str, voice: str) -> Clip:
        """Speak one chunk (at most `max_chars` characters) and return its audio."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...
