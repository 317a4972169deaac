"""What `hoerclub web` must be told before it starts (checked before anything heavy loads)."""

from __future__ import annotations

import re
from typing import Final

from bot.config import Settings
from bot.errors import UsageError

# setWebhook's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


def web_credentials(settings: Settings) -> tuple[str, str]:
    """The webhook secret and the public URL, or UsageError naming what is missing."""
    if settings.webhook_secret is None:
        raise UsageError("HOERCLUB_WEBHOOK_SECRET is not set; `hoerclub web` needs it")
    if not settings.public_url:
        raise UsageError("HOERCLUB_PUBLIC_URL is not set; `hoerclub web` needs it")
    secret = settings.webhook_secret.get_secret_value()
    if not SECRET_PATTERN.fullmatch(secret):
        raise UsageError(
            "HOERCLUB_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret, settings.public_url
