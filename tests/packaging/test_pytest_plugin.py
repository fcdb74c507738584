"""The pytest plugin as users get it: loaded from the installed entry point, in their own pytest run.

Each run is a child pytest process in this repository's venv (where make installed durable-local
editable), started in a folder outside the repository, so only the plugin, never this
repository's conftest or settings, can make the tests pass.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import durable_local.pytest_plugin
from tests.packaging.pytest_runs import run_pytest, this_interpreter_environment
from tests.packaging.sample import SAMPLE_TESTS

TEN_DAYS_UNMARKED = '''
async def test_ten_days_unmarked(durable_host):
    instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 10})
    await durable_host.advance(days=10)
    assert (await durable_host.wait_for(instance_id)).runtime_status == "Completed"
'''


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_pytest_loads_the_plugin_from_the_installed_entry_point(request: pytest.FixtureRequest) -> None:
    entry_points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert entry_points.get("durable_local") == "durable_local.pytest_plugin"
    assert request.config.pluginmanager.get_plugin("durable_local") is durable_local.pytest_plugin


def test_importing_the_plugin_imports_neither_the_host_nor_the_sdks() -> None:
    probe = (
        "import sys, durable_local.pytest_plugin\n"
        "heavy = ('aiohttp', 'azure', 'durable_local.testing', 'durable_local.composition', 'sqlite3')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=this_interpreter_environment(), capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_sample_apps_own_tests_pass_in_strict_mode(sample_app: Path) -> None:
    run = run_pytest(sys.executable, sample_app)

    assert "mode=Mode.STRICT" in run.output, run.explain()
    assert run.exit_code == 0, run.explain()
    assert run.outcomes == dict.fromkeys(SAMPLE_TESTS, "passed"), run.explain()


def test_unmarked_async_tests_run_in_auto_mode_and_strict_mode_refuses_them(sample_app: Path) -> None:
    write(sample_app, "test_unmarked.py", TEN_DAYS_UNMARKED)

    auto = run_pytest(sys.executable, sample_app, "-o", "asyncio_mode=auto", "test_unmarked.py")
    strict = run_pytest(sys.executable, sample_app, "test_unmarked.py")

    assert auto.outcomes == {"test_ten_days_unmarked": "passed"}, auto.explain()
    # pytest-asyncio's strict mode (its default) runs marked async tests only: the README says so.
    assert strict.outcomes == {"test_ten_days_unmarked": "failed"}, strict.explain()
    assert "async def functions are not natively supported" in strict.output


def test_switched_off_with_dash_p_no(sample_app: Path) -> None:
    run = run_pytest(sys.executable, sample_app, "-p", "no:durable_local", "-o", "asyncio_mode=auto")

    assert run.exit_code != 0
    assert set(run.outcomes.values()) == {"error"}, run.explain()
    assert "fixture 'durable_host' not found" in run.output


def test_marker_and_fixture_overrides_choose_the_app_and_clock(sample_app: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite"  # tests outside the app: neither the rootdir nor the cwd holds it
    write(suite, "test_marker.py", '''
        from datetime import UTC, datetime

        import pytest

        from durable_local.testing import AutoSkipClock


        @pytest.mark.durable_local(app="../sample_app", start=datetime(2030, 5, 1, tzinfo=UTC))
        async def test_app_and_start_from_the_marker(durable_host):
            assert durable_host.now() == datetime(2030, 5, 1, tzinfo=UTC)
            instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 1})
            await durable_host.advance(days=1)
            assert await durable_host.output(instance_id) == {"plant": "fern", "waterings": ["day 1: watered the fern"]}


        @pytest.mark.durable_local(app="../sample_app", clock="auto-skip")
        async def test_auto_skip_from_the_marker(durable_host):
            assert isinstance(durable_host.clock, AutoSkipClock)


        @pytest.mark.durable_local(app="../sample_app", clock="system")
        async def test_a_clock_the_fixture_does_not_offer(durable_host):
            pass


        @pytest.mark.durable_local(app="../sample_app", colck="auto-skip")
        async def test_a_misspelt_keyword(durable_host):
            pass
    ''')
    write(suite, "test_override.py", '''
        from datetime import UTC, datetime
        from pathlib import Path

        import pytest

        from durable_local.testing import ManualClock

        START = datetime(2031, 1, 1, tzinfo=UTC)


        @pytest.fixture
        def durable_app_dir():
            return Path(__file__).parent.parent / "sample_app"


        @pytest.fixture
        def durable_clock():
            return ManualClock(START)


        async def test_app_and_clock_from_overriding_fixtures(durable_host):
            assert durable_host.now() == START
            instance_id = await durable_host.start("watering_schedule", {"plant": "ivy", "days": 3})
            await durable_host.advance(days=3)
            assert (await durable_host.wait_for(instance_id, "Completed")).last_updated_at == datetime(2031, 1, 4, tzinfo=UTC)
    ''')
    write(suite, "test_no_app.py", '''
        async def test_without_an_app_folder(durable_host):
            pass
    ''')

    run = run_pytest(sys.executable, suite, "-o", "asyncio_mode=auto", "--strict-markers")

    assert run.outcomes == {
        "test_app_and_start_from_the_marker": "passed",
        "test_auto_skip_from_the_marker": "passed",
        "test_a_clock_the_fixture_does_not_offer": "error",
        "test_a_misspelt_keyword": "error",
        "test_app_and_clock_from_overriding_fixtures": "passed",
        "test_without_an_app_folder": "error",
    }, run.explain()
    assert "clock must be one of manual, auto-skip, got 'system'" in run.output
    assert "does not know colck" in run.output
    assert f"no Functions app (host.json, function_app.py or the PYTHON_SCRIPT_FILE_NAME script) in the rootdir ({suite})" in run.output


def test_an_app_whose_script_is_named_by_python_script_file_name_runs_in_the_fixture(sample_app: Path) -> None:
    (sample_app / "function_app.py").rename(sample_app / "main.py")
    write(sample_app, "local.settings.json", '''
        {"IsEncrypted": false, "Values": {"FUNCTIONS_WORKER_RUNTIME": "python", "PYTHON_SCRIPT_FILE_NAME": "main.py"}}
    ''')

    run = run_pytest(sys.executable, sample_app)

    assert run.exit_code == 0, run.explain()
    assert run.outcomes == dict.fromkeys(SAMPLE_TESTS, "passed"), run.explain()


def test_an_app_folder_set_explicitly_is_checked_by_the_loader(sample_app: Path, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    (sample_app / "function_app.py").rename(sample_app / "main.py")  # and no PYTHON_SCRIPT_FILE_NAME
    write(suite, "test_missing_script.py", '''
        import pytest


        @pytest.mark.durable_local(app="../sample_app")
        async def test_an_app_without_its_script(durable_host):
            pass
    ''')

    run = run_pytest(sys.executable, suite, "-o", "asyncio_mode=auto")

    assert run.outcomes == {"test_an_app_without_its_script": "error"}, run.explain()
    assert f"durable_local: the app in {sample_app} does not load: Did not find either 'function_app.py' (V2)" in run.output


def test_ini_options_choose_the_app_clock_and_a_state_file_that_outlives_the_host(
    sample_app: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "suite"
    write(suite, "pytest.ini", '''
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        durable_local_app = ../sample_app
        durable_local_clock = auto-skip
        durable_local_state = state/durable.sqlite
    ''')
    (suite / "state").mkdir()
    write(suite, "test_state.py", '''
        from durable_local.testing import AutoSkipClock


        async def test_1_a_schedule_finishes_on_the_auto_skip_clock(durable_host):
            assert isinstance(durable_host.clock, AutoSkipClock)
            await durable_host.start("watering_schedule", {"plant": "fern", "days": 2}, instance_id="fern-1")
            assert len((await durable_host.output("fern-1"))["waterings"]) == 2


        async def test_2_the_next_host_reads_it_from_the_state_file(durable_host):
            status = await durable_host.status("fern-1")
            assert status is not None and status.runtime_status == "Completed"
    ''')

    run = run_pytest(sys.executable, suite)

    assert run.outcomes == {
        "test_1_a_schedule_finishes_on_the_auto_skip_clock": "passed",
        "test_2_the_next_host_reads_it_from_the_state_file": "passed",
    }, run.explain()
    assert (suite / "state" / "durable.sqlite").is_file()


def test_the_marker_runs_the_app_in_worker_processes_and_the_default_in_the_tests_process(
    sample_app: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "suite"
    write(suite, "test_workers.py", '''
        import os

        import pytest


        @pytest.mark.durable_local(app="../sample_app", clock="auto-skip", workers=1)
        async def test_in_one_worker_process(durable_host):
            (worker,) = durable_host.host.worker_processes
            assert worker.pid != os.getpid()
            instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 1})
            assert await durable_host.output(instance_id) == {"plant": "fern", "waterings": ["day 1: watered the fern"]}


        @pytest.mark.durable_local(app="../sample_app")
        async def test_in_this_process_by_default(durable_host):
            assert durable_host.host.worker_processes is None
    ''')

    run = run_pytest(sys.executable, suite, "-o", "asyncio_mode=auto", "--strict-markers")

    assert run.outcomes == {
        "test_in_one_worker_process": "passed",
        "test_in_this_process_by_default": "passed",
    }, run.explain()


def test_without_pytest_asyncio_the_plugin_loads_and_the_fixture_says_what_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"  # an environment where pytest-asyncio cannot be imported
    write(shadow / "pytest_asyncio", "__init__.py", 'raise ImportError("No module named \'pytest_asyncio\'")\n')
    suite = tmp_path / "suite"
    write(suite, "test_uses.py", '''
        def test_unrelated():
            assert True


        def test_asks_for_the_host(durable_host):
            pass
    ''')
    run = run_pytest(sys.executable, suite, "-p", "no:asyncio", extra_env={"PYTHONPATH": str(shadow)})

    assert run.outcomes == {"test_unrelated": "passed", "test_asks_for_the_host": "error"}, run.explain()
    assert durable_local.pytest_plugin.NO_PYTEST_ASYNCIO in run.output, run.explain()
