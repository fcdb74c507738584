"""durable-local installed as a user installs it: a fresh virtual environment, ``pip install <repo>``.

The slow packaging test (marker ``packaging``; it runs in ``make test``). One new venv for the
module gets the tool, with its ``pytest`` extra, from a copy of this repository's distribution
files (pyproject.toml and durable_local/, so the build leaves nothing in the working tree) plus
the sample app's requirements.txt, through
pip's ordinary configuration (its indexes, find-links and cache, so wheels already fetched for
.venv are reused). Then, from a copy of the sample app's folder: ``durable-local start`` serves it
and an orchestration started over HTTP completes; the app's own test file passes with nothing
but the installed ``durable_host`` fixture.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging.pytest_runs import child_environment, run_pytest
from tests.packaging.sample import SAMPLE_APP, SAMPLE_TESTS

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
READY_LINE = "Press Ctrl+C to stop."
API_PREFIX = "Durable management API: "


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def distribution_copy(target: Path) -> Path:
    """What the build reads (pyproject.toml, durable_local/), copied to ``target``: setuptools writes
    build/ and *.egg-info next to the project, and would copy a stale build/lib into the wheel."""
    target.mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", target / "pyproject.toml")
    shutil.copytree(REPO / "durable_local", target / "durable_local", ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with durable-local[pytest] (built from a copy of the repository) and the sample app's requirements."""
    work = tmp_path_factory.mktemp("fresh")
    root = work / "venv"
    run(sys.executable, "-m", "venv", root, cwd=work)
    source = distribution_copy(work / "durable-local")
    run(
        root / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check",
        f"{source}[pytest]", "-r", SAMPLE_APP / "requirements.txt",
        cwd=work, timeout=780,
    )
    return root


class ServingHost:
    """``durable-local start`` in a child process; its output is read by a thread (no sleeps)."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, env={**child_environment(), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        with self._changed:
            found = self._changed.wait_for(
                lambda: self._ended or any(text in line for line in self.lines), timeout=timeout
            )
            match = next((line for line in self.lines if text in line), None)
        assert found and match is not None, f"no {text!r} in the host's output:\n{self.output}"
        return match

    def stop(self) -> int:
        """Ctrl+C, as a user stops it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def serving(venv: Path, sample_app: Path) -> Iterator[ServingHost]:
    """``durable-local start`` run from the app's folder: no --app; any free port; auto-skip clock."""
    host = ServingHost([str(venv / "bin" / "durable-local"), "start", "--port", "0", "--clock", "auto-skip"], sample_app)
    try:
        yield host
    finally:
        host.kill()


def http(method: str, url: str, body: object | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, reply.read().decode("utf-8")


def test_the_install_has_the_command_the_package_data_and_only_the_host(venv: Path, tmp_path: Path) -> None:
    assert run(venv / "bin" / "durable-local", "--version", cwd=tmp_path).strip() == "durable-local 0.1.0"
    probe = (
        "import importlib.metadata, importlib.resources, json, durable_local\n"
        "files = importlib.resources.files('durable_local')\n"
        "print(json.dumps({\n"
        "  'file': durable_local.__file__,\n"
        "  'data': [str(p) for p in ('frontends/dashboard/static/index.html', 'frontends/dashboard/static/views/list.js',"
        " 'services/store/schema.sql', 'py.typed') if files.joinpath(p).is_file()],\n"
        "  'tops': sorted({f.parts[0] for f in importlib.metadata.files('durable-local')}),\n"
        "  'requires': importlib.metadata.requires('durable-local'),\n"
        "}))\n"
    )
    found = json.loads(run(venv / "bin" / "python", "-c", probe, cwd=tmp_path))

    assert Path(found["file"]).is_relative_to(venv), "durable_local must come from the venv, not the repository"
    assert len(found["data"]) == 4, found
    # Only the host: not the approval app, its tests or anything else at the repository root.
    assert found["tops"] == ["..", "durable_local", "durable_local-0.1.0.dist-info"], found  # "..": bin/durable-local
    # pytest comes only with the extra; azure-core, imported directly, is declared
    pytest_requirements = [r for r in found["requires"] if r.startswith(("pytest", "pytest-asyncio"))]
    assert pytest_requirements and all('extra == "pytest"' in r for r in pytest_requirements), found["requires"]
    assert any(r.startswith("azure-core") for r in found["requires"]), found["requires"]


def test_durable_local_start_serves_the_app_from_its_folder(venv: Path, sample_app: Path, serving: ServingHost) -> None:
    serving.wait_for_line(READY_LINE)
    base_url = serving.wait_for_line(API_PREFIX).split(API_PREFIX, 1)[1].removesuffix("/runtime/webhooks/durabletask")

    status, text = http("POST", base_url + "/api/schedules", {"plant": "fern", "days": 3})
    assert status == 202, text
    started = json.loads(text)
    # The auto-skip clock jumps over the three days; the func-durable-style command waits for the end.
    waited = json.loads(
        run(venv / "bin" / "durable-local", "get-runtime-status", "--id", started["id"], "--show-output",
            "--wait", "60", "--json", "--host-url", base_url, cwd=sample_app)
    )
    status, text = http("GET", started["statusQueryGetUri"])
    final = json.loads(text)
    dashboard_status, page = http("GET", base_url + "/_dashboard/")
    script_status, _ = http("GET", base_url + "/_dashboard/app.js")

    assert waited["runtimeStatus"] == "Completed", waited
    assert status == 200 and final["runtimeStatus"] == "Completed"
    assert final["output"]["waterings"] == [f"day {day}: watered the fern" for day in (1, 2, 3)]
    assert dashboard_status == 200 and "<html" in page.lower()
    assert script_status == 200
    assert (sample_app / ".durable_local" / "state.sqlite").is_file()  # the default state file, under the app
    assert serving.stop() == 0, serving.output
    assert "Stopped." in serving.output


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_sample_apps_own_tests_pass_with_the_installed_fixture(venv: Path, sample_app: Path, mode: str) -> None:
    run_ = run_pytest(venv / "bin" / "python", sample_app, "-o", f"asyncio_mode={mode}")

    assert f"mode=Mode.{mode.upper()}" in run_.output, run_.explain()
    assert run_.exit_code == 0, run_.explain()
    assert run_.outcomes == dict.fromkeys(SAMPLE_TESTS, "passed"), run_.explain()
    assert "durable-local-0.1.0" in run_.output  # pytest's "plugins:" header line: loaded from the distribution
