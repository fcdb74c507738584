""".NET ``TimeSpan.TryParse`` for TimeSpan timer schedules (ext ``ConstantSchedule``).

Accepted forms (learn.microsoft.com, "System.TimeSpan.Parse"): ``d`` (a bare integer is DAYS:
``"14"`` is 14 days), ``hh:mm``, ``hh:mm:ss``, ``d.hh:mm[:ss]``, ``d:hh:mm:ss``, each with an
optional ``.fffffff`` fraction of seconds and a leading ``-``. Three colon parts whose first is
above 23 read as ``d:hh:mm``, so ``"24:00:00"`` is 24 days, not 24 hours: a documented .NET trap
that the Functions docs' own table gets wrong, reproduced here.
"""

from __future__ import annotations

import re
from datetime import timedelta

_FRACTION = re.compile(r"^(\d+)\.(\d{1,7})$")


def _number(text: str, limit: int | None) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(text)
    value = int(text)
    if limit is not None and value > limit:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    match = _FRACTION.match(text)
    if match:
        return _number(match[1], 59) + int(match[2].ljust(7, "0")) / 10_000_000
    return _number(text, 59)


def parse_timespan(text: str) -> timedelta | None:
    """The interval ``text`` denotes, or None when .NET would not parse it."""
    body = text.strip()
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    try:
        days = 0
        parts = body.split(":")
        if len(parts) == 1:
            days = _number(parts[0], None)
            hours = minutes = 0
            seconds = 0.0
        else:
            head = parts[0]
            if "." in head and len(parts) in (2, 3):
                day_text, _, head = head.partition(".")
                days = _number(day_text, None)
            if len(parts) == 4:
                days = _number(head, None)
                hours, minutes, seconds = _number(parts[1], 23), _number(parts[2], 59), _seconds(parts[3])
            elif len(parts) == 3 and _number(head, None) > 23 and "." not in parts[0]:
                days, hours, minutes, seconds = _number(head, None), _number(parts[1], 23), _number(parts[2], 59), 0.0
            elif len(parts) == 3:
                hours, minutes, seconds = _number(head, 23), _number(parts[1], 59), _seconds(parts[2])
            elif len(parts) == 2:
                hours, minutes, seconds = _number(head, 23), _number(parts[1], 59), 0.0
            else:
                return None
    except ValueError:
        return None
    span = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -span if negative else span
