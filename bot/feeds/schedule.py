"""Time arithmetic for feeds: polling intervals, backoff, quiet hours and round-up times.

Pure functions of aware datetimes, so the poller's clock decides everything and tests control it.
Local times ("22:00") are wall-clock times in the chat's time zone, daylight saving included.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Callable, Sequence
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], dt.datetime]

DEFAULT_TIMEZONE: Final = "Europe/Berlin"
# Without publication dates a feed starts at half an hour: news feeds publish a few times an
# hour to a few times a day, and the interval adapts from there within a few polls.
DEFAULT_INTERVAL: Final = dt.timedelta(minutes=30)
# A poll that found something halves the interval, a poll that found nothing lengthens it by a
# quarter: a feed that publishes hourly settles at 30-60 min polls in the feed bench, one that
# went quiet reaches the 6 h bound after about 12 empty polls.
SHORTEN_ON_NEWS: Final = 0.5
LENGTHEN_ON_QUIET: Final = 1.25
# Poll about twice per publication gap: new entries wait half a gap on average.
POLLS_PER_GAP: Final = 2.0
# Entries whose dates estimate a feed's cadence: the last twenty span a day or more for news.
CADENCE_SAMPLE: Final = 20
# Backoff doubles per failure in a row, up to this many doublings (2^6 = 64 intervals).
MAX_BACKOFF_DOUBLINGS: Final = 6
# Deactivation needs both days of failure and this many failed attempts in a row: a weekend
# outage of a small site with a few polls does not end its subscriptions.
DEACTIVATE_MIN_FAILURES: Final = 8


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC (the poller's default clock)."""
    return dt.datetime.now(dt.UTC)


def clamp_interval(seconds: float, low: int, high: int) -> int:
    """`seconds` within the bounds, as whole seconds."""
    return int(min(max(seconds, low), max(low, high)))


def cadence_interval(
    published: Sequence[dt.datetime | None], low: int, high: int
) -> tuple[int, float | None]:
    """A first interval from publication dates, and the feed's entries per day (None: unknown)."""
    dates = sorted((d for d in published if d is not None), reverse=True)[:CADENCE_SAMPLE]
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(dates)]
    gaps = [gap for gap in gaps if gap > 0]
    if not gaps:
        return clamp_interval(DEFAULT_INTERVAL.total_seconds(), low, high), None
    gap = statistics.median(gaps)
    return clamp_interval(gap / POLLS_PER_GAP, low, high), 86400 / gap


def next_interval(
    current: int, *, found_new: int, low: int, high: int, elapsed: float | None = None
) -> int:
    """The interval after a successful poll: shorter when it found news, longer when not.

    With `found_new` entries over `elapsed` seconds since the last poll, the observed gap
    between entries sets the pace at once (a feed found at 6 h with 30 new entries drops to
    the lower bound instead of halving its way down while the feed scrolls entries away).
    """
    if not found_new:
        return clamp_interval(current * LENGTHEN_ON_QUIET, low, high)
    shorter = current * SHORTEN_ON_NEWS
    if elapsed is not None and elapsed > 0:
        shorter = min(shorter, elapsed / found_new / POLLS_PER_GAP)
    return clamp_interval(shorter, low, high)


def backoff_delay(interval: int, failures: int, *, high: int) -> int:
    """Seconds until the next attempt after `failures` failures in a row (at least one)."""
    doublings = min(max(failures, 1), MAX_BACKOFF_DOUBLINGS)
    return int(min(interval * 2**doublings, max(high, interval)))


def should_deactivate(
    failures: int, failing_since: dt.datetime | None, now: dt.datetime, days: float
) -> bool:
    """Whether a feed has failed long enough, and often enough, to be switched off."""
    if failing_since is None or failures < DEACTIVATE_MIN_FAILURES:
        return False
    return now - failing_since >= dt.timedelta(days=days)


def zone(name: str | None) -> ZoneInfo:
    """The time zone by IANA name; Europe/Berlin when absent or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def parse_clock_time(text: str) -> dt.time:
    """ "7", "07:00" or "7.30" as a time of day; ValueError otherwise."""
    cleaned = text.strip().replace(".", ":")
    hour, _, minute = cleaned.partition(":")
    return dt.time(int(hour), int(minute or 0))


def local_day_start(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Midnight of `now`'s day in the zone, as an aware UTC datetime."""
    local = now.astimezone(tz)
    return dt.datetime.combine(local.date(), dt.time(0), tz).astimezone(dt.UTC)


def next_local_time(now: dt.datetime, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The next moment (at or after `now`) the zone's clocks show `at`, in UTC."""
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), at, tz)
    if candidate < local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, tz)
    return candidate.astimezone(dt.UTC)


def quiet_until(
    now: dt.datetime, start: str | None, end: str | None, tz: ZoneInfo
) -> dt.datetime | None:
    """When the quiet hours around `now` end, or None if `now` is not in quiet hours."""
    if not start or not end:
        return None
    begin, finish = parse_clock_time(start), parse_clock_time(end)
    if begin == finish:
        return None
    clock = now.astimezone(tz).time().replace(tzinfo=None)
    inside = begin <= clock < finish if begin < finish else clock >= begin or clock < finish
    return next_local_time(now, finish, tz) if inside else None


def not_in_quiet_hours(
    moment: dt.datetime, start: str | None, end: str | None, tz: ZoneInfo
) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls into."""
    return quiet_until(moment, start, end, tz) or moment
