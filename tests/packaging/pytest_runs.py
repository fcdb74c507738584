"""Run pytest in a child process, as a user would from their app's folder, and read the outcome.

The outcome comes from pytest's own JUnit XML report, so a test asserts on what pytest decided
for each test, never on the wording of its summary line.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import durable_local

#: Variables of the outer pytest run (or of a developer's shell) that would reach into the child.
_LEAKING = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST")


def child_environment() -> dict[str, str]:
    """The current environment without what would change how a child Python or pytest behaves."""
    env = {key: value for key, value in os.environ.items() if key not in _LEAKING}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@cache
def _code_under_test() -> str:
    """A folder holding only a link to the durable_local package this process imported."""
    folder = Path(tempfile.mkdtemp(prefix="durable-local-code-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "durable_local").symlink_to(Path(durable_local.__file__).parent, target_is_directory=True)
    return str(folder)


def this_interpreter_environment() -> dict[str, str]:
    """:func:`child_environment` for a child on this interpreter, importing the durable_local under test.

    The venv's editable install may point at another checkout of the repository (a git worktree
    that shares the venv); the link first on the child's path makes the child run the code this
    test process imports. The installed distribution (its pytest11 entry point) is unchanged.
    """
    return {**child_environment(), "PYTHONPATH": _code_under_test()}


@dataclass(frozen=True)
class PytestRun:
    """One finished pytest process: its exit code, its output, and each test's outcome."""

    exit_code: int
    output: str
    #: test name (function name, with parameters) -> "passed" | "failed" | "error" | "skipped"
    outcomes: dict[str, str]

    def explain(self) -> str:
        return f"pytest exited {self.exit_code}; outcomes {self.outcomes}\n{self.output}"


def run_pytest(
    python: Path | str, cwd: Path, *args: str, timeout: float = 300, extra_env: dict[str, str] | None = None
) -> PytestRun:
    """``python -m pytest *args`` in ``cwd`` (``extra_env`` added to its environment); waits at most ``timeout`` s."""
    report = cwd / ".pytest-report.xml"
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args]
    done = subprocess.run(
        command, cwd=cwd, env=_environment(python, extra_env), capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    outcomes = _outcomes(report) if report.exists() else {}
    report.unlink(missing_ok=True)
    return PytestRun(done.returncode, done.stdout + done.stderr, outcomes)


def _environment(python: Path | str, extra_env: dict[str, str] | None) -> dict[str, str]:
    env = this_interpreter_environment() if str(python) == sys.executable else child_environment()
    extra = dict(extra_env or {})
    if "PYTHONPATH" in extra and "PYTHONPATH" in env:
        extra["PYTHONPATH"] = extra["PYTHONPATH"] + os.pathsep + env["PYTHONPATH"]
    return {**env, **extra}


def _outcomes(report: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = "failed" if child.tag == "failure" else child.tag
                break
        outcomes[case.get("name", "")] = outcome
    return outcomes
