"""The engine facade: :class:`DurableHost`, the :class:`~durable_local.contracts.HostApi` the
front-ends and tests call, with the Durable extension's semantics and errors.

It is wired and run by :mod:`durable_local.composition`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping

from .engine import history as h
from .engine.dispatch import Dispatcher
from .errors import InstanceGone, InstanceNotFound, NotSupportedError, OrchestratorNotFound
from .instances import InstanceQuery, InstanceStatus, validate_instance_id
from .protocol import EventType, HistoryEvent, RuntimeStatus
from .records import OutboundMessage
from .services.clock import Clock
from .services.loader import Registry, StartupNotice
from .services.store import Store

logger = logging.getLogger("durable_local")


class DurableHost:
    """Management operations on a task hub, with the extension's semantics and errors."""

    def __init__(
        self,
        registry: Registry,
        store: Store,
        clock: Clock,
        *,
        hub_name: str,
        dispatcher: Dispatcher,
        function_keys: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self.hub_name = hub_name
        self.dispatcher = dispatcher
        self.function_keys = function_keys
        self.base_url = ""
        #: where the instance dashboard is served, once the HTTP server listens
        self.dashboard_url: str | None = None
        #: what start-up has to say (settings, storage provider, unreachable storage)
        self.notices: list[StartupNotice] = list(registry.notices)
        self._watchers: list[asyncio.Future[None]] = []
        dispatcher.on_commit(self._on_commit)

    # -- starting ----------------------------------------------------------------------------
    async def start_orchestration(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        """Create an instance of orchestrator ``name``; returns its id.

        ``input_json`` is the JSON text stored as ExecutionStarted.Input. Raises
        :class:`OrchestratorNotFound`, :class:`InvalidInstanceId` or :class:`InstanceAlreadyExists`.
        """
        if name not in self.registry.orchestrators:
            raise OrchestratorNotFound(name)
        # ext: new ids are Guid.NewGuid().ToString("N"), 32 hex digits.
        instance_id = uuid.uuid4().hex if instance_id is None else validate_instance_id(instance_id)
        now = self.clock.now()
        execution_id = uuid.uuid4().hex
        start = h.execution_started(now, name=name, instance_id=instance_id, execution_id=execution_id, input_json=input_json)
        self.store.create_instance(
            instance_id=instance_id, name=name, execution_id=execution_id, input_json=input_json, now=now, start_event=start
        )
        logger.info("%s: started orchestration '%s'", instance_id, name)
        self.dispatcher.notify()
        return instance_id

    # -- reading -----------------------------------------------------------------------------
    async def get_status(self, instance_id: str) -> InstanceStatus | None:
        record = self.store.get_instance(instance_id)
        return record.status if record is not None else None

    async def get_history(self, instance_id: str) -> list[HistoryEvent] | None:
        if self.store.get_instance(instance_id) is None:
            return None
        return self.store.get_history(instance_id)

    async def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        return self.store.list_instances(query)

    # -- events and control ------------------------------------------------------------------
    def _live(self, instance_id: str, operation: str) -> InstanceStatus:
        record = self.store.get_instance(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        if record.status.runtime_status.is_terminal:
            raise InstanceGone(instance_id, str(record.status.runtime_status), operation)
        return record.status

    def _send(self, instance_id: str, event: HistoryEvent) -> None:
        self.store.enqueue(OutboundMessage(instance_id, None, event, self.clock.now()))
        self.dispatcher.notify()

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        """Queue EventRaised; the SDK buffers it if nobody waits yet (protocol notes 6.2)."""
        self._live(instance_id, "raise an event for")
        self._send(instance_id, h.event_raised(self.clock.now(), name, input_json))

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "terminate")
        self._send(instance_id, h.execution_terminated(self.clock.now(), reason))

    async def suspend(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "suspend")
        self._send(instance_id, h.execution_suspended(self.clock.now(), reason))

    async def resume(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "resume")
        self._send(instance_id, h.execution_resumed(self.clock.now(), reason))

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the same orchestrator with the same input, under a new id or the same one."""
        record = self.store.get_instance(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        history = self.store.get_history(instance_id)
        started = next((e for e in history if e["EventType"] == EventType.EXECUTION_STARTED), None)
        input_json = started.get("Input") if started else record.status.input
        return await self.start_orchestration(record.status.name, None if new_instance_id else instance_id, input_json)

    async def rewind(self, instance_id: str, reason: str | None) -> None:
        raise NotSupportedError(
            "Rewind is not supported by the local Durable host (it is a preview feature of the extension); "
            "restart the instance instead."
        )

    async def purge(self, instance_id: str) -> int:
        return self.store.purge(instance_id)

    async def purge_many(self, query: InstanceQuery) -> int:
        return self.store.purge_many(query)

    async def delete_task_hub(self) -> None:
        count = self.store.purge_many(InstanceQuery())
        logger.info("Deleted task hub '%s' (%d instances)", self.hub_name, count)

    # -- waiting (tests, wait-for-completion) -------------------------------------------------
    async def wait_for_status(self, instance_id: str, statuses: set[RuntimeStatus], timeout: float) -> InstanceStatus:
        """Wait until the instance reaches one of ``statuses``; raises TimeoutError with its state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status = await self.get_status(instance_id)
            if status is not None and status.runtime_status in statuses:
                return status
            remaining = deadline - loop.time()
            if remaining <= 0:
                state = status.runtime_status if status else "not found"
                raise TimeoutError(f"{instance_id} is {state} after {timeout}s, expected one of {sorted(statuses)}")
            await self.changed(min(remaining, 0.5))

    async def changed(self, timeout: float) -> None:
        """Return after the next committed change (or ``timeout`` seconds)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watchers.append(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            if future in self._watchers:
                self._watchers.remove(future)

    def _on_commit(self) -> None:
        watchers, self._watchers = self._watchers, []
        for future in watchers:
            if not future.done():
                future.set_result(None)
