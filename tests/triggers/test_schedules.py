"""Timer schedules: the NCRONTAB dialect, .NET TimeSpans, time zones and the use-monitor rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from durable_local.triggers.timer.ncrontab import CronExpression, CronSyntaxError
from durable_local.triggers.timer.schedule import TimerSchedule, timer_time_zone
from durable_local.triggers.timer.timespan import parse_timespan


def _next(expression: str, base: datetime, count: int = 3) -> list[datetime]:
    return CronExpression.parse(expression).next_occurrences(base, count)


def test_six_fields_start_with_seconds_and_the_next_occurrence_is_strictly_after_the_base() -> None:
    assert _next("0 0 9 * * *", datetime(2026, 1, 1, 9, 0)) == [
        datetime(2026, 1, 2, 9),
        datetime(2026, 1, 3, 9),
        datetime(2026, 1, 4, 9),
    ]
    assert _next("*/20 * * * * *", datetime(2026, 1, 1, 0, 0, 0, 500_000)) == [
        datetime(2026, 1, 1, 0, 0, 20),
        datetime(2026, 1, 1, 0, 0, 40),
        datetime(2026, 1, 1, 0, 1, 0),
    ]


def test_five_fields_start_with_minutes() -> None:
    expression = CronExpression.parse("30 9 * * *")
    assert expression.next_after(datetime(2026, 1, 1)) == datetime(2026, 1, 1, 9, 30)
    assert expression.expanded() == "30 9 * * *"


def test_day_of_month_and_day_of_week_must_both_match_unlike_vixie_cron() -> None:
    # Friday the 13th only; Vixie cron would fire on every 13th and every Friday.
    assert _next("0 0 0 13 * Fri", datetime(2026, 1, 1)) == [
        datetime(2026, 2, 13),
        datetime(2026, 3, 13),
        datetime(2026, 11, 13),
    ]


def test_days_beyond_a_months_length_are_skipped() -> None:
    assert _next("0 0 0 31 * *", datetime(2026, 1, 31)) == [
        datetime(2026, 3, 31),
        datetime(2026, 5, 31),
        datetime(2026, 7, 31),
    ]


def test_names_match_by_case_insensitive_prefix_in_month_and_weekday_fields_only() -> None:
    assert CronExpression.parse("0 30 9 * JANUARY mon").expanded() == "0 30 9 * 1 1"
    assert CronExpression.parse("0 0 0 * M M").months == (3,)  # M is March (first match) ...
    assert CronExpression.parse("0 0 0 * M M").days_of_week == (1,)  # ... and Monday
    with pytest.raises(CronSyntaxError, match=r"not a valid \[Hour\] crontab field"):
        CronExpression.parse("0 0 Mon * * *")


def test_steps_ranges_and_lists_follow_ncrontab() -> None:
    parsed = CronExpression.parse("5/20 10-20/5 5-2 1,15 */6 *")
    assert parsed.seconds == (5, 25, 45)  # a/n runs from a to the maximum
    assert parsed.minutes == (10, 15, 20)
    assert parsed.hours == (2, 3, 4, 5)  # a reversed range is swapped
    assert parsed.days == (1, 15)
    assert parsed.months == (1, 7)


@pytest.mark.parametrize(
    "expression",
    ["0 0 9 * * 7", "0 0 9 ? * *", "0 0 9 L * *", "0 0 9 * * 1#2", "0 0 24 * * *", "0 0 9 * *  * *", "0 0 9"],
)
def test_unsupported_or_out_of_range_cron_is_rejected(expression: str) -> None:
    with pytest.raises(CronSyntaxError):
        CronExpression.parse(expression)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:05:00", timedelta(minutes=5)),
        ("1.00:00:00", timedelta(days=1)),
        ("0.12:00", timedelta(hours=12)),
        ("14", timedelta(days=14)),  # a bare integer is days
        ("24:00:00", timedelta(days=24)),  # the .NET trap: d:hh:mm, not 24 hours
        ("00:00:01.5", timedelta(seconds=1.5)),
        ("2:03:04:05", timedelta(days=2, hours=3, minutes=4, seconds=5)),
        ("25:00", None),
        ("every day", None),
    ],
)
def test_timespans_parse_as_dotnet_does(text: str, expected: timedelta | None) -> None:
    assert parse_timespan(text) == expected


def test_a_schedule_that_is_neither_cron_nor_timespan_gets_the_extensions_message() -> None:
    with pytest.raises(ValueError, match=r"^The schedule expression 'every day' was not recognized as a valid cron"):
        TimerSchedule.parse("every day")


def test_schedules_follow_the_wall_clock_of_their_time_zone_across_dst() -> None:
    paris = ZoneInfo("Europe/Paris")
    nine = TimerSchedule.parse("0 0 9 * * *", paris)
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC after the March change.
    assert nine.next_after(datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert nine.next_after(datetime(2026, 3, 27, 12, tzinfo=UTC)) == datetime(2026, 3, 28, 8, tzinfo=UTC)
    # 02:30 does not exist on 29 March in Paris: it runs after the gap, at 03:30 local.
    skipped = TimerSchedule.parse("0 30 2 * * *", paris).next_after(datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert skipped is not None and skipped.astimezone(paris).hour == 3


def test_timespan_schedules_add_the_interval_to_now() -> None:
    every_five = TimerSchedule.parse("00:05:00")
    assert every_five.next_after(datetime(2026, 1, 1, tzinfo=UTC)) == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert every_five.describe() == "Constant: 00:05:00"
    assert TimerSchedule.parse("0 0 9 * * Mon").describe() == "Cron: '0 0 9 * * 1'"


def test_the_monitor_is_off_by_default_only_for_schedules_firing_more_than_once_a_minute() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert TimerSchedule.parse("*/10 * * * * *").default_use_monitor(now) is False
    assert TimerSchedule.parse("0 * * * * *").default_use_monitor(now) is True
    assert TimerSchedule.parse("0 0 9 * * *").default_use_monitor(now) is True
    assert TimerSchedule.parse("00:00:30").default_use_monitor(now) is False
    assert TimerSchedule.parse("00:01:00").default_use_monitor(now) is True


def test_website_time_zone_selects_the_zone_and_an_unknown_name_is_explained() -> None:
    assert timer_time_zone("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    with pytest.raises(ValueError, match="tz database name"):
        timer_time_zone("Eastern Standard Time")
