"""Worker processes (``workers=N``): per-process module state, episodes on any worker, crashes and restarts.

Facts recorded here (azure-functions-host, see durable_local/workers/*.py for the sources):

* invocations go round-robin over the ready workers, whatever their kind or instance
  (``RpcFunctionInvocationDispatcherLoadBalancer``), so consecutive HTTP calls alternate;
* each worker imports the app itself, so module globals are per process;
* a worker that exits fails what it was running with ``python exited with code 137 (0x89)``
  after a SIGKILL, the host logs ``Language Worker Process exited. Pid=...`` and starts a new one;
* the local host then runs an interrupted orchestrator episode, entity batch or activity again
  on a live worker (the extension's intended behaviour, see durable_local/workers/pool.py), at
  most three runs in all; an HTTP request is answered 500 and not run again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest

from durable_local.errors import AppLoadError
from durable_local.protocol import EventType
from durable_local.testing import AutoSkipClock, TestHost, run_host
from durable_local.workers import WorkerState
from tests.faults.conditions import wait_until

APPS = Path(__file__).parent / "apps"
APP = APPS / "processes"
LABEL = re.compile(r"^\[(?P<worker>worker \d+) pid (?P<pid>\d+)\] ")


async def get_json(host: TestHost, path: str) -> tuple[int, Any]:
    async with host.http.get(host.url(path)) as reply:
        text = await reply.text()
        return reply.status, (json.loads(text) if text else None)


async def run_to_end(host: TestHost, orchestrator: str, value: Any, instance_id: str) -> Any:
    await host.start(orchestrator, value, instance_id)
    status = await host.wait_for(instance_id, timeout=60)
    assert status.runtime_status == "Completed", status
    return json.loads(status.output or "null")


def labelled(caplog: pytest.LogCaptureFixture, text: str) -> list[tuple[str, int]]:
    """``(worker name, pid)`` of every relayed record whose message contains ``text``."""
    found = []
    for record in caplog.records:
        message = record.getMessage()
        match = LABEL.match(message)
        if match and text in message:
            found.append((match["worker"], int(match["pid"])))
    return found


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


async def test_module_globals_are_per_worker_process_and_calls_alternate_between_workers() -> None:
    async with run_host(APP, workers=2) as host:
        replies = [await get_json(host, "/api/count") for _ in range(4)]
        workers = host.host.worker_processes
    assert [status for status, _ in replies] == [200] * 4
    pids = [body["pid"] for _, body in replies]
    assert workers is not None and sorted(pids[:2]) == sorted(w.pid for w in workers)
    assert os.getpid() not in pids
    # Round-robin: the calls alternate, and each process counts only its own calls.
    assert pids[0] != pids[1] and pids[2:] == pids[:2]
    assert [body["calls"] for _, body in replies] == [1, 1, 2, 2]


async def test_the_test_api_runs_the_app_in_the_tests_own_process_by_default() -> None:
    async with run_host(APP) as host:
        replies = [await get_json(host, "/api/count") for _ in range(3)]
        assert host.host.worker_processes is None
    assert [body["pid"] for _, body in replies] == [os.getpid()] * 3
    assert [body["calls"] for _, body in replies] == [1, 2, 3]


async def test_an_orchestrations_episodes_run_on_several_workers_with_the_in_process_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    results = {}
    for workers in (2, 0):
        async with run_host(APP, clock=AutoSkipClock(), workers=workers) as host:
            output = await run_to_end(host, "hops", None, f"hops-{workers}")
            history = await host.history(f"hops-{workers}")
            results[workers] = (output, [EventType(e["EventType"]).name for e in history])
    assert results[2] == results[0]
    assert results[2][0] == [0, 2, 4]
    served_by = labelled(caplog, "hops episode in pid")
    assert len(served_by) == 7, "one line per episode: the start, three activity results, three timers"
    assert {worker for worker, _ in served_by} == {"worker 1", "worker 2"}


async def test_output_and_log_records_of_a_worker_name_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with run_host(APP, workers=1) as host:
        assert await run_to_end(host, "call_one", ["double", 3], "double-3") == 6
        (worker,) = host.host.worker_processes or []
    printed = [r for r in caplog.records if r.name == "durable_local.worker" and r.getMessage().endswith("doubling 3")]
    assert [r.getMessage() for r in printed] == [f"[worker 1 pid {worker.pid}] doubling 3"]
    logged = [r for r in caplog.records if r.getMessage().endswith(f"double(3) ran in pid {worker.pid}")]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING and logged[0].name == "root"
    assert messages(caplog, "Worker process started and initialized.") == [
        f"[worker 1 pid {worker.pid}] Worker process started and initialized."
    ]


async def test_a_worker_killed_mid_activity_is_restarted_and_the_activity_runs_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with run_host(APP, workers=2) as host:
        assert await run_to_end(host, "call_one", ["crash_once", str(tmp_path / "marker")], "crash-1") == "survived"
        pool = host.host.dispatcher.runner
        await pool.wait_ready()  # type: ignore[attr-defined]
        workers = host.host.worker_processes or []
    assert [w.state for w in workers] == [WorkerState.READY, WorkerState.READY]
    assert sorted(w.starts for w in workers) == [1, 2]
    assert len(messages(caplog, "Language Worker Process exited. Pid=")) == 1
    assert len(messages(caplog, "python exited with code 137 (0x89)")) >= 1
    assert len(messages(caplog, "running it again on a live worker (run 2 of at most 3)")) == 1


async def test_a_worker_killed_from_outside_while_an_activity_waits_runs_it_again(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    async with run_host(APP, workers=2) as host:
        await host.start("call_one", ["wait_to_be_killed", str(folder)], "killed-1")
        started = await wait_until(lambda: sorted(folder.iterdir()), timeout=30, what="the activity to start")
        victim = int(started[0].name.split("-")[1])
        os.kill(victim, signal.SIGKILL)
        status = await host.wait_for("killed-1", timeout=60)
        workers = host.host.worker_processes or []
    assert status.runtime_status == "Completed"
    assert json.loads(status.output or "null") == "run again after started"
    runs = sorted(int(p.name.split("-")[1]) for p in folder.iterdir())
    assert len(runs) == 2 and victim in runs
    assert victim not in [w.pid for w in workers]


async def test_a_worker_killed_mid_episode_runs_the_episode_again(tmp_path: Path) -> None:
    async with run_host(APP, workers=2) as host:
        assert await run_to_end(host, "crash_in_episode", str(tmp_path / "marker"), "episode-1") == 84
        history = await host.history("episode-1")
    assert (tmp_path / "marker").exists()
    scheduled = [e for e in history if e["EventType"] == EventType.TASK_SCHEDULED]
    assert len(scheduled) == 2, "the killed episode committed nothing; its re-run scheduled the second call once"


async def test_an_entity_batch_whose_worker_dies_runs_again_and_loses_no_operation(tmp_path: Path) -> None:
    async with run_host(APP, workers=2) as host:
        assert await run_to_end(host, "tally_flow", str(tmp_path / "marker"), "tally-1") == 3
        status, body = await get_json(host, "/runtime/webhooks/durabletask/entities/tally/tally-1")
    assert (tmp_path / "marker").exists()
    assert (status, body) == (200, 3)


async def test_an_activity_that_kills_every_worker_fails_after_three_runs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with run_host(APP, workers=2) as host:
        message = await run_to_end(host, "call_failing", ["always_crash", "x"], "always-1")
        await host.host.dispatcher.runner.wait_ready()  # type: ignore[attr-defined]
        workers = host.host.worker_processes or []
    assert message.startswith("Activity function 'always_crash' failed:  python exited with code 137 (0x89)")
    assert len(messages(caplog, "Language Worker Process exited. Pid=")) == 3
    assert sum(w.starts - 1 for w in workers) == 3
    assert all(w.state is WorkerState.READY for w in workers)


async def test_an_http_request_whose_worker_dies_gets_500_and_is_not_run_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with run_host(APP, workers=1) as host:
        async with host.http.post(host.url("/api/die")) as reply:
            status, body = reply.status, await reply.json()
        await host.host.dispatcher.runner.wait_ready()  # type: ignore[attr-defined]
        after, counted = await get_json(host, "/api/count")
    assert status == 500
    assert body["error"] == "WorkerProcessExitException: python exited with code 137 (0x89)"
    assert len(messages(caplog, "Language Worker Process exited. Pid=")) == 1
    assert (after, counted["calls"]) == (200, 1)


async def test_a_worker_that_cannot_import_the_app_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODY_MODE", "fail")
    with pytest.raises(AppLoadError, match="the settings this app needs exist only in the host's process") as caught:
        async with run_host(APPS / "moody", workers=2):
            pass
    assert "The app failed to load in worker" in str(caught.value)


async def test_a_worker_that_indexes_other_functions_than_the_host_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODY_MODE", "extra")
    with pytest.raises(AppLoadError, match=r"indexed other functions than the host: \['echo', 'only_in_workers'\]"):
        async with run_host(APPS / "moody", workers=1):
            pass


async def test_the_dashboard_info_reports_the_worker_processes() -> None:
    async with run_host(APP, workers=2) as host:
        status, info = await get_json(host, "/_dashboard/api/info")
        pids = [w.pid for w in host.host.worker_processes or []]
    async with run_host(APP) as host:
        _, in_process = await get_json(host, "/_dashboard/api/info")
    assert status == 200 and info["workers"] == 2
    assert [(w["name"], w["pid"], w["state"]) for w in info["workerProcesses"]] == [
        ("worker 1", pids[0], "ready"),
        ("worker 2", pids[1], "ready"),
    ]
    assert (in_process["workers"], in_process["workerProcesses"]) == (0, [])
