"""Import a Python v2 Functions app and index its functions, as the Python worker does.

``load_app(app_dir)`` prepares the process (:class:`~.environment.AppEnvironment`: app settings,
``sys.path``, module isolation), imports ``function_app.py``, finds the ``FunctionApp``/``DFApp``
object and turns ``app.get_functions()`` into a :class:`~.functions.Registry`. A trigger or
binding the local host does not emulate is a start-up error naming the function, never a
silent skip. ``Registry.close()`` undoes the process-wide changes.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

# Import the SDK before anything touches the working directory: ``import
# azure.durable_functions`` reads ./host.json at import time (protocol notes, section 8).
import azure.durable_functions  # noqa: F401
from azure.functions.decorators.function_app import FunctionRegister

from ...errors import AppLoadError, UnsupportedBindingError
from .config import read_host_config, read_local_settings
from .environment import AppEnvironment
from .functions import ActivityFunction, EntityFunction, HttpFunction, OrchestratorFunction, OutputBinding, Registry

#: Output bindings whose data the local host writes itself (``durable_local.services.bindings``).
SUPPORTED_OUTPUT_BINDINGS = frozenset({"queue", "table"})


def load_app(app_dir: str | os.PathLike[str]) -> Registry:
    """Import ``function_app.py`` from ``app_dir`` and index it; close the result when done.

    Raises :class:`AppLoadError` when the module cannot be imported, defines no app or clashes
    with an app loaded in this process, and :class:`UnsupportedBindingError` for a binding the
    local host cannot run. On any error the process is left as it was.
    """
    root = Path(app_dir).resolve()
    script = root / "function_app.py"
    if not script.exists():
        raise AppLoadError(f"No function_app.py in {root}: point --app at a Python v2 Functions app")
    host = read_host_config(root)
    environment = AppEnvironment.enter(root, read_local_settings(root))
    try:
        if environment.loaded is not None:  # already loaded in this process: share it
            first = environment.loaded
            return Registry(
                app_dir=root,
                orchestrators=dict(first.orchestrators),
                activities=dict(first.activities),
                entities=dict(first.entities),
                http=list(first.http),
                host=host,
                module=first.module,
                environment=environment,
                disabled=first.disabled,
            )
        module = _import_module(script)
        app = _find_app(module, script)
        registry = Registry(app_dir=root, host=host, module=module, environment=environment)
        try:
            functions = app.get_functions()
        except Exception as err:  # the SDK's own validation errors (duplicate names, ...)
            raise AppLoadError(f"Indexing {script} failed: {err}") from err
        for function in functions:
            _index(registry, function)
        registry.disabled = disabled_functions(registry.function_names(), os.environ)
        environment.loaded = registry
    except BaseException:
        environment.close()
        raise
    return registry


def disabled_functions(names: Iterable[str], settings: Mapping[str, str]) -> frozenset[str]:
    """Functions switched off by ``AzureWebJobs.<name>.Disabled`` (or the Linux form
    ``AzureWebJobs_<name>_Disabled``) set to ``1`` or ``true`` (webjobs ``IsSettingEnabled``)."""
    disabled = set()
    for name in names:
        for key in (f"AzureWebJobs.{name}.Disabled", f"AzureWebJobs_{name}_Disabled"):
            if str(settings.get(key, "")).strip().lower() in ("1", "true"):
                disabled.add(name)
    return frozenset(disabled)


def _import_module(script: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("function_app", script)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"{script} cannot be imported")
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
        if btype in ("durableClient", "entityClient"):  # entityClient: the older name of the same binding
            client_name = binding.name
        elif btype == "http" and binding.name == "$return":
            returns_http = True
        elif btype in SUPPORTED_OUTPUT_BINDINGS and _direction(binding) == "OUT":
            outputs.append(OutputBinding(binding.name, btype, _plain(binding.get_dict_repr())))
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
        # ext EntityTriggerAttributeBindingProvider: EntityName ?? FunctionName, compared ignoring case.
        registered = str(settings.get("entityName") or name).lower()
        registry.entities[registered] = EntityFunction(registered, name, fn)
    else:
        raise UnsupportedBindingError(name, trigger.type)


def _direction(binding: Any) -> str:
    direction = binding.get_dict_repr().get("direction")
    return str(getattr(direction, "name", direction)).upper()


def _plain(settings: dict[str, Any]) -> dict[str, Any]:
    """Binding settings with enums turned into their wire strings."""
    return {k: getattr(v, "value", v) for k, v in settings.items()}
