"""Import a Python v2 Functions app and index its functions, as the Python worker does.

``load_app(app_dir)`` prepares the process (:class:`~.environment.AppEnvironment`: app settings,
``sys.path``, module isolation), imports ``function_app.py``, finds the ``FunctionApp``/``DFApp``
object and turns ``app.get_functions()`` into a :class:`~.functions.Registry`. A trigger or
binding the local host does not emulate is a start-up error naming the function, never a
silent skip. ``Registry.close()`` undoes the process-wide changes.
"""

from __future__ import annotations

import importlib.util
import json
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
from .checks import check_connection, check_host_config, check_script, script_name
from .config import read_host_config, read_local_settings
from .environment import AppEnvironment
from .functions import (
    ActivityFunction,
    EntityFunction,
    HttpFunction,
    InputBinding,
    OrchestratorFunction,
    OutputBinding,
    Registry,
    TriggeredFunction,
    TriggerKind,
)
from .settings import AppSettings, resolve_binding
from .validation import annotations_of, validate_function

#: Output bindings whose data the local host writes itself (``durable_local.services.bindings``).
SUPPORTED_OUTPUT_BINDINGS = frozenset({"queue", "table", "blob"})
#: Input bindings the local host reads itself (``durable_local.services.invocation.inputs``).
SUPPORTED_INPUT_BINDINGS = frozenset({"blob", "table"})


def load_app(app_dir: str | os.PathLike[str]) -> Registry:
    """Import the app's script (``function_app.py``) from ``app_dir`` and index it; close the result when done.

    Raises :class:`AppLoadError` when the module cannot be imported, defines no app, clashes
    with an app loaded in this process or fails a start-up check (:mod:`.checks`,
    :mod:`.validation`, :mod:`.settings`), and :class:`UnsupportedBindingError` for a binding the
    local host cannot run. On any error the process is left as it was.
    """
    root = Path(app_dir).resolve()
    local_values = read_local_settings(root)
    name = script_name(os.environ, local_values)
    notices = check_script(root, name)
    script = root / name
    host = read_host_config(root)
    environment = AppEnvironment.enter(root, local_values, script.stem)
    try:
        settings = AppSettings()
        host, host_notices = check_host_config(host, settings)
        if environment.loaded is not None:  # already loaded in this process: share it
            first = environment.loaded
            return Registry(
                app_dir=root,
                orchestrators=dict(first.orchestrators),
                activities=dict(first.activities),
                entities=dict(first.entities),
                http=list(first.http),
                triggered=list(first.triggered),
                host=host,
                notices=list(first.notices),
                module=first.module,
                environment=environment,
                disabled=first.disabled,
            )
        module = _import_module(script)
        app = _find_app(module, script)
        registry = Registry(app_dir=root, host=host, module=module, environment=environment)
        registry.notices = notices + host_notices
        try:
            functions = app.get_functions()
        except Exception as err:  # the SDK's own validation errors (duplicate names, ...)
            raise AppLoadError(f"Indexing {script} failed: {err}") from err
        for function in functions:
            _index(registry, function, settings)
        registry.disabled = disabled_functions(registry.function_names(), os.environ)
        environment.loaded = registry
    except BaseException:
        environment.close()
        raise
    return registry


def disabled_functions(names: Iterable[str], values: Mapping[str, str]) -> frozenset[str]:
    """Functions switched off by ``AzureWebJobs.<name>.Disabled`` (or the Linux form
    ``AzureWebJobs_<name>_Disabled``) set to ``1`` or ``true`` (webjobs ``IsSettingEnabled``)."""
    disabled = set()
    for name in names:
        for key in (f"AzureWebJobs.{name}.Disabled", f"AzureWebJobs_{name}_Disabled"):
            if str(values.get(key, "")).strip().lower() in ("1", "true"):
                disabled.add(name)
    return frozenset(disabled)


def _import_module(script: Path) -> ModuleType:
    module_name = script.stem
    spec = importlib.util.spec_from_file_location(module_name, script)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"{script} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[module_name]
        raise AppLoadError(f"Importing {script} failed: {type(err).__name__}: {err}") from err
    return module


def _find_app(module: ModuleType, script: Path) -> FunctionRegister:
    apps = [v for v in vars(module).values() if isinstance(v, FunctionRegister)]
    if not apps:
        raise AppLoadError(f"{script} defines no FunctionApp or DFApp object")
    if len(apps) > 1:
        raise AppLoadError(f"{script} defines {len(apps)} FunctionApp objects; the worker expects one")
    return apps[0]


def _index(registry: Registry, function: Any, settings: AppSettings) -> None:
    name: str = function.get_function_name()
    fn = function.get_user_function()
    trigger = function.get_trigger()
    settings_repr = trigger.get_dict_repr()
    # The JSON the host receives from the worker: enums as their wire strings.
    raw = [json.loads(text) for text in function.get_raw_bindings()]
    validate_function(name, fn, raw)
    bindings = [resolve_binding(settings, name, binding) for binding in raw]
    for binding in bindings:
        check_connection(settings, name, binding)
    trigger_json = next(b for b in bindings if b.get("name") == trigger.name and b.get("type") == trigger.type)
    outputs: list[OutputBinding] = []
    inputs: list[InputBinding] = []
    client_name: str | None = None
    returns_http = False
    for binding in bindings:
        if binding is trigger_json:
            continue
        btype = str(binding.get("type"))
        direction = str(binding.get("direction", "IN")).upper()
        if btype in ("durableClient", "entityClient"):  # entityClient: the older name of the same binding
            client_name = str(binding["name"])
        elif btype == "http" and binding.get("name") == "$return":
            returns_http = True
        elif btype in SUPPORTED_OUTPUT_BINDINGS and direction == "OUT":
            outputs.append(OutputBinding(str(binding["name"]), btype, binding))
        elif btype in SUPPORTED_INPUT_BINDINGS and direction == "IN":
            inputs.append(InputBinding(str(binding["name"]), btype, binding))
        else:
            raise UnsupportedBindingError(name, btype)

    if trigger.type in ("orchestrationTrigger", "activityTrigger", "entityTrigger") and inputs:
        raise UnsupportedBindingError(
            name, inputs[0].type + " input", # orchestrationTrigger, activityTrigger, entityTrigger: "an" fits each
            f"Input bindings are supported on HTTP, timer, queue and blob functions, not on an {trigger.type}."
        )
    if trigger.type == "orchestrationTrigger":
        registered = settings_repr.get("orchestration") or name
        registry.orchestrators[registered] = OrchestratorFunction(registered, name, fn)
    elif trigger.type == "activityTrigger":
        registered = settings_repr.get("activity") or name
        registry.activities[registered] = ActivityFunction(registered, name, fn, trigger.name, tuple(outputs))
    elif trigger.type == "httpTrigger":
        methods = tuple(str(getattr(m, "value", m)).upper() for m in (settings_repr.get("methods") or ()))
        auth = settings_repr.get("authLevel")
        registry.http.append(
            HttpFunction(
                name=name,
                fn=fn,
                route=(settings_repr.get("route") or name).strip("/"),
                methods=methods or ("GET", "POST"),
                auth_level=str(getattr(auth, "value", auth) or "function").lower(),
                request_name=trigger.name,
                client_name=client_name,
                outputs=tuple(outputs),
                returns_http=returns_http,
                inputs=tuple(inputs),
            )
        )
    elif trigger.type in {kind.value for kind in TriggerKind}:
        registry.triggered.append(
            TriggeredFunction(
                name=name,
                kind=TriggerKind(trigger.type),
                fn=fn,
                arg_name=trigger.name,
                trigger=trigger_json,
                client_name=client_name,
                inputs=tuple(inputs),
                outputs=tuple(outputs),
                annotations=annotations_of(fn),
                directory=str(registry.app_dir),
            )
        )
    elif trigger.type == "entityTrigger":
        # ext EntityTriggerAttributeBindingProvider: EntityName ?? FunctionName, compared ignoring case.
        registered = str(settings_repr.get("entityName") or name).lower()
        registry.entities[registered] = EntityFunction(registered, name, fn)
    else:
        raise UnsupportedBindingError(name, trigger.type)
