"""NCRONTAB expressions as the Functions timer trigger reads them (NCrontab 3.3.3, ``ncrontab.signed``).

Written here because no maintained PyPI package implements this dialect: croniter (7.0.0) reads a
sixth field as seconds *last* unless told otherwise and ORs day-of-month with day-of-week (Vixie
cron); cronsim, crontab, python-crontab, pycron and cron-converter are Unix-cron parsers too. The
NCrontab rules reproduced here (ncrontab ``CrontabSchedule.cs``, ``CrontabField.cs``,
``CrontabFieldImpl.cs`` at v3.3.3):

* six fields ``second minute hour day month day-of-week`` (the timer extension also accepts five,
  minutes first, seconds 0: ext ``CronSchedule.CreateParseOptions``); tokens are split on spaces
  only, several spaces allowed;
* per field, in this order: a list ``a,b`` (only when the first comma is not the first
  character), a step ``x/n`` (``*/n``, ``a-b/n``, and ``a/n`` meaning ``a..max``; ``n < 1`` is 1),
  ``*``, a range ``a-b`` (reversed ranges are swapped), a single value;
* values are numbers or, in the month and day-of-week fields only, English names matched by
  case-insensitive prefix, first match wins (``Mon``, ``jan``; ``M`` is Monday or March);
  day-of-week is 0-6 with Sunday 0 (7 is out of range); ``?``, ``L``, ``W``, ``#`` fail;
* day-of-month and day-of-week must BOTH match (NCrontab checks the weekday after choosing the
  date), unlike Vixie cron's OR; days 29-31 are skipped in shorter months;
* :meth:`CronExpression.next_after` is strictly after its base.

Times here are naive wall-clock times; :mod:`.schedule` applies the time zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@dataclass(frozen=True)
class _Kind:
    name: str
    low: int
    high: int
    names: tuple[str, ...] | None = None


SECOND = _Kind("Second", 0, 59)
MINUTE = _Kind("Minute", 0, 59)
HOUR = _Kind("Hour", 0, 23)
DAY = _Kind("Day", 1, 31)
MONTH = _Kind("Month", 1, 12, _MONTHS)
DAY_OF_WEEK = _Kind("DayOfWeek", 0, 6, _DAYS)
_KINDS = (SECOND, MINUTE, HOUR, DAY, MONTH, DAY_OF_WEEK)


class CronSyntaxError(ValueError):
    """The expression is not valid NCRONTAB (messages follow NCrontab's ``CrontabException`` texts)."""


def _parse_int(text: str) -> int:
    # .NET int.Parse(InvariantCulture): optional sign, digits, surrounding white space.
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    if not body or not body.isascii() or not body.isdigit():
        raise CronSyntaxError(f"'{text}' is not a number")
    return int(stripped)


def _value(kind: _Kind, text: str) -> int:
    if not text:
        raise CronSyntaxError("A crontab field value cannot be empty.")
    if "0" <= text[0] <= "9":
        return _parse_int(text)
    if kind.names is None:
        raise CronSyntaxError(
            f"'{text}' is not a valid [{kind.name}] crontab field value. It must be a numeric value between "
            f"{kind.low} and {kind.high} (all inclusive)."
        )
    for index, name in enumerate(kind.names):
        if name.lower().startswith(text.lower()):
            return kind.low + index
    raise CronSyntaxError(f"'{text}' is not a known value name. Use one of the following: {', '.join(kind.names)}.")


def _accumulate(kind: _Kind, values: set[int], start: int | None, end: int | None, step: int) -> None:
    """``CrontabField.Accumulate``: None for ``*``."""
    if start is None or end is None:
        start, end = kind.low, kind.high
    elif start == end:
        if not kind.low <= start <= kind.high:
            raise CronSyntaxError(
                f"{start} is outside the [{kind.name}] field. Value must be between {kind.low} and {kind.high} (all inclusive)."
            )
    else:
        start, end = min(start, end), max(start, end)
        if start < kind.low or end > kind.high:
            raise CronSyntaxError(
                f"{start}-{end} is outside the [{kind.name}] field. Values must be between {kind.low} and "
                f"{kind.high} (all inclusive)."
            )
    values.update(range(start, end + 1, max(1, step)))


def _parse_part(kind: _Kind, text: str, values: set[int]) -> None:
    """``CrontabFieldImpl.InternalParse``."""
    if not text:
        raise CronSyntaxError("A crontab field value cannot be empty.")
    if text.find(",") > 0:
        for item in text.split(","):
            _parse_part(kind, item, values)
        return
    step: int | None = None
    slash = text.find("/")
    if slash > 0:
        step = _parse_int(text[slash + 1 :])
        text = text[:slash]
    if text == "*":
        _accumulate(kind, values, None, None, step or 1)
        return
    dash = text.find("-")
    if dash > 0:
        _accumulate(kind, values, _value(kind, text[:dash]), _value(kind, text[dash + 1 :]), step or 1)
        return
    single = _value(kind, text)
    if step is None:
        _accumulate(kind, values, single, single, 1)
    else:
        _accumulate(kind, values, single, kind.high, step)


def _parse_field(kind: _Kind, text: str) -> tuple[int, ...]:
    values: set[int] = set()
    try:
        _parse_part(kind, text, values)
    except CronSyntaxError as err:
        raise CronSyntaxError(f"'{text}' is not a valid [{kind.name}] crontab field expression. {err}") from err
    return tuple(sorted(values))


def _format_field(kind: _Kind, values: tuple[int, ...]) -> str:
    """``CrontabFieldImpl.Format`` with numbers: ``*`` for the full range, else runs as ``a-b``."""
    if values == tuple(range(kind.low, kind.high + 1)):
        return "*"
    runs: list[str] = []
    index = 0
    while index < len(values):
        first = last = values[index]
        while index + 1 < len(values) and values[index + 1] == last + 1:
            index += 1
            last = values[index]
        runs.append(str(first) if first == last else f"{first}-{last}")
        index += 1
    return ",".join(runs)


@dataclass(frozen=True)
class CronExpression:
    """A parsed NCRONTAB schedule; each field is its sorted set of values."""

    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    days_of_week: tuple[int, ...]
    #: False for a five-field expression (NCrontab then has no seconds field)
    has_seconds: bool = True

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Five or six fields (the timer extension's ``IncludingSeconds = tokens != 5``)."""
        tokens = [t for t in text.split(" ") if t]
        if len(tokens) == 5:
            minutes, hours, days, months, weekdays = (_parse_field(k, t) for k, t in zip(_KINDS[1:], tokens, strict=True))
            return cls((0,), minutes, hours, days, months, weekdays, has_seconds=False)
        if len(tokens) != 6:
            raise CronSyntaxError(
                f"'{text}' is an invalid crontab expression. It must contain 6 components of a schedule in the "
                "sequence of seconds, minutes, hours, days, months, and days of week."
            )
        seconds, minutes, hours, days, months, weekdays = (_parse_field(k, t) for k, t in zip(_KINDS, tokens, strict=True))
        return cls(seconds, minutes, hours, days, months, weekdays)

    def expanded(self) -> str:
        """NCrontab's ``ToString()``: the expanded form the extension logs (``0 0 9 * * *``)."""
        parts = [self.seconds] if self.has_seconds else []
        parts += [self.minutes, self.hours, self.days, self.months, self.days_of_week]
        kinds = _KINDS if self.has_seconds else _KINDS[1:]
        return " ".join(_format_field(k, v) for k, v in zip(kinds, parts, strict=True))

    def _matches_date(self, day: date) -> bool:
        # .NET DayOfWeek: Sunday = 0; Python's weekday(): Monday = 0.
        return day.month in self.months and day.day in self.days and (day.weekday() + 1) % 7 in self.days_of_week

    def _first_time_after(self, after: time | None) -> time | None:
        """The earliest time of day in the schedule strictly after ``after`` (None: any time)."""
        for hour in self.hours:
            if after is not None and hour < after.hour:
                continue
            for minute in self.minutes:
                if after is not None and (hour, minute) < (after.hour, after.minute):
                    continue
                for second in self.seconds:
                    candidate = time(hour, minute, second)
                    if after is None or candidate > after.replace(microsecond=0):
                        return candidate
        return None

    def next_after(self, base: datetime) -> datetime | None:
        """The first occurrence strictly after naive ``base``, or None if there is none before year 10000."""
        day = base.date()
        found = self._first_time_after(base.time()) if self._matches_date(day) else None
        if found is not None:
            return datetime.combine(day, found)
        first = self._first_time_after(None)
        assert first is not None  # every field holds at least one value
        year, month = day.year, day.month
        start_day = day.day + 1
        while year <= 9999:
            if month in self.months:
                last = calendar.monthrange(year, month)[1]
                for number in self.days:
                    if number < start_day or number > last:
                        continue
                    candidate = date(year, month, number)
                    if self._matches_date(candidate):
                        return datetime.combine(candidate, first)
            month += 1
            start_day = 1
            if month > 12:
                month, year = 1, year + 1
        return None

    def next_occurrences(self, base: datetime, count: int) -> list[datetime]:
        result: list[datetime] = []
        current: datetime | None = base
        while current is not None and len(result) < count:
            current = self.next_after(current)
            if current is not None:
                result.append(current)
        return result

    def occurs_more_than_once_within(self, base: datetime, window: timedelta) -> bool:
        """True when two occurrences fall within ``window`` after ``base`` (the use-monitor rule)."""
        first = self.next_after(base)
        second = self.next_after(first) if first is not None else None
        return second is not None and second - base <= window
