"""pytest plugin: the ``durable_host`` fixture runs your app on the local host for one test.

Installed with durable-local (entry point ``pytest11``: ``durable_local``; ``pytest -p
no:durable_local`` switches it off). A test asks for ``durable_host`` and gets a running
:class:`durable_local.testing.TestHost`::

    async def test_waters_daily_for_ten_days(durable_host):
        instance_id = await durable_host.start("watering_schedule", {"plant": "fern", "days": 10})
        await durable_host.advance(days=10)             # ten virtual days, milliseconds of real time
        status = await durable_host.wait_for(instance_id, "Completed")

Each test gets its own host: the app imported afresh, served over real HTTP on a free loopback
port, state in memory, a manual clock; everything is stopped after the test. What runs is
chosen by three fixtures, each overridable by a fixture of the same name in a conftest.py; their
defaults take the first setting found:

=====================  ======================================================================
``durable_app_dir``    marker ``app=``; ini ``durable_local_app``; the rootdir or else the
                       current directory, whichever holds an app: ``host.json`` or the script
                       ``PYTHON_SCRIPT_FILE_NAME`` names (``function_app.py`` by default; the
                       environment, then the folder's local.settings.json)
``durable_clock``      marker ``clock=`` (``"manual"`` or ``"auto-skip"``) and ``start=``
                       (aware datetime); ini ``durable_local_clock``; ``manual``
``durable_state``      marker ``state=``; ini ``durable_local_state``; ``":memory:"``
=====================  ======================================================================

Relative paths are resolved against the ini file's folder (the rootdir without one). The marker,
``@pytest.mark.durable_local(...)``, also passes ``timer_settings``, ``hub_name``,
``function_keys``, ``max_activities`` and ``workers`` to :func:`durable_local.testing.run_host`
(``workers=2``: the app in two worker processes, as on Azure; the default runs it in the test's
own process, where breakpoints work).

``durable_host`` is a pytest-asyncio fixture on the loop pytest-asyncio gives fixtures by default
(``asyncio_default_fixture_loop_scope``; function when unset), so it works in both modes: with
``asyncio_mode = "auto"`` async tests need no mark; in strict mode (pytest-asyncio's default) mark
them ``@pytest.mark.asyncio`` as every strict-mode async test is (a module-level ``pytestmark``
does it for a file). A plain ``@pytest.fixture`` on an ``async def`` would be ignored in strict
mode and fail under pytest 9.

pytest imports this module at every start in an environment where durable-local is installed,
so it imports only pytest and pytest-asyncio; the host is imported when a test first needs it.
pytest and pytest-asyncio come with the ``pytest`` extra (``pip install "durable-local[pytest]"``).
Without pytest-asyncio the plugin still loads, so that pytest runs that do not use it are not
broken by it, and ``durable_host`` fails each test that asks for it with what to install.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

try:
    import pytest_asyncio

    HAS_PYTEST_ASYNCIO = True
except ImportError:  # durable-local installed without its [pytest] extra
    HAS_PYTEST_ASYNCIO = False

if TYPE_CHECKING:
    from .services.clock import Clock
    from .testing import TestHost

MARKER = "durable_local"
CLOCK_NAMES = ("manual", "auto-skip")
#: Marker keywords handed to ``run_host`` unchanged.
_PASSED_THROUGH = frozenset({"timer_settings", "hub_name", "function_keys", "max_activities", "workers"})
_MARKER_KEYWORDS = frozenset({"app", "clock", "start", "state"}) | _PASSED_THROUGH
_HOST_JSON = "host.json"
#: why ``durable_host`` cannot run when pytest-asyncio is missing
NO_PYTEST_ASYNCIO = (
    "durable_local: the durable_host fixture needs pytest-asyncio, which is not installed in this environment. "
    'Install durable-local with its pytest extra: pip install "durable-local[pytest]" (or: pip install "pytest-asyncio>=1.0").'
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "durable_local_app",
        "durable_host fixture: the Functions app folder (default: the rootdir, else the current directory)",
        type="string",
        default="",
    )
    parser.addini(
        "durable_local_clock",
        "durable_host fixture: manual (default; advance() moves time) or auto-skip (jump to the next timer when idle)",
        type="string",
        default="manual",
    )
    parser.addini(
        "durable_local_state",
        "durable_host fixture: SQLite state file, or :memory: (default; nothing survives the test)",
        type="string",
        default=":memory:",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Registered so that --strict-markers accepts it.
    config.addinivalue_line(
        "markers",
        "durable_local(app=None, clock=None, start=None, state=None, **run_host_options): "
        "settings of the durable_host fixture for this test (durable-local)",
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> Mapping[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(
            f"@pytest.mark.{MARKER} takes keywords only (app=..., clock=..., start=..., state=...), "
            f"got {marker.args!r}",
            pytrace=False,
        )
    unknown = sorted(set(marker.kwargs) - _MARKER_KEYWORDS)
    if unknown:
        pytest.fail(
            f"@pytest.mark.{MARKER} does not know {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(_MARKER_KEYWORDS))}",
            pytrace=False,
        )
    return dict(marker.kwargs)


def _config_dir(config: pytest.Config) -> Path:
    """Where relative settings are resolved: the ini file's folder, else the rootdir."""
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _resolve(config: pytest.Config, value: str | os.PathLike[str]) -> Path:
    path = Path(value)
    return (path if path.is_absolute() else _config_dir(config) / path).resolve()


def _holds_app(folder: Path) -> bool:
    """Does ``folder`` look like a Functions app: host.json, or the script the worker would load?"""
    if (folder / _HOST_JSON).is_file():
        return True
    from .errors import AppLoadError
    from .services.loader.checks import script_name
    from .services.loader.config import read_local_settings

    try:
        return (folder / script_name(os.environ, read_local_settings(folder))).is_file()
    except AppLoadError:  # a malformed local.settings.json or script name: load_app will say so
        return True


@pytest.fixture
def durable_app_dir(request: pytest.FixtureRequest) -> Path:
    """The app folder ``durable_host`` runs (see the module docstring for the order).

    A folder set explicitly is used as given: what is missing there is for ``load_app`` to report.
    """
    config = request.config
    chosen = _marker_kwargs(request).get("app") or config.getini("durable_local_app")
    if chosen:
        return _resolve(config, chosen)
    candidates = [config.rootpath, Path.cwd()]
    for candidate in candidates:
        if _holds_app(candidate):
            return candidate
    pytest.fail(
        f"durable_local: no Functions app (host.json, function_app.py or the PYTHON_SCRIPT_FILE_NAME script) in the "
        f"rootdir ({candidates[0]}) or the current directory ({candidates[1]}). Run pytest from your app's folder, "
        "or set the app folder: `durable_local_app = path/to/app` in your pytest configuration, "
        f"@pytest.mark.{MARKER}(app=...), or a `durable_app_dir` fixture.",
        pytrace=False,
    )


@pytest.fixture
def durable_clock(request: pytest.FixtureRequest) -> Clock:
    """A fresh clock for ``durable_host``: manual unless the marker or ini says auto-skip."""
    from .services.clock import make_clock

    kwargs = _marker_kwargs(request)
    name = kwargs.get("clock") or request.config.getini("durable_local_clock") or "manual"
    if name not in CLOCK_NAMES:
        pytest.fail(f"durable_local: clock must be one of {', '.join(CLOCK_NAMES)}, got {name!r}", pytrace=False)
    start = kwargs.get("start")
    if start is not None and (not isinstance(start, datetime) or start.tzinfo is None):
        pytest.fail(f"durable_local: start must be a timezone-aware datetime, got {start!r}", pytrace=False)
    return make_clock(name, start)


@pytest.fixture
def durable_state(request: pytest.FixtureRequest) -> str | Path:
    """``":memory:"`` or the SQLite file ``durable_host`` keeps its state in."""
    chosen = _marker_kwargs(request).get("state") or request.config.getini("durable_local_state") or ":memory:"
    if chosen == ":memory:":
        return ":memory:"
    return _resolve(request.config, chosen)


async def _durable_host(
    request: pytest.FixtureRequest, durable_app_dir: Path, durable_clock: Clock, durable_state: str | Path
) -> AsyncIterator[TestHost]:
    """The app in ``durable_app_dir`` running on the local host for this test (a TestHost)."""
    from .errors import AppLoadError
    from .testing import run_host

    kwargs = _marker_kwargs(request)
    options = {key: value for key, value in kwargs.items() if key in _PASSED_THROUGH}
    try:
        async with run_host(durable_app_dir, clock=durable_clock, state=durable_state, **options) as host:
            yield host
    except AppLoadError as err:  # raised before the test runs: say so without the plugin's traceback
        pytest.fail(f"durable_local: the app in {durable_app_dir} does not load: {err}", pytrace=False)


if HAS_PYTEST_ASYNCIO:
    durable_host = pytest_asyncio.fixture(_durable_host, name="durable_host")
else:

    @pytest.fixture(name="durable_host")
    def _durable_host_needs_pytest_asyncio() -> None:
        """Stands in for ``durable_host`` when pytest-asyncio is missing: says what to install."""
        pytest.fail(NO_PYTEST_ASYNCIO, pytrace=False)
