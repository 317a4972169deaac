"""The one door to a language model: any OpenAI-compatible chat-completions endpoint.

Works with OpenAI itself and with local servers that speak the same wire format (Ollama,
vLLM, llama.cpp's server). Every failure (connection, status, timeout, a body that is not a
chat completion, an empty answer) comes out as `LanguageModelError`; callers decide whether
to fall back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import openai

from bot.config import Settings
from bot.errors import LanguageModelError
from bot.redact import redact_secrets

logger = logging.getLogger(__name__)

# Local servers ignore the key, but the client refuses to start without one.
_NO_KEY = "not-needed"


@dataclass(frozen=True)
class LLMConfig:
    """Where the model is and how long to wait for it."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig | None:
        """The configuration, or None when no endpoint and model are set."""
        if not (settings.llm_base_url and settings.llm_model):
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        redact_secrets(key)
        return cls(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout)


class ChatClient:
    """Asks the model one question (a system and a user message) and returns its text."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        # No retries: a summary has a fast fallback, and a slow model should not be asked twice.
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or _NO_KEY,
            timeout=config.timeout,
            max_retries=0,
        )

    async def complete(
        self, system: str, user: str, *, max_tokens: int, json_object: bool = False
    ) -> str:
        """The model's answer to one exchange; `json_object` asks for a JSON object."""
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_object else {}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.config.timeout):
                response = await self._client.chat.completions.create(
                    model=self.config.model,
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    temperature=0.2,
                    max_tokens=max_tokens,
                    **extra,
                )
            content = response.choices[0].message.content if response.choices else None
        except TimeoutError as exc:
            raise LanguageModelError(f"no answer within {self.config.timeout:g} s") from exc
        except openai.OpenAIError as exc:
            raise LanguageModelError(f"{type(exc).__name__}: {exc}") from exc
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            # A body that is JSON but not a chat completion.
            raise LanguageModelError(f"unreadable answer: {exc!r}") from exc
        if not isinstance(content, str) or not content.strip():
            raise LanguageModelError("empty answer")
        logger.info(
            "llm %s answered %d characters in %.1f s",
            self.config.model,
            len(content),
            time.perf_counter() - started,
        )
        return content.strip()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()
