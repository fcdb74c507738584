"""A failure inside ``seed_on_failure`` names the seed where a reader sees it first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .seed import seed_on_failure

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_an_assertion_error_starts_with_the_seed() -> None:
    with pytest.raises(AssertionError) as caught, seed_on_failure(42):
        raise AssertionError("3 instances stuck")
    assert str(caught.value) == "seed=42 (DURABLE_LOCAL_SEED): 3 instances stuck"


def test_pytest_fail_starts_with_the_seed() -> None:
    with pytest.raises(pytest.fail.Exception) as caught, seed_on_failure(42):
        pytest.fail("lost an instance")
    assert caught.value.msg == "seed=42 (DURABLE_LOCAL_SEED): lost an instance"


def test_any_other_exception_gets_the_seed_as_a_note() -> None:
    with pytest.raises(RuntimeError) as caught, seed_on_failure(42):
        raise RuntimeError("host died")
    assert (str(caught.value), caught.value.__notes__) == ("host died", ["seed=42 (DURABLE_LOCAL_SEED)"])


def test_a_passing_block_yields_the_seed_and_changes_nothing() -> None:
    with seed_on_failure(7) as seed:
        assert seed == 7


def test_the_short_summary_shows_the_seed_at_80_columns(tmp_path: Path) -> None:
    # Failing tests in a child pytest with an 80-column terminal (not CI, where pytest never cuts
    # the line). A chaos test's id is longer than 80 columns, so pytest drops the message from
    # its summary line: the seed must be in the id. A short id leaves room for the message.
    (tmp_path / "test_probe.py").write_text(textwrap.dedent("""
        from tests.faults.seed import seed_on_failure, seeded

        @seeded
        def test_chaos_random_sigkills_lose_no_instance_and_rerun_only_in_flight_activities(seed):
            with seed_on_failure(seed):
                assert [] == ["chaos-0001"], "instances stuck Running after the final round"

        def test_round():
            with seed_on_failure(20260105):
                assert [] == ["chaos-0001"], "instances stuck Running after the final round"
    """), encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key not in ("CI", "BUILD_NUMBER", "PYTEST_ADDOPTS", "DURABLE_LOCAL_SEED")}
    env.update(COLUMNS="80", PYTHONPATH=str(REPO_ROOT))
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", "-p", "no:durable_local", "test_probe.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    summary = [line for line in completed.stdout.splitlines() if line.startswith("FAILED ")]
    assert len(summary) == 2, completed.stdout
    chaos, short = sorted(summary, key=len, reverse=True)
    assert chaos.endswith("[seed=20260105]"), chaos
    assert short.startswith("FAILED test_probe.py::test_round - AssertionError: seed=20260105 "), short
    assert len(short) <= 80, short
