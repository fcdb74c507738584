"""FUNCTIONS_WORKER_PROCESS_COUNT read as the Functions host reads it, and --workers on the CLI.

host ``RpcWorkerConfigFactory.GetWorkerProcessCount``: ``int.Parse`` of the variable, values up
to 1 become 1, above ``MaxProcessCount`` (10) an ``ArgumentException``; either exception leaves
the host without a Python worker, so the local host refuses to start.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from durable_local.errors import AppLoadError
from durable_local.workers import check_worker_count, worker_count_from_settings
from tests.cli.running_host import RunningHost

APP = Path(__file__).parent / "apps" / "processes"


@pytest.mark.parametrize(
    ("value", "count"),
    [(None, 1), ("", 1), ("1", 1), ("0", 1), ("-3", 1), ("2", 2), (" 4 ", 4), ("+3", 3), ("10", 10)],
)
def test_the_setting_gives_the_hosts_process_count(value: str | None, count: int) -> None:
    environ = {} if value is None else {"FUNCTIONS_WORKER_PROCESS_COUNT": value}
    assert worker_count_from_settings(environ) == count


@pytest.mark.parametrize("value", ["11", "100"])
def test_a_count_above_ten_is_refused_with_the_hosts_reason(value: str) -> None:
    with pytest.raises(AppLoadError, match=r"ProcessCount must not be greater than MaxProcessCount \(10\)"):
        worker_count_from_settings({"FUNCTIONS_WORKER_PROCESS_COUNT": value})


@pytest.mark.parametrize("value", ["two", "2.0", "1_0", "0x2"])
def test_a_count_that_is_not_a_whole_number_is_refused(value: str) -> None:
    with pytest.raises(AppLoadError, match="not a whole number"):
        worker_count_from_settings({"FUNCTIONS_WORKER_PROCESS_COUNT": value})


def test_workers_zero_is_the_local_hosts_in_process_mode_and_eleven_is_refused() -> None:
    assert check_worker_count(0) == 0
    with pytest.raises(AppLoadError, match="--workers must be from 0"):
        check_worker_count(11)


def _count(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/api/count") as reply:
        return json.loads(reply.read())


def test_the_cli_starts_one_worker_process_by_default(tmp_path: Path) -> None:
    host = RunningHost(tmp_path / "state.sqlite", app=APP)
    try:
        host.wait_ready()
        banner = host.wait_for_line("Workers: ")
        served = _count(host.url)
    finally:
        assert host.stop() == 0
    assert f"Workers: worker 1 (pid {served['pid']})" in banner
    # The function list names entity functions too, as func start lists every function.
    assert "        tally: entityTrigger" in host.output
    assert served["pid"] != host.process.pid
    assert f"[worker 1 pid {served['pid']}] Worker process started and initialized." in host.output


def test_the_cli_reads_the_app_setting_and_workers_zero_runs_in_the_hosts_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", "2")
    two = RunningHost(tmp_path / "two.sqlite", app=APP)
    zero = RunningHost(tmp_path / "zero.sqlite", "--workers", "0", app=APP)
    try:
        two.wait_ready()
        zero.wait_ready()
        pids = {_count(two.url)["pid"], _count(two.url)["pid"]}
        in_process = _count(zero.url)
    finally:
        assert two.stop() == 0
        assert zero.stop() == 0
    assert len(pids) == 2 and two.process.pid not in pids
    assert "Workers: worker 1 (pid" in two.output and ", worker 2 (pid" in two.output
    assert in_process["pid"] == zero.process.pid
    assert "Workers: in process" in zero.output


def test_the_cli_refuses_a_setting_the_host_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", "11")
    host = RunningHost(tmp_path / "state.sqlite", app=APP)
    host.process.wait(60)
    assert host.stop() != 0
    assert "ProcessCount must not be greater than MaxProcessCount (10)" in host.output
    assert "Press Ctrl+C to stop." not in host.output
