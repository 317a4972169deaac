"""What the feed commands show: the subscription list, its buttons and the confirmations."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.feeds.service import (
    ChatSettings,
    FeedPreview,
    Subscribed,
    SubscriptionInfo,
)
from bot.telegram.texts import Html, shorten, t, t_count

SUBSCRIPTION_PREFIX: Final = "fa"
# What a subscription button does: pause, resume, each article short or whole, the
# round-up, cancel.
ACTIONS: Final = ("p", "r", "s", "f", "d", "x")
_TITLE_CHARS: Final = 60
_MAX_ID_DIGITS: Final = 19


def subscription_data(action: str, subscription_id: int) -> str:
    """The callback data of a subscription button (at most 23 bytes)."""
    return f"{SUBSCRIPTION_PREFIX}:{action}:{subscription_id}"


def parse_subscription(data: str) -> tuple[str, int] | None:
    """The action and subscription a button names, or None for malformed data."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != SUBSCRIPTION_PREFIX or parts[1] not in ACTIONS:
        return None
    raw = parts[2]
    if not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_ID_DIGITS or int(raw) < 1:
        return None
    return parts[1], int(raw)


def _delivery(info: SubscriptionInfo) -> str:
    return "digest" if info.mode == "digest" else info.content


def subscriptions_text(subs: list[SubscriptionInfo], chat: ChatSettings, locale: str) -> str:
    """The /abos message: numbered subscriptions, then quiet hours and round-up."""
    if not subs:
        return t("feeds.list.empty", locale)
    lines = [t("feeds.list.header", locale)]
    for number, info in enumerate(subs, start=1):
        title = shorten(info.feed_title or info.feed_url, _TITLE_CHARS)
        state = ""
        if not info.feed_active:
            state = t("feeds.list.inactive", locale)
        elif info.paused:
            state = t("feeds.list.paused", locale)
        lines.append(
            t(
                "feeds.list.item",
                locale,
                number=number,
                title=title,
                filter=Html(_filter_note(info.filter, locale)),
                delivery=t(f"feeds.delivery.{_delivery(info)}", locale),
                state=Html(state),
            )
        )
    lines.append("")
    quiet = "–".join(chat.quiet) if chat.quiet else t("feeds.quiet.none", locale)
    lines.append(
        t(
            "feeds.list.footer",
            locale,
            quiet=quiet,
            time=chat.roundup_time,
            zone=chat.timezone,
            max=chat.roundup_max,
        )
    )
    lines.append(t("feeds.list.legend", locale))
    return "\n".join(lines)


def subscriptions_keyboard(subs: list[SubscriptionInfo], locale: str) -> InlineKeyboardMarkup:
    """One row per subscription: pause or resume, the three deliveries (ticked), cancel."""
    rows = []
    for number, info in enumerate(subs, start=1):
        pause = "r" if info.paused else "p"
        current = _delivery(info)
        row = [
            InlineKeyboardButton(
                t(f"feeds.button.{'resume' if info.paused else 'pause'}", locale, number=number),
                callback_data=subscription_data(pause, info.id),
            )
        ]
        for action, delivery in (("s", "summary"), ("f", "full"), ("d", "digest")):
            label = t(f"feeds.button.{delivery}", locale)
            row.append(
                InlineKeyboardButton(
                    ("✓" + label) if delivery == current else label,
                    callback_data=subscription_data(action, info.id),
                )
            )
        row.append(
            InlineKeyboardButton(
                t("feeds.button.cancel", locale), callback_data=subscription_data("x", info.id)
            )
        )
        rows.append(row)
    return InlineKeyboardMarkup(rows)


def _filter_note(filter_text: str, locale: str) -> str:
    return t("feeds.filter_note", locale, filter=filter_text) if filter_text else ""


def _pace(preview: FeedPreview, locale: str) -> str:
    per_day = preview.entries_per_day
    if per_day is None:
        return t("feeds.pace.unknown", locale)
    if per_day >= 1:
        count = round(per_day)
        return t_count("feeds.pace.daily", count, locale, count=count)
    count = max(1, round(per_day * 7))
    return t_count("feeds.pace.weekly", count, locale, count=count)


def subscribed_text(done: Subscribed, locale: str) -> str:
    """What a subscription found: the feed, its recent entries, its pace, what comes now."""
    info = done.subscription
    title = done.preview.title if done.preview and done.preview.title else info.feed_title
    title = shorten(title or info.feed_url, _TITLE_CHARS * 2)
    if not done.created:
        return t("feeds.already", locale, title=title)
    lines = [
        t("feeds.subscribed", locale, title=title, filter=Html(_filter_note(info.filter, locale)))
    ]
    if done.preview is not None:
        recent = len(done.preview.entries)
        lines.append(
            t_count("feeds.recent", recent, locale, count=recent)
            + " · "
            + _pace(done.preview, locale)
        )
    lines.append(t("feeds.first.yes" if done.first_delivery else "feeds.first.no", locale))
    return "\n".join(lines)
