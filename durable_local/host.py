"""The engine facade: :class:`DurableHost`, the :class:`~durable_local.contracts.HostApi` the
front-ends and tests call, with the Durable extension's semantics and errors.

It is wired and run by :mod:`durable_local.composition`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Mapping

from .engine import entities
from .engine import history as h
from .engine.dispatch import Dispatcher
from .engine.entities import EntityId
from .engine.rewind import plan_rewind
from .errors import (
    EntityFunctionNotFound,
    InstanceGone,
    InstanceNotFound,
    InvalidInstanceId,
    InvalidOperation,
    OrchestratorNotFound,
)
from .instances import InstanceQuery, InstanceStatus, validate_instance_id
from .protocol import EXTENSION_VERSION, EventType, HistoryEvent, RuntimeStatus
from .records import EntityOperationRecord, EntityQuery, EntityRecord, InstanceRecord, OutboundMessage
from .services.clock import Clock
from .services.loader import Registry, StartupNotice
from .services.store import Store
from .workers.calls import WorkerInfo

logger = logging.getLogger("durable_local")

#: ext DurableClient.IsOrchestrationSuspendable
_SUSPENDABLE = frozenset({RuntimeStatus.RUNNING, RuntimeStatus.PENDING, RuntimeStatus.CONTINUED_AS_NEW})
#: ext DurableClient.SignalEntityAsyncInternal: entity keys may not hold these.
_FORBIDDEN_KEY_CHARS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


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
        self._warnings = 0
        dispatcher.on_commit(self._on_commit)

    @property
    def worker_processes(self) -> list[WorkerInfo] | None:
        """The worker processes running the app's code, or None when it runs in this process."""
        runner = self.dispatcher.runner
        return runner.workers() if runner.worker_count else None

    # -- starting ----------------------------------------------------------------------------
    async def start_orchestration(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        """Create an instance of orchestrator ``name``; returns its id.

        ``input_json`` is the JSON text stored as ExecutionStarted.Input. Raises
        :class:`OrchestratorNotFound`, :class:`InvalidInstanceId` or :class:`InstanceAlreadyExists`.
        """
        orchestrator = self.registry.orchestrators.get(name)
        if orchestrator is None or self.registry.is_disabled(orchestrator.function_name):
            # A disabled orchestrator is still a known name (ext ThrowIfOrchestratorFunctionIsDisabled).
            raise OrchestratorNotFound(name, list(self.registry.orchestrators))
        # ext: new ids are Guid.NewGuid().ToString("N"), 32 hex digits.
        instance_id = uuid.uuid4().hex if instance_id is None else validate_instance_id(instance_id)
        now = self.clock.now()
        execution_id = uuid.uuid4().hex
        start = h.execution_started(now, name=name, instance_id=instance_id, execution_id=execution_id, input_json=input_json)
        # ext HttpApiHandler / DurableClient.StartNewAsync: the dedupe statuses come from host.json
        # overridableExistingInstanceStates; with AnyState a running instance is replaced, not
        # terminated (a new execution; the old one's late results are dropped).
        self.store.create_instance(
            instance_id=instance_id,
            name=name,
            execution_id=execution_id,
            input_json=input_json,
            now=now,
            start_event=start,
            replace_live=self.registry.host.override_running,
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
        """Suspend a Running, Pending or ContinuedAsNew instance (ext ``DurableClient.SuspendAsync``)."""
        status = self._live(instance_id, "suspend")
        self._check_state(status, "suspend", _SUSPENDABLE)
        self._send(instance_id, h.execution_suspended(self.clock.now(), reason))

    async def resume(self, instance_id: str, reason: str | None) -> None:
        """Resume a Suspended instance (ext ``DurableClient.ResumeAsync``)."""
        status = self._live(instance_id, "resume")
        self._check_state(status, "resume", frozenset({RuntimeStatus.SUSPENDED}))
        self._send(instance_id, h.execution_resumed(self.clock.now(), reason))

    def _check_state(self, status: InstanceStatus, operation: str, allowed: frozenset[RuntimeStatus]) -> None:
        """The extension's state rule: a warning trace, then InvalidOperationException (HTTP 500)."""
        if status.runtime_status in allowed:
            return
        self._warnings += 1
        # ext EndToEndTraceHelper.ExtensionWarningEvent: "{details}. InstanceId: ..." where the
        # details end in a period themselves, hence the double period of the real log line.
        logger.warning(
            "Cannot %s orchestration instance in the %s state.. InstanceId: %s. Function: %s. HubName: %s. "
            "AppName: . SlotName: . ExtensionVersion: %s. SequenceNumber: %d.",
            operation,
            status.runtime_status,
            status.instance_id,
            status.name,
            self.hub_name,
            EXTENSION_VERSION,
            self._warnings,
        )
        raise InvalidOperation(
            f"Cannot {operation} the orchestration instance {status.instance_id} because instance is in the "
            f"{status.runtime_status} state."
        )

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
        """Rewind a Failed instance: its failed work runs again, completed work does not.

        ext ``DurableClient.RewindAsync`` (only Failed instances: InvalidOperationException
        otherwise) over the Azure Storage provider's rewind (:mod:`durable_local.engine.rewind`).
        """
        record = self.store.get_instance(instance_id)
        if record is None:
            raise InstanceNotFound(instance_id)
        if record.status.runtime_status is not RuntimeStatus.FAILED:
            raise InvalidOperation("The rewind operation is only supported on failed orchestration instances.")
        plan = plan_rewind(instance_id, reason, self.clock.now(), self._load_for_rewind)
        self.store.rewind(plan)
        for rewound in plan.instances:
            self.dispatcher.forget_history(rewound.instance_id)
        logger.info("%s: rewound (%d instance(s)); reason: %s", instance_id, len(plan.instances), reason)
        self.dispatcher.notify()

    def _load_for_rewind(self, instance_id: str) -> tuple[InstanceRecord, list[HistoryEvent]] | None:
        record = self.store.get_instance(instance_id)
        if record is None or record.status.runtime_status is not RuntimeStatus.FAILED:
            return None
        return record, self.store.get_history(instance_id)

    async def purge(self, instance_id: str) -> int:
        return self.store.purge(instance_id)

    async def purge_many(self, query: InstanceQuery) -> int:
        return self.store.purge_many(query)

    async def delete_task_hub(self) -> None:
        count = self.store.purge_many(InstanceQuery())
        logger.info("Deleted task hub '%s' (%d instances)", self.hub_name, count)

    # -- entities ----------------------------------------------------------------------------
    async def signal_entity(self, entity: EntityId, operation: str, input_text: str | None) -> None:
        """Queue a one-way operation for ``entity`` (ext ``DurableClient.SignalEntityAsync``).

        ``input_text`` is the operation input as the extension stores it (``RequestMessage``'s
        ``input``: JSON text), or None. Raises :class:`EntityFunctionNotFound` for an unknown
        entity name and :class:`InvalidInstanceId` for a key the extension refuses.
        """
        if entity.name not in self.registry.entities:
            raise EntityFunctionNotFound(entity.name, list(self.registry.entities))
        if _FORBIDDEN_KEY_CHARS.search(entity.key):
            raise InvalidInstanceId("Entity keys must not contain /, \\, #, ?, or control characters.")
        now = self.clock.now()
        # Client messages bypass the message sorter: random id, Timestamp DateTime.MinValue.
        request = entities.request_message(
            operation=operation, input_text=input_text, request_id=str(uuid.uuid4()), signal=True
        )
        self.store.enqueue(
            OutboundMessage(entity.instance_id, None, entities.request_event(now, request), now, auto_start=True)
        )
        logger.info("%s: signalled operation '%s'", entity.instance_id, operation)
        self.dispatcher.notify()

    async def read_entity(self, entity: EntityId) -> EntityRecord | None:
        """The entity as its last batch left it, or None when no batch has run for it.

        As on Azure Storage (ext ``ReadEntityStateAsync`` over DTFx's native entity queries), an
        entity counts as readable while it has a stored state, and an entity deleted with
        ``destruct_on_exit`` keeps the state text ``null``: it reads as existing with state null.
        """
        record = self.store.get_entity(entity.instance_id)
        return record if record is not None and record.state is not None else None

    async def list_entities(self, query: EntityQuery) -> tuple[list[EntityRecord], str | None]:
        return self.store.list_entities(query)

    async def entity_operations(self, entity: EntityId, limit: int = 20) -> list[EntityOperationRecord]:
        """The entity's most recent operations, newest first (the dashboard's view)."""
        return self.store.entity_operations(entity.instance_id, limit)

    async def clean_entity_storage(self) -> int:
        """Remove entities that do not exist and have nothing queued (ext ``CleanEntityStorageAsync``'s
        ``removeEmptyEntities``; the local store delivers in order, so no reorder window applies)."""
        removed = self.store.remove_empty_entities()
        logger.info("Removed %d empty entities", removed)
        return removed

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
