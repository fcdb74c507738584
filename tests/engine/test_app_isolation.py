"""Loading apps leaves the process as it found it, and each app sees only its own modules."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from durable_local.errors import AppLoadError
from durable_local.services.loader import load_app
from durable_local.testing import run_host


def _app_with_approval_package(root: Path, flavour: str) -> Path:
    """An app whose ``approval`` package answers ``flavour``, and a setting named after it."""
    (root / "approval").mkdir(parents=True)
    (root / "approval" / "__init__.py").write_text(f"FLAVOUR = {flavour!r}\n", encoding="utf-8")
    (root / "approval" / "rules.py").write_text("LIMIT = 10\n", encoding="utf-8")
    (root / "host.json").write_text('{"version": "2.0"}', encoding="utf-8")
    (root / "local.settings.json").write_text(
        f'{{"IsEncrypted": false, "Values": {{"ISOLATION_{flavour.upper()}": "set"}}}}', encoding="utf-8"
    )
    (root / "function_app.py").write_text(
        textwrap.dedent(
            """
            import azure.durable_functions as df
            import azure.functions as func

            import approval
            import approval.rules

            app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

            @app.orchestration_trigger(context_name="context")
            def which(context: df.DurableOrchestrationContext):
                return approval.FLAVOUR
            """
        ),
        encoding="utf-8",
    )
    return root


def _process_state() -> tuple[list[str], dict[str, str], set[str]]:
    return list(sys.path), dict(os.environ), set(sys.modules)


async def test_two_apps_with_an_approval_package_each_see_their_own_and_leave_nothing_behind(tmp_path: Path) -> None:
    first = _app_with_approval_package(tmp_path / "first", "first")
    second = _app_with_approval_package(tmp_path / "second", "second")
    before = _process_state()
    for app_dir, flavour in ((first, "first"), (second, "second"), (first, "first")):
        async with run_host(app_dir) as host:
            instance_id = await host.start("which")
            status = await host.wait_for(instance_id, "Completed")
            assert status.output == f'"{flavour}"'
            assert os.environ[f"ISOLATION_{flavour.upper()}"] == "set"
            assert sys.modules["approval"].__file__ == str(app_dir / "approval" / "__init__.py")
        assert _process_state() == before


def test_a_module_the_caller_imported_under_the_same_name_is_set_aside_and_restored(tmp_path: Path) -> None:
    app_dir = _app_with_approval_package(tmp_path / "app", "app")
    callers = type(sys)("approval")
    callers.__file__ = str(tmp_path / "elsewhere" / "approval" / "__init__.py")
    previous = {name: sys.modules.pop(name) for name in list(sys.modules) if name.partition(".")[0] == "approval"}
    sys.modules["approval"] = callers
    try:
        with load_app(app_dir) as registry:
            assert registry.module is not None and registry.module.approval.FLAVOUR == "app"
            assert sys.modules["approval"] is not callers
        assert sys.modules["approval"] is callers
    finally:
        sys.modules.pop("approval", None)
        sys.modules.update(previous)


def test_a_second_app_with_the_same_module_names_cannot_load_while_the_first_is_open(tmp_path: Path) -> None:
    first = _app_with_approval_package(tmp_path / "first", "first")
    second = _app_with_approval_package(tmp_path / "second", "second")
    with load_app(first):
        with pytest.raises(AppLoadError, match=r"both define the top-level module\(s\) approval, function_app"):
            load_app(second)
        assert sys.modules["approval"].__file__ == str(first / "approval" / "__init__.py")


def test_loading_the_same_app_twice_shares_it_until_the_last_close(tmp_path: Path) -> None:
    app_dir = _app_with_approval_package(tmp_path / "app", "app")
    before = _process_state()
    one = load_app(app_dir)
    two = load_app(app_dir)
    assert one.module is two.module
    one.close()
    assert "approval" in sys.modules
    two.close()
    assert _process_state() == before
