"""Timer triggers run on the host clock: auto-skip and manual time, past-due and run-on-startup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from durable_local.testing import AutoSkipClock, ManualClock, run_host
from tests.triggers.conftest import APPS, input_of, instances_of, wait_for_instances

APP = APPS / "timers"


@pytest.fixture(autouse=True)
def schedule_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORT_SCHEDULE", "0 0 9 * * *")  # the schedule comes from %REPORT_SCHEDULE%
    monkeypatch.setenv("WEBSITE_TIME_ZONE", "UTC")


async def test_a_daily_nine_oclock_timer_starts_one_orchestration_on_each_of_three_virtual_days() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    async with run_host(APP, clock=AutoSkipClock(start)) as host:
        reports = await wait_for_instances(host, "compile_report", 4)  # the start-up probe + 3 days
    daily = [i for i in reports if not input_of(i).get("probe")][:3]
    assert [(i.created_at.date(), i.created_at.hour, i.created_at.minute) for i in daily] == [
        (datetime(2026, 3, day).date(), 9, 0) for day in (1, 2, 3)
    ]
    assert all(i.runtime_status == "Completed" for i in daily)
    assert all(input_of(i)["pastDue"] is False for i in daily)
    # one start per day: the fourth daily report (if any yet) belongs to 4 March or later
    later = [i for i in reports if not input_of(i).get("probe")][3:]
    assert all(i.created_at >= datetime(2026, 3, 4, 9, tzinfo=UTC) for i in later)


async def test_a_manual_clock_fires_the_schedule_only_when_time_passes_an_occurrence() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    async with run_host(APP, clock=clock) as host:
        await host.idle()
        assert [input_of(i)["probe"] for i in await instances_of(host, "compile_report")] == [True]  # run on start-up
        await host.advance(timedelta(minutes=59))
        assert len(await instances_of(host, "compile_report")) == 1
        await host.advance(timedelta(minutes=2))
        reports = await wait_for_instances(host, "compile_report", 2)
    assert reports[1].created_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_missed_occurrences_run_once_as_past_due_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    async with run_host(APP, clock=ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC)), state=state) as host:
        await host.advance(timedelta(hours=2))
        await wait_for_instances(host, "compile_report", 2)
    # Down for three days: the 2, 3 and 4 March occurrences are missed.
    async with run_host(APP, clock=ManualClock(datetime(2026, 3, 4, 12, 0, tzinfo=UTC)), state=state) as host:
        await host.idle()
        await host.advance(timedelta(days=1))
        reports = await wait_for_instances(host, "compile_report", 5)
    daily = [input_of(i) for i in reports if not input_of(i).get("probe")]
    assert [d["pastDue"] for d in daily] == [False, True, False]
    # the past-due run sees the status saved by the first host: last run 1 March 09:00
    assert daily[1]["last"].startswith("2026-03-01T09:00:00")
    probes = [i for i in reports if input_of(i).get("probe")]
    assert len(probes) == 2  # run_on_startup: once per start, never past due (its monitor is off)


async def test_an_invalid_schedule_refuses_start_up_with_the_extensions_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from durable_local.errors import AppLoadError

    monkeypatch.setenv("REPORT_SCHEDULE", "every day at nine")
    with pytest.raises(AppLoadError) as caught:
        async with run_host(APP):
            pass
    message = str(caught.value)
    assert "The 'daily_report' function is in error" in message
    assert "The schedule expression 'every day at nine' was not recognized as a valid cron expression or timespan string." in message


async def test_an_unset_schedule_setting_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from durable_local.errors import MissingSettingError

    monkeypatch.delenv("REPORT_SCHEDULE")
    with pytest.raises(MissingSettingError, match=r"'%REPORT_SCHEDULE%' does not resolve to a value\."):
        async with run_host(APP):
            pass


async def test_a_status_saved_under_a_clock_ahead_of_now_is_reset_instead_of_disabling_the_timer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    state = tmp_path / "state.sqlite"
    # A host on a clock skipped to 2037 saves Next = 2 January 2037.
    async with run_host(APP, clock=ManualClock(datetime(2037, 1, 1, 8, 0, tzinfo=UTC)), state=state) as host:
        await host.advance(timedelta(hours=2))
        await wait_for_instances(host, "compile_report", 2)
    # Restarted on today's clock: the timer must fire today, not in 2037.
    with caplog.at_level(logging.WARNING, logger="durable_local"):
        async with run_host(APP, clock=ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC)), state=state) as host:
            await host.idle()
            await host.advance(timedelta(hours=2))
            reports = await wait_for_instances(host, "compile_report", 4, timeout=10)
    today = [i for i in reports if i.created_at.year == 2026 and not input_of(i).get("probe")]
    assert [(i.created_at, input_of(i)["pastDue"]) for i in today] == [(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), False)]
    assert "Function 'daily_report': the saved timer status is ahead of the clock" in caplog.text


async def test_a_timer_argument_that_cannot_be_decoded_is_logged_and_the_schedule_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from durable_local.triggers.timer import listener

    def undecodable(*args: object, **kwargs: object) -> object:
        raise ValueError("not a TimerInfo")

    monkeypatch.setattr(listener, "decode_argument", undecodable)
    with caplog.at_level(logging.ERROR, logger="durable_local"):
        async with run_host(APP, clock=ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))) as host:
            await host.idle()
            await host.advance(timedelta(days=1, hours=2))
            assert await instances_of(host, "compile_report") == []
            timers = [t for t in host.host.dispatcher.due_sources if isinstance(t, listener.TimerListener)]
            assert {t.function.name: t.invocations for t in timers} == {"daily_report": 2, "startup_probe": 1}
    assert "Function 'daily_report': the timer argument could not be decoded" in caplog.text
    assert "ValueError: not a TimerInfo" in caplog.text


async def test_an_auto_skip_clock_with_timer_triggers_is_warned_about_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="durable_local"):
        async with run_host(APP, clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC))):
            pass
        assert "auto-skip" not in caplog.text
        async with run_host(APP, clock=AutoSkipClock(datetime(2026, 3, 1, tzinfo=UTC))):
            pass
    [line] = [r.getMessage() for r in caplog.records if "auto-skip" in r.getMessage()]
    assert line.startswith(
        "The clock skips ahead when the host is idle (auto-skip) and the app has timer triggers (daily_report, startup_probe)"
    )
    assert "run back to back without end" in line
