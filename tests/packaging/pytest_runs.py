"""Run pytest in a child process, as a user would from their app's folder, and read the outcome.

The outcome comes from pytest's own JUnit XML report, so a test asserts on what pytest decided
for each test, never on the wording of its summary line.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

#: Variables of the outer pytest run (or of a developer's shell) that would reach into the child.
_LEAKING = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_CURRENT_TEST")


def child_environment() -> dict[str, str]:
    """The current environment without what would change how a child Python or pytest behaves."""
    env = {key: value for key, value in os.environ.items() if key not in _LEAKING}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass(frozen=True)
class PytestRun:
    """One finished pytest process: its exit code, its output, and each test's outcome."""

    exit_code: int
    output: str
    #: test name (function name, with parameters) -> "passed" | "failed" | "error" | "skipped"
    outcomes: dict[str, str]

    def explain(self) -> str:
        return f"pytest exited {self.exit_code}; outcomes {self.outcomes}\n{self.output}"


def run_pytest(python: Path | str, cwd: Path, *args: str, timeout: float = 300) -> PytestRun:
    """``python -m pytest *args`` in ``cwd``; waits for it (at most ``timeout`` seconds)."""
    report = cwd / ".pytest-report.xml"
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args]
    done = subprocess.run(
        command, cwd=cwd, env=child_environment(), capture_output=True, text=True, timeout=timeout, check=False
    )
    outcomes = _outcomes(report) if report.exists() else {}
    report.unlink(missing_ok=True)
    return PytestRun(done.returncode, done.stdout + done.stderr, outcomes)


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
