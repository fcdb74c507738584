"""The function model of a loaded app: what the host needs to know about each function.

Values only: :mod:`.indexing` builds them from ``app.get_functions()``, the engine and the HTTP
front-end read them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .config import HostConfig

if TYPE_CHECKING:
    from .environment import AppEnvironment


@dataclass(frozen=True)
class OutputBinding:
    """An output binding declared on a function (``queue_output``, ``table_output``)."""

    name: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class InputBinding:
    """An input binding the local host reads for the function (``blob_input``, ``table_input``).

    ``settings`` is the binding's JSON with ``%NAME%`` resolved; ``{...}`` binding expressions
    in ``path``/``rowKey``/... are resolved per invocation from the trigger's data.
    """

    name: str
    type: str
    settings: dict[str, Any]


class TriggerKind(StrEnum):
    """Triggers served by listeners (:mod:`durable_local.triggers`), by their binding type."""

    TIMER = "timerTrigger"
    QUEUE = "queueTrigger"
    BLOB = "blobTrigger"


@dataclass(frozen=True)
class TriggeredFunction:
    """A function started by a timer, queue or blob trigger (see :mod:`durable_local.triggers`).

    ``trigger`` is the trigger binding's JSON with ``%NAME%`` resolved; ``annotations`` are the
    parameters' resolved type hints, which pick the worker's converter for each argument.
    """

    name: str
    kind: TriggerKind
    fn: Callable[..., Any]
    arg_name: str
    trigger: dict[str, Any]
    client_name: str | None = None
    inputs: tuple[InputBinding, ...] = ()
    outputs: tuple[OutputBinding, ...] = ()
    annotations: Mapping[str, Any] = field(default_factory=dict)
    directory: str = ""

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


class NoticeLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"


@dataclass(frozen=True)
class StartupNotice:
    """A line the host prints at start-up (``func start`` prints its warnings the same way)."""

    level: NoticeLevel
    message: str


@dataclass(frozen=True)
class OrchestratorFunction:
    """An orchestrator, registered under the trigger's ``orchestration`` name or the function name."""

    name: str
    function_name: str
    handle: Callable[[Any], str]


@dataclass(frozen=True)
class EntityFunction:
    """A function-based entity: ``handle(batch request JSON) -> batch reply JSON`` (SDK ``Entity.create``).

    ``name`` is the registered name lowercased (ext ``EntityId``): the trigger's ``entityName``,
    else the function name; lookups are case-insensitive.
    """

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
    inputs: tuple[InputBinding, ...] = ()

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


@dataclass
class Registry:
    """Every function of a loaded app, by role. :meth:`close` unloads the app's modules."""

    app_dir: Path
    orchestrators: dict[str, OrchestratorFunction] = field(default_factory=dict)
    activities: dict[str, ActivityFunction] = field(default_factory=dict)
    entities: dict[str, EntityFunction] = field(default_factory=dict)
    http: list[HttpFunction] = field(default_factory=list)
    #: timer, queue and blob triggered functions
    triggered: list[TriggeredFunction] = field(default_factory=list)
    host: HostConfig = field(default_factory=HostConfig)
    #: what start-up has to say (storage provider, settings), printed by the CLI
    notices: list[StartupNotice] = field(default_factory=list)
    #: the imported function_app module
    module: ModuleType | None = None
    #: the process-wide changes made while the app is loaded (None: nothing to undo)
    environment: AppEnvironment | None = field(default=None, repr=False)
    #: function names switched off by ``AzureWebJobs.<name>.Disabled`` app settings
    disabled: frozenset[str] = frozenset()

    def function_names(self) -> list[str]:
        """Every function's Functions name (not the orchestration/activity/entity override)."""
        names = [f.function_name for f in self.orchestrators.values()]
        names += [f.function_name for f in self.activities.values()]
        names += [f.function_name for f in self.entities.values()]
        names += [f.name for f in self.http]
        names += [f.name for f in self.triggered]
        return names

    def is_disabled(self, function_name: str) -> bool:
        return function_name in self.disabled

    def invocable(self, function_name: str) -> Callable[..., Any]:
        """The user function of an HTTP- or trigger-started function, by its Functions name.

        Raises KeyError for a name that is neither (orchestrators, activities and entities are
        reached through their own tables).
        """
        for http in self.http:
            if http.name == function_name:
                return http.fn
        for triggered in self.triggered:
            if triggered.name == function_name:
                return triggered.fn
        raise KeyError(function_name)

    def describe(self) -> list[tuple[str, str]]:
        """``(function name, kind)`` pairs in a stable order, for start-up banners."""
        rows = [(f.name, f"orchestrationTrigger ({n})") for n, f in self.orchestrators.items()]
        rows += [(f.name, "activityTrigger") for f in self.activities.values()]
        rows += [(f.function_name, f"entityTrigger ({n})") for n, f in self.entities.items()]
        rows += [(f.name, f"[{','.join(f.methods)}] {f.route}") for f in self.http]
        rows += [(f.name, str(f.kind)) for f in self.triggered]
        return sorted(rows)

    def close(self) -> None:
        """Undo what loading the app changed in this process (modules, ``sys.path``, environment)."""
        if self.environment is not None:
            self.environment.close()
            self.environment = None

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
