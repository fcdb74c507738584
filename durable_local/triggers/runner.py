"""Running one triggered function: inputs, durable client, the shared invoker, outputs.

Every listener hands its trigger value here. :class:`TriggerRunner` reads the input bindings,
adds the durable client binding (the same JSON string an HTTP starter gets), calls the function
through the host's :class:`~durable_local.services.invocation.InvocationRunner` (in this process or a worker process) and writes the output
bindings, logging ``Executing``/``Executed`` lines in ``func start``'s format. A failure (the
user's exception or a binding error) is logged and re-raised for the listener to apply its
trigger's retry rules.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ..services.bindings import OutputBindings
from ..services.invocation import InputReader, Invocation, InvocationRunner
from ..services.invocation.conversion import has_implicit_output
from ..services.loader import TriggeredFunction

logger = logging.getLogger("durable_local")


class TriggerRunner:
    """See the module docstring. ``client_binding`` returns the durable client JSON of the host."""

    def __init__(
        self,
        invoker: InvocationRunner,
        inputs: InputReader,
        bindings: OutputBindings,
        client_binding: Callable[[], str],
    ) -> None:
        self.invoker = invoker
        self.inputs = inputs
        self.bindings = bindings
        self.client_binding = client_binding

    async def run(self, function: TriggeredFunction, argument: Any, binding_data: Mapping[str, Any], reason: str) -> Any:
        """Invoke ``function`` with its trigger argument; returns its value, raises its failure."""
        invocation_id = str(uuid.uuid4())
        logger.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", function.name, reason, invocation_id)
        started = time.monotonic()
        try:
            arguments: dict[str, Any] = {function.arg_name: argument}
            if function.client_name:
                arguments[function.client_name] = self.client_binding()
            if function.inputs:
                arguments.update(await self.inputs.read(function.inputs, binding_data, function.annotations))
            declared = tuple(o for o in function.outputs if o.name != "$return")
            returns = [o for o in function.outputs if o.name == "$return"]
            implicit = any(has_implicit_output(i.type) for i in function.inputs)
            outcome = await self.invoker.invoke(
                Invocation(
                    function.name,
                    arguments,
                    declared,
                    directory=function.directory,
                    return_allowed=bool(returns) or implicit,
                    invocation_id=invocation_id,
                )
            )
            values = dict(outcome.outputs)
            if returns and outcome.value is not None:
                values["$return"] = outcome.value
            await self.bindings.flush(function.outputs, values, binding_data)
        except Exception:
            logger.exception(
                "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)",
                function.name,
                invocation_id,
                (time.monotonic() - started) * 1000,
            )
            raise
        logger.info(
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
            function.name,
            invocation_id,
            (time.monotonic() - started) * 1000,
        )
        return outcome.value
