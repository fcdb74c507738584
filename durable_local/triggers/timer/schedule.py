"""Timer schedules: NCRONTAB or TimeSpan, in a time zone (ext ``TimerSchedule.Create``).

The schedule string is tried as NCRONTAB first (five or six fields), then as a .NET TimeSpan;
neither gives the extension's error ``The schedule expression '...' was not recognized as a valid
cron expression or timespan string.`` (ext ``TimerSchedule.Create``).

Time zone (ext ``TimerListener``/``CronSchedule`` use ``TimeZoneInfo.Local``): under ``func start``
schedules follow the developer machine's zone; on Azure the default is UTC and the app setting
``WEBSITE_TIME_ZONE`` (a tz database name on Linux) changes the process zone. The local host uses
``WEBSITE_TIME_ZONE`` when set, else the machine's zone (``TZ``, then ``/etc/localtime``), else
UTC. Cron occurrences are computed on wall-clock time in that zone: a time skipped by a spring
DST change runs after the gap; in a repeated autumn hour the first occurrence of each wall time
runs (the extension's ``TryAdjustAmbiguousTime`` does the same for point-in-time schedules).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .ncrontab import CronExpression, CronSyntaxError
from .timespan import parse_timespan

ONE_MINUTE = timedelta(minutes=1)


def timer_time_zone(website_time_zone: str | None) -> tzinfo:
    """The zone schedules run in (see the module docstring); ValueError for an unknown name."""
    if website_time_zone:
        try:
            return ZoneInfo(website_time_zone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(
                f"WEBSITE_TIME_ZONE '{website_time_zone}' is not a time zone name the local host knows: use a tz "
                "database name such as 'Europe/Paris' or 'America/New_York' (Windows names work only on Windows plans)."
            ) from err
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    localtime = Path("/etc/localtime")
    if localtime.exists():
        try:
            with localtime.open("rb") as source:
                return ZoneInfo.from_file(source, key="localtime")
        except (OSError, ValueError):
            pass
    return UTC


@dataclass(frozen=True)
class TimerSchedule:
    """One parsed schedule: exactly one of ``cron`` and ``interval`` is set."""

    expression: str
    zone: tzinfo
    cron: CronExpression | None = None
    interval: timedelta | None = None

    @classmethod
    def parse(cls, expression: str, zone: tzinfo = UTC) -> TimerSchedule:
        """Raise ValueError with the extension's wording when neither form parses."""
        try:
            return cls(expression, zone, cron=CronExpression.parse(expression))
        except CronSyntaxError:
            pass
        interval = parse_timespan(expression)
        if interval is None:
            raise ValueError(
                f"The schedule expression '{expression}' was not recognized as a valid cron expression or timespan string."
            )
        if interval <= timedelta(0):
            # The extension would accept it and fire in a tight loop; nobody means that.
            raise ValueError(
                f"The schedule expression '{expression}' is a TimeSpan of {interval}: the interval must be positive."
            )
        return cls(expression, zone, interval=interval)

    def describe(self) -> str:
        """As the extension logs it: ``Cron: '0 0 9 * * *'`` or ``Constant: 00:05:00``."""
        if self.cron is not None:
            return f"Cron: '{self.cron.expanded()}'"
        return f"Constant: {_format_timespan(self.interval or timedelta(0))}"

    @property
    def adjust_for_dst(self) -> bool:
        """The obsolete ``Schedule.AdjustForDST`` the host serializes: true for cron, false for TimeSpan."""
        return self.cron is not None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (aware), as aware UTC; None if there is none."""
        if self.interval is not None:
            return (moment + self.interval).astimezone(UTC)
        assert self.cron is not None
        wall = moment.astimezone(self.zone).replace(tzinfo=None)
        for _ in range(1000):  # a few extra rounds only around DST changes
            candidate = self.cron.next_after(wall)
            if candidate is None:
                return None
            for fold in (0, 1):
                instant = candidate.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
                if instant > moment:
                    return instant
            wall = candidate
        return None

    def default_use_monitor(self, now: datetime) -> bool:
        """ext ``TimerSchedule.ShouldDisableScheduleMonitor``: off for schedules firing more than once a minute."""
        if self.interval is not None:
            return self.interval >= ONE_MINUTE
        assert self.cron is not None
        cron = self.cron
        every_minute_or_more = all(
            field == full
            for field, full in (
                (cron.minutes, tuple(range(60))),
                (cron.hours, tuple(range(24))),
                (cron.days, tuple(range(1, 32))),
                (cron.months, tuple(range(1, 13))),
                (cron.days_of_week, tuple(range(7))),
            )
        )
        if not every_minute_or_more:
            return True
        wall = now.astimezone(self.zone).replace(tzinfo=None)
        return not cron.occurs_more_than_once_within(wall, ONE_MINUTE)


def _format_timespan(span: timedelta) -> str:
    """.NET ``TimeSpan.ToString()``: ``[-][d.]hh:mm:ss[.fffffff]``."""
    sign = "-" if span < timedelta(0) else ""
    span = abs(span)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if span.days:
        text = f"{span.days}.{text}"
    if span.microseconds:
        text += f".{span.microseconds * 10:07d}"
    return sign + text
