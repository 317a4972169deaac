"""Sending a delivered audio again by its file_ids (history, the "Später hören" list)."""

from __future__ import annotations

import html
from typing import Final

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot.telegram.texts import shorten, t

# The title in a re-sent audio's caption: one or two lines on a phone.
RESENT_TITLE_CHARS: Final = 200


def resent_caption(title: str | None, url: str | None, locale: str, part: int, parts: int) -> str:
    """The linked title (and "Teil 1/2" for a split audio): the audio itself says the rest."""
    text = html.escape(shorten(title or t("audio.untitled", locale), RESENT_TITLE_CHARS))
    if url and url.lower().startswith(("http://", "https://")):
        first = f'<a href="{html.escape(url, quote=True)}">{text}</a>'
    else:
        first = f"<b>{text}</b>"
    if parts > 1:
        first += "\n" + t("caption.part", locale, part=part, parts=parts)
    return first


async def send_again(
    bot: Bot,
    chat_id: int,
    *,
    file_ids: tuple[str, ...],
    fmt: str,
    title: str | None,
    url: str | None,
    locale: str,
    buttons: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send each part by file_id as the kind it was delivered as; the buttons go under the last."""
    sent: list[Message] = []
    for index, file_id in enumerate(file_ids):
        caption = resent_caption(title, url, locale, index + 1, len(file_ids))
        markup = buttons if index == len(file_ids) - 1 else None
        if fmt == "voice":
            message = await bot.send_voice(
                chat_id, file_id, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        else:
            message = await bot.send_audio(
                chat_id, file_id, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        sent.append(message)
    return sent
