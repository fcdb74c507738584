"""ISO 8601 durations of fixed-length units, and UTC instants as the workflow writes them.

Durations are restricted to units of fixed length (weeks, days, hours, minutes, seconds:
``PT30S``, ``PT24H``, ``P2D``, ``P1W``, ``P1DT12H``). Years and months are rejected because
their length depends on the calendar. Instants are written as ISO 8601 UTC with a ``Z``.

Pure functions (no clock, no I/O): orchestrators use them during replay.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P"
    r"(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_CALENDAR_UNITS = re.compile(r"^[-+]?P(?:\d+Y)|^[-+]?P(?:[^T]*\d+M)")
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration of fixed-length units; raise ``ValueError`` with a reason.

    The sign is kept (``-PT1H`` is a negative timedelta): range checks belong to the caller.
    """
    value = text.strip()
    if _CALENDAR_UNITS.match(value):
        raise ValueError("years and months have no fixed length; use days or weeks (e.g. P30D)")
    match = _DURATION.match(value)
    if match is None or all(match[unit] is None for unit in _UNITS):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT30S, PT24H or P2D")
    parts = match.groupdict()
    try:
        amount = timedelta(
            weeks=int(parts["weeks"] or 0),
            days=int(parts["days"] or 0),
            hours=int(parts["hours"] or 0),
            minutes=int(parts["minutes"] or 0),
            seconds=float((parts["seconds"] or "0").replace(",", ".")),
        )
    except OverflowError as err:
        raise ValueError(f"{text!r} is too long") from err
    return -amount if parts["sign"] == "-" else amount


def format_duration(amount: timedelta) -> str:
    """The canonical ISO 8601 form of a non-negative duration: ``P2D``, ``PT30S``, ``P1DT12H``."""
    if amount.total_seconds() < 0:
        raise ValueError("negative durations have no canonical form here")
    days, rest = divmod(amount, timedelta(days=1))
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes, rest = divmod(rest, timedelta(minutes=1))
    seconds = f"{rest.total_seconds():.6f}".rstrip("0").rstrip(".")
    date_part = f"{days}D" if days else ""
    time_part = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds != "0" else "")
    )
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive value is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, e.g. ``2026-01-01T09:30:00Z``."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """Inverse of :func:`format_instant`."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
