"""The CLI: `start` in a subprocess, and every `func durable` command against it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest

from durable_local.frontends.cli import main
from tests.cli.running_host import CLI_APP, REPO, RunningHost

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = RunningHost(tmp_path_factory.mktemp("cli") / "state.sqlite")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def cli(host: RunningHost, capsys: pytest.CaptureFixture[str]):
    """Run one CLI command in-process against the host; returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([argv[0], "--host-url", host.url, *argv[1:]])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_start_prints_functions_like_func_start(host):
    output = host.output
    assert "Functions:" in output
    assert f"        hello: [GET] {host.url}/api/hello/{{name}}" in output
    assert "        greet: orchestrationTrigger" in output
    assert "        say_hello: activityTrigger" in output
    assert f"Durable management API: {host.url}/runtime/webhooks/durabletask" in output
    assert "Task hub: CliHub" in output
    with urllib.request.urlopen(f"{host.url}/api/hello/cli") as response:
        assert response.read() == b"Hello cli"


def test_start_logs_invocations(host):
    with urllib.request.urlopen(f"{host.url}/api/hello/logs"):
        pass
    line = host.wait_for_line("Executing 'Functions.hello'")
    assert "(Reason='This function was programmatically called via the host APIs.', Id=" in line
    assert "(Succeeded, Id=" in host.wait_for_line("Executed 'Functions.hello'")


def test_start_new_and_wait_then_status_and_history(cli):
    code, out, _ = cli("start-new", "--function-name", "greet", "--id", "greet-1", "--input", '"Oslo"', "--wait", "20")
    assert code == 0, out
    assert "Hello Oslo" in out
    code, out, _ = cli("get-runtime-status", "--id", "greet-1", "--show-input", "--show-output")
    assert code == 0
    assert "Runtime status: Completed" in out
    # Stored as the Python client stores it: the JSON text of the input, shown as is.
    assert 'Input:          "Oslo"' in out
    assert "Output:         Hello Oslo" in out
    code, out, _ = cli("get-history", "--id", "greet-1")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[1] for line in lines] == ["ExecutionStarted", "TaskCompleted", "ExecutionCompleted"]
    assert "say_hello" in lines[1] and "Hello Oslo" in lines[1]


def test_start_new_reads_input_from_a_file(cli, tmp_path):
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"city": "Bergen"}))
    code, out, _ = cli(
        "start-new", "--function-name", "greet", "--id", "greet-file", "--input", f"@{data}", "--wait", "20"
    )
    assert code == 0
    assert "Bergen" in out


def test_event_suspend_resume_and_terminate(cli):
    code, out, _ = cli("start-new", "--function-name", "approval", "--id", "appr-1")
    assert code == 0
    assert "Started 'approval' with instance ID 'appr-1'." in out
    assert cli("suspend", "--id", "appr-1", "--reason", "lunch")[0] == 0
    code, out, _ = cli("get-runtime-status", "--id", "appr-1", "--wait", "0")
    assert code == 0
    assert cli("resume", "--id", "appr-1", "--reason", "back")[0] == 0
    code, out, _ = cli(
        "raise-event", "--id", "appr-1", "--event-name", "Approval", "--event-data", '{"approved": true}'
    )
    assert code == 0
    assert "Raised event 'Approval' to instance 'appr-1'." in out
    code, out, _ = cli("get-runtime-status", "--id", "appr-1", "--show-output", "--wait", "20", "--json")
    status = json.loads(out)
    assert status["runtimeStatus"] == "Completed"
    assert status["output"] == {"approved": True}

    assert cli("start-new", "--function-name", "approval", "--id", "appr-2")[0] == 0
    code, out, _ = cli("terminate", "--id", "appr-2", "--reason", "not needed")
    assert (code, out.strip()) == (0, "Terminated instance 'appr-2'.")
    code, out, _ = cli("get-runtime-status", "--id", "appr-2", "--show-output", "--wait", "20")
    assert "Runtime status: Terminated" in out
    assert "not needed" in out
    code, _, err = cli("raise-event", "--id", "appr-2", "--event-name", "Approval")
    assert code == 1
    assert "already Terminated" in err and "HTTP 410" in err


def test_unknown_instance_and_unknown_orchestrator_are_api_errors(cli):
    code, _, err = cli("get-runtime-status", "--id", "nobody")
    assert code == 1
    assert "No instance with ID 'nobody' was found. (HTTP 404)" in err
    code, _, err = cli("start-new", "--function-name", "no_such_orchestrator")
    assert code == 1
    assert "The function 'no_such_orchestrator' doesn't exist" in err


def test_rewind_of_a_failed_instance_is_accepted_and_of_a_finished_one_refused(cli):
    cli("start-new", "--function-name", "broken", "--id", "broken-1", "--wait", "20")
    code, out, _ = cli("get-runtime-status", "--id", "broken-1", "--show-output")
    assert "Runtime status: Failed" in out and "broken on purpose" in out
    code, out, _ = cli("rewind", "--id", "broken-1", "--reason", "fixed")
    assert (code, out.strip()) == (0, "Rewound instance 'broken-1'.")
    cli("start-new", "--function-name", "greet", "--id", "fine-1", "--input", '"x"', "--wait", "20")
    code, _, err = cli("rewind", "--id", "fine-1")
    assert code == 1 and 'only orchestrations in the "Failed" state can be rewound' in err


def test_get_instances_pages_with_the_continuation_token(cli):
    for n in range(3):
        assert (
            cli("start-new", "--function-name", "greet", "--id", f"page-{n}", "--input", '"p"', "--wait", "20")[0] == 0
        )
    seen, token, pages = [], None, 0
    while True:
        extra = ["--continuation-token", token] if token else []
        code, out, _ = cli("get-instances", "--runtime-status", "Completed", "--top", "2", "--json", *extra)
        assert code == 0
        page = json.loads(out)
        seen += [item["instanceId"] for item in page["instances"]]
        token = page["continuationToken"]
        pages += 1
        if not token:
            break
    assert {"page-0", "page-1", "page-2"} <= set(seen)
    assert pages >= 2
    code, out, _ = cli("get-instances", "--top", "1")
    assert "More instances: pass --continuation-token" in out


def test_bad_filter_values_are_reported(cli):
    code, _, err = cli("get-instances", "--runtime-status", "Sleeping")
    assert code == 1
    assert "Unknown runtimeStatus 'Sleeping'" in err


def test_purge_history_by_id_and_by_filter_then_delete_task_hub(cli):
    assert cli("start-new", "--function-name", "greet", "--id", "purge-1", "--input", '"x"', "--wait", "20")[0] == 0
    code, out, _ = cli("purge-history", "--id", "purge-1")
    assert (code, out.strip()) == (0, "Purged 1 instance(s).")
    code, _, err = cli("purge-history", "--id", "purge-1")
    assert code == 1 and "HTTP 404" in err
    code, out, _ = cli(
        "purge-history", "--created-after", "2000-01-01T00:00:00Z", "--runtime-status", "Terminated", "--json"
    )
    assert code == 0 and json.loads(out)["instancesDeleted"] >= 0
    code, out, _ = cli("delete-task-hub")
    assert (code, out.strip()) == (0, "Deleted task hub 'CliHub'.")
    code, out, _ = cli("get-instances")
    assert out.strip() == "No instances."


def test_unreachable_host_exits_1_with_a_hint(capsys):
    code = main(["get-instances", "--host-url", "http://127.0.0.1:9"])
    assert code == 1
    assert "is `python -m durable_local start` running?" in capsys.readouterr().err


def test_usage_errors_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "durable_local", "terminate"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "--id" in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_start_stops_cleanly_on_signal(tmp_path, signum):
    running = RunningHost(tmp_path / "state.sqlite", "--clock", "auto-skip")
    try:
        running.wait_ready()
    finally:
        code = running.stop(signum)
    assert code == 0, running.output
    assert "Stopped." in running.output


def test_start_reports_a_busy_port(host, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "durable_local",
            "start",
            "--app",
            str(CLI_APP),
            "--port",
            str(host.port),
            "--state",
            str(tmp_path / "state.sqlite"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{host.port}" in result.stderr


def test_start_refuses_a_directory_without_an_app(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "durable_local", "start", "--app", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Did not find either 'function_app.py' (V2) or 'function.json' files (V1)" in result.stderr


def test_start_explains_that_a_v1_model_app_is_not_supported(tmp_path):
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    (tmp_path / "Starter").mkdir()
    (tmp_path / "Starter" / "function.json").write_text('{"bindings": []}')
    result = subprocess.run(
        [sys.executable, "-m", "durable_local", "start", "--app", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is a Python v1-model app (function.json in Starter)" in result.stderr
    assert "A v2 app has a function_app.py at its root" in result.stderr


def test_start_prints_start_up_notices_and_triggered_functions(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "host.json").write_text(
        '{"version": "2.0", "extensions": {"durableTask": {"storageProvider": {"type": "mssql"}}}}'
    )
    (app / "function_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.timer_trigger(schedule='0 0 9 * * *', arg_name='timer')\n"
        "def nine(timer: func.TimerRequest) -> None:\n"
        "    pass\n"
    )
    host = RunningHost(tmp_path / "state.sqlite", app=app)
    try:
        host.wait_ready()
        assert "Note: host.json storageProvider 'mssql' accepted" in host.output
        assert "        nine: timerTrigger" in host.output
    finally:
        assert host.stop() == 0
