"""The one place where the host calls an HTTP- or trigger-started user function in this process.

Arguments in, return value and output binding values out: :class:`Invoker` rebuilds portable
trigger values (:mod:`.portable`), adds a fresh ``func.Out`` per output binding and the
``context`` parameter when the function asks for it (worker: ``requires_context``), runs async
functions on the running loop (the Durable SDK keeps one aiohttp session bound to the loop it
was first used on) and sync ones in a thread pool with the caller's context variables, and
returns what was set. It performs no binding I/O: callers read inputs before and write outputs
after, as the Functions host does around the worker.

An :class:`Invocation` names its function instead of holding it, and carries only values that
pickle, so the same invocation runs here or in a worker process (:mod:`durable_local.workers`),
which calls an :class:`Invoker` over its own import of the app. Callers depend on the
:class:`InvocationRunner` protocol, which both satisfy.

A non-None return value without a ``$return`` binding (or an implicit output) fails the
invocation with the worker's message (worker ``dispatcher._handle__invocation_request``: the
two string literals are joined without a space, "…$return bindingreturned…", reproduced).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..bindings.values import prepare_outputs, set_values
from ..loader import OutputBinding, Registry
from .context import InvocationContext
from .portable import materialize


@dataclass(frozen=True)
class Invocation:
    """One call: the function's name, its prepared arguments (trigger, inputs, client) and its outputs."""

    function_name: str
    arguments: Mapping[str, Any]
    outputs: tuple[OutputBinding, ...] = ()
    directory: str = ""
    #: True when a non-None return value has somewhere to go ($return or an implicit output)
    return_allowed: bool = True
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class InvocationResult:
    """What the function returned and what it ``set`` on its outputs (by parameter name)."""

    invocation_id: str
    value: Any
    outputs: dict[str, Any]


class InvocationRunner(Protocol):
    """Runs an invocation wherever the app's code lives; the function's failure propagates as an exception."""

    async def invoke(self, invocation: Invocation) -> InvocationResult: ...


class Invoker:
    """Calls user functions of ``registry`` in this process; user exceptions propagate to the caller."""

    def __init__(self, registry: Registry, pool: Executor | None = None) -> None:
        self.registry = registry
        self._pool = pool

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        fn = self.registry.invocable(invocation.function_name)
        kwargs = materialize(invocation.arguments)
        outs = prepare_outputs(invocation.outputs)
        kwargs.update(outs)
        if wants_context(fn, kwargs):
            kwargs["context"] = InvocationContext(invocation.invocation_id, invocation.function_name, invocation.directory)
        if inspect.iscoroutinefunction(fn):
            value = await fn(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            call = functools.partial(contextvars.copy_context().run, fn, **kwargs)
            value = await loop.run_in_executor(self._pool, call)
        if value is not None and not invocation.return_allowed:
            raise RuntimeError(f"function {invocation.function_name!r} without a $return binding" "returned a non-None value")
        return InvocationResult(invocation.invocation_id, value, set_values(outs))


@functools.cache
def _parameters(fn: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return frozenset()


def wants_context(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> bool:
    """True when ``fn`` has a ``context`` parameter that no binding fills (worker ``is_context_required``)."""
    return "context" in _parameters(fn) and "context" not in kwargs
