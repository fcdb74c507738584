"""An in-memory test double of :class:`durable_local.contracts.HostApi` (mypy checks that it conforms).

It runs no orchestrations: instances are rows the tests move between statuses with
:meth:`FakeHost.set_status`. Enough to drive every branch of the HTTP layer without the engine.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from durable_local.contracts import HostApi
from durable_local.engine.entities import EntityId
from durable_local.errors import (
    EntityFunctionNotFound,
    InstanceAlreadyExists,
    InstanceGone,
    InstanceNotFound,
    OrchestratorNotFound,
)
from durable_local.instances import InstanceQuery, InstanceStatus, validate_instance_id
from durable_local.protocol import HistoryEvent, RuntimeStatus
from durable_local.records import EntityOperationRecord, EntityQuery, EntityRecord
from durable_local.services.loader import Registry
from durable_local.workers import WorkerInfo

START = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class FakeHost:
    def __init__(
        self, registry: Registry, hub_name: str = "TestHubName", function_keys: dict[str, str] | None = None
    ) -> None:
        self.registry = registry
        self.hub_name = hub_name
        self.function_keys = function_keys
        self.clock = FakeClock()
        self.base_url = "http://127.0.0.1:7071"
        self.instances: dict[str, InstanceStatus] = {}
        self.histories: dict[str, list[HistoryEvent]] = {}
        self.calls: list[tuple[Any, ...]] = []
        #: When set, a started instance is Completed at once with this output (JSON text).
        self.complete_on_start: str | None = None
        self._changed = asyncio.Event()
        self.entities: dict[str, EntityRecord] = {}
        #: None: the app runs in the host's process
        self.worker_processes: list[WorkerInfo] | None = None

    # -- helpers for tests ---------------------------------------------------------------

    def add(self, instance_id: str, status: RuntimeStatus = RuntimeStatus.RUNNING, **fields: Any) -> InstanceStatus:
        now = self.clock.now()
        row = InstanceStatus(
            instance_id=instance_id,
            name=fields.pop("name", "hello_orchestrator"),
            runtime_status=status,
            execution_id=uuid.uuid4().hex,
            input=fields.pop("input", None),
            output=fields.pop("output", None),
            custom_status=fields.pop("custom_status", None),
            created_at=fields.pop("created_at", now),
            last_updated_at=fields.pop("last_updated_at", now),
        )
        self.instances[instance_id] = row
        self._changed.set()
        return row

    def set_status(self, instance_id: str, status: RuntimeStatus, **fields: Any) -> None:
        self.instances[instance_id] = replace(self.instances[instance_id], runtime_status=status, **fields)
        self._changed.set()

    # -- the contract --------------------------------------------------------------------

    async def start_orchestration(
        self, name: str, instance_id: str | None = None, input_json: str | None = None
    ) -> str:
        self.calls.append(("start", name, instance_id, input_json))
        if name not in self.registry.orchestrators:
            raise OrchestratorNotFound(name)
        new_id = validate_instance_id(instance_id) if instance_id is not None else uuid.uuid4().hex
        existing = self.instances.get(new_id)
        if existing is not None and not existing.runtime_status.is_terminal:
            raise InstanceAlreadyExists(new_id, existing.runtime_status)
        self.add(new_id, name=name, input=input_json)
        if self.complete_on_start is not None:
            self.set_status(new_id, RuntimeStatus.COMPLETED, output=self.complete_on_start)
        self.clock.advance(timedelta(seconds=1))
        return new_id

    async def get_status(self, instance_id: str) -> InstanceStatus | None:
        return self.instances.get(instance_id)

    async def get_history(self, instance_id: str) -> list[HistoryEvent] | None:
        return self.histories.get(instance_id) if instance_id in self.instances else None

    def _matching(self, query: InstanceQuery) -> list[InstanceStatus]:
        rows = sorted(self.instances.values(), key=lambda s: (s.created_at, s.instance_id))
        if query.created_from is not None:
            rows = [r for r in rows if r.created_at >= query.created_from]
        if query.created_to is not None:
            rows = [r for r in rows if r.created_at <= query.created_to]
        if query.statuses:
            rows = [r for r in rows if r.runtime_status in query.statuses]
        if query.instance_id_prefix:
            rows = [r for r in rows if r.instance_id.startswith(query.instance_id_prefix)]
        return rows

    async def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        self.calls.append(("list", query))
        rows = self._matching(query)
        start = int(query.continuation_token or 0)
        if query.top is None:
            return rows[start:], None
        page = rows[start : start + query.top]
        more = start + query.top < len(rows)
        return page, str(start + query.top) if more else None

    def _live(self, instance_id: str, operation: str) -> InstanceStatus:
        row = self.instances.get(instance_id)
        if row is None:
            raise InstanceNotFound(instance_id)
        if row.runtime_status.is_terminal:
            raise InstanceGone(instance_id, row.runtime_status, operation)
        return row

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        self._live(instance_id, "raise an event for")
        self.calls.append(("raise_event", instance_id, name, input_json))

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "terminate")
        self.calls.append(("terminate", instance_id, reason))
        self.set_status(instance_id, RuntimeStatus.TERMINATED, output=json.dumps(reason))

    async def suspend(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "suspend")
        self.calls.append(("suspend", instance_id, reason))
        self.set_status(instance_id, RuntimeStatus.SUSPENDED)

    async def resume(self, instance_id: str, reason: str | None) -> None:
        self._live(instance_id, "resume")
        self.calls.append(("resume", instance_id, reason))
        self.set_status(instance_id, RuntimeStatus.RUNNING)

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        row = self.instances.get(instance_id)
        if row is None:
            raise InstanceNotFound(instance_id)
        self.calls.append(("restart", instance_id, new_instance_id))
        target = uuid.uuid4().hex if new_instance_id else instance_id
        return await self.start_orchestration(row.name, target, row.input)

    async def rewind(self, instance_id: str, reason: str | None) -> None:
        self.calls.append(("rewind", instance_id, reason))
        self.set_status(instance_id, RuntimeStatus.PENDING)

    async def purge(self, instance_id: str) -> int:
        self.calls.append(("purge", instance_id))
        return 1 if self.instances.pop(instance_id, None) is not None else 0

    async def purge_many(self, query: InstanceQuery) -> int:
        self.calls.append(("purge_many", query))
        rows = self._matching(query)
        for row in rows:
            del self.instances[row.instance_id]
        return len(rows)

    async def delete_task_hub(self) -> None:
        self.calls.append(("delete_task_hub",))
        self.instances.clear()

    # -- entities: rows the tests put in, signals recorded ---------------------------------

    def add_entity(self, name: str, key: str, state: str | None, exists: bool = True) -> EntityRecord:
        entity = EntityId.of(name, key)
        row = EntityRecord(entity.instance_id, entity.name, entity.key, exists, state, self.clock.now())
        self.entities[entity.instance_id] = row
        return row

    async def signal_entity(self, entity: EntityId, operation: str, input_text: str | None) -> None:
        if entity.name not in self.registry.entities:
            raise EntityFunctionNotFound(entity.name, list(self.registry.entities))
        self.calls.append(("signal_entity", entity.instance_id, operation, input_text))

    async def read_entity(self, entity: EntityId) -> EntityRecord | None:
        row = self.entities.get(entity.instance_id)
        return row if row is not None and row.state is not None else None

    async def list_entities(self, query: EntityQuery) -> tuple[list[EntityRecord], str | None]:
        self.calls.append(("list_entities", query))
        rows = sorted(self.entities.values(), key=lambda e: (e.last_operation_at, e.instance_id))
        if query.instance_id_prefix:
            rows = [r for r in rows if r.instance_id.startswith(query.instance_id_prefix)]
        if query.require_exists:
            rows = [r for r in rows if r.exists]
        if query.require_state:
            rows = [r for r in rows if r.state is not None]
        return rows, None

    async def entity_operations(self, entity: EntityId, limit: int = 20) -> list[EntityOperationRecord]:
        return []

    async def clean_entity_storage(self) -> int:
        empty = [i for i, e in self.entities.items() if not e.exists]
        for instance_id in empty:
            del self.entities[instance_id]
        return len(empty)

    async def changed(self, timeout: float) -> None:
        """Return after the next added or changed instance, or after ``timeout`` seconds."""
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass


def _conforms(host: FakeHost) -> HostApi:
    return host  # mypy: FakeHost implements the HostApi protocol
