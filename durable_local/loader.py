"""Import a Python v2 Functions app and index its functions, as the Python worker does.

``load_app(app_dir)`` puts the app directory on ``sys.path``, exports ``local.settings.json``
``Values`` as environment variables (an already-set variable wins, as under ``func start``),
imports ``function_app.py``, finds the ``FunctionApp``/``DFApp`` object and turns
``app.get_functions()`` into a :class:`Registry`. A trigger or binding the local host does not
emulate is a startup error naming the function, never a silent skip.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

# Import the SDK before anything touches the working directory: ``import
# azure.durable_functions`` reads ./host.json at import time (protocol notes, section 8).
import azure.durable_functions  # noqa: F401
from azure.functions.decorators.function_app import FunctionRegister

from .errors import AppLoadError, UnsupportedBindingError

logger = logging.getLogger(__name__)

#: Output bindings whose data the local host writes itself (``durable_local.bindings``).
SUPPORTED_OUTPUT_BINDINGS = frozenset({"queue", "table"})


@dataclass(frozen=True)
class OutputBinding:
    """An output binding declared on a function (``queue_output``, ``table_output``)."""

    name: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class OrchestratorFunction:
    """An orchestrator, registered under the trigger's ``orchestration`` name or the function name."""

    name: str
    function_name: str
    handle: Callable[[Any], str]


@dataclass(frozen=True)
class ActivityFunction:
    """An activity: ``fn(**{input_name: value, <output binding>: Out})``."""

    name: str
    function_name: str
    fn: Callable[..., Any]
    input_name: str
    outputs: tuple[OutputBinding, ...] = ()

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


@dataclass(frozen=True)
class HttpFunction:
    """An HTTP-triggered function and what the host must pass it."""

    name: str
    fn: Callable[..., Any]
    route: str
    methods: tuple[str, ...]
    auth_level: str
    request_name: str
    client_name: str | None = None
    outputs: tuple[OutputBinding, ...] = ()
    returns_http: bool = True

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


@dataclass
class HostConfig:
    """The parts of host.json the local host honours."""

    route_prefix: str = "api"
    hub_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Registry:
    """Every function of the app, by role."""

    app_dir: Path
    orchestrators: dict[str, OrchestratorFunction] = field(default_factory=dict)
    activities: dict[str, ActivityFunction] = field(default_factory=dict)
    http: list[HttpFunction] = field(default_factory=list)
    host: HostConfig = field(default_factory=HostConfig)
    #: the imported function_app module
    module: ModuleType | None = None

    def describe(self) -> list[tuple[str, str]]:
        """``(function name, kind)`` pairs in a stable order, for start-up banners."""
        rows = [(f.name, f"orchestrationTrigger ({n})") for n, f in self.orchestrators.items()]
        rows += [(f.name, "activityTrigger") for f in self.activities.values()]
        rows += [(f.name, f"[{','.join(f.methods)}] {f.route}") for f in self.http]
        return sorted(rows)


def read_host_config(app_dir: Path) -> HostConfig:
    """Parse host.json; a malformed file is an :class:`AppLoadError` naming it."""
    path = app_dir / "host.json"
    if not path.exists():
        return HostConfig()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AppLoadError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(raw, dict):
        raise AppLoadError(f"{path} must hold a JSON object")
    extensions = raw.get("extensions") or {}
    http = extensions.get("http") or {}
    durable = extensions.get("durableTask") or {}
    prefix = http.get("routePrefix", "api")
    return HostConfig(
        route_prefix=str(prefix).strip("/"),
        hub_name=durable.get("hubName"),
        raw=raw,
    )


def export_local_settings(app_dir: Path) -> dict[str, str]:
    """Export ``local.settings.json`` ``Values`` into ``os.environ``; existing variables win.

    Returns the values that were exported. A malformed file is an :class:`AppLoadError`.
    """
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    except (OSError, ValueError, AttributeError) as err:
        raise AppLoadError(f"{path} is not valid JSON: {err}") from err
    exported: dict[str, str] = {}
    for key, value in values.items():
        if key not in os.environ:
            os.environ[key] = str(value)
            exported[key] = str(value)
    return exported


def load_app(app_dir: str | os.PathLike[str]) -> Registry:
    """Import ``function_app.py`` from ``app_dir`` and index it.

    Raises :class:`AppLoadError` when the module cannot be imported or defines no app, and
    :class:`UnsupportedBindingError` for a binding the local host cannot run.
    """
    root = Path(app_dir).resolve()
    script = root / "function_app.py"
    if not script.exists():
        raise AppLoadError(f"No function_app.py in {root}: point --app at a Python v2 Functions app")
    host = read_host_config(root)
    export_local_settings(root)
    module = _import_module(root, script)
    app = _find_app(module, script)
    registry = Registry(app_dir=root, host=host, module=module)
    try:
        functions = app.get_functions()
    except Exception as err:  # the SDK's own validation errors (duplicate names, ...)
        raise AppLoadError(f"Indexing {script} failed: {err}") from err
    for function in functions:
        _index(registry, function)
    return registry


def _import_module(root: Path, script: Path) -> ModuleType:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    # A previous app loaded in this process (tests load several) must not shadow this one.
    for name in [m for m in sys.modules if m == "function_app"]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location("function_app", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules["function_app"]
        raise AppLoadError(f"Importing {script} failed: {type(err).__name__}: {err}") from err
    return module


def _find_app(module: ModuleType, script: Path) -> FunctionRegister:
    apps = [v for v in vars(module).values() if isinstance(v, FunctionRegister)]
    if not apps:
        raise AppLoadError(f"{script} defines no FunctionApp or DFApp object")
    if len(apps) > 1:
        raise AppLoadError(f"{script} defines {len(apps)} FunctionApp objects; the worker expects one")
    return apps[0]


def _index(registry: Registry, function: Any) -> None:
    name: str = function.get_function_name()
    fn = function.get_user_function()
    trigger = function.get_trigger()
    settings = trigger.get_dict_repr()
    outputs: list[OutputBinding] = []
    client_name: str | None = None
    returns_http = False
    for binding in function.get_bindings():
        if binding is trigger:
            continue
        btype = binding.type
        if btype == "durableClient":
            client_name = binding.name
        elif btype == "http" and binding.name == "$return":
            returns_http = True
        elif btype in SUPPORTED_OUTPUT_BINDINGS and _direction(binding) == "OUT":
            outputs.append(OutputBinding(binding.name, btype, _plain(binding.get_dict_repr())))
        elif btype == "entityClient":
            raise UnsupportedBindingError(name, btype, "Durable entities are not supported by the local host yet.")
        else:
            raise UnsupportedBindingError(name, btype)

    if trigger.type == "orchestrationTrigger":
        registered = settings.get("orchestration") or name
        registry.orchestrators[registered] = OrchestratorFunction(registered, name, fn)
    elif trigger.type == "activityTrigger":
        registered = settings.get("activity") or name
        registry.activities[registered] = ActivityFunction(registered, name, fn, trigger.name, tuple(outputs))
    elif trigger.type == "httpTrigger":
        methods = tuple(str(getattr(m, "value", m)).upper() for m in (settings.get("methods") or ()))
        auth = settings.get("authLevel")
        registry.http.append(
            HttpFunction(
                name=name,
                fn=fn,
                route=(settings.get("route") or name).strip("/"),
                methods=methods or ("GET", "POST"),
                auth_level=str(getattr(auth, "value", auth) or "function").lower(),
                request_name=trigger.name,
                client_name=client_name,
                outputs=tuple(outputs),
                returns_http=returns_http,
            )
        )
    elif trigger.type == "entityTrigger":
        raise UnsupportedBindingError(name, "entityTrigger", "Durable entities are not supported by the local host yet.")
    else:
        raise UnsupportedBindingError(name, trigger.type)


def _direction(binding: Any) -> str:
    direction = binding.get_dict_repr().get("direction")
    return str(getattr(direction, "name", direction)).upper()


def _plain(settings: dict[str, Any]) -> dict[str, Any]:
    """Binding settings with enums turned into their wire strings."""
    return {k: getattr(v, "value", v) for k, v in settings.items()}
