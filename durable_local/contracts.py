"""What the front-ends (HTTP, dashboard, CLI) need from a host: the :class:`HostApi` protocol.

:class:`durable_local.host.DurableHost` implements it over the engine; ``tests/http/fake_host.py``
implements it in memory to drive every branch of the HTTP layer. Both are checked against it by
mypy. Every method's errors come from :mod:`durable_local.errors`, and the HTTP layer maps them
to the extension's status codes (:mod:`durable_local.frontends.http.responses`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .engine.entities import EntityId
from .instances import InstanceQuery, InstanceStatus
from .protocol import HistoryEvent
from .records import EntityOperationRecord, EntityQuery, EntityRecord
from .services.clock import TimeSource
from .services.loader import Registry
from .workers.calls import WorkerInfo


class HostApi(Protocol):
    """A task hub being served: its app, its identity, and the management operations."""

    @property
    def registry(self) -> Registry:
        """The app's functions (HTTP routes, orchestrators)."""

    @property
    def hub_name(self) -> str: ...

    @property
    def clock(self) -> TimeSource:
        """The host's (possibly virtual) time; "now" for defaults such as purge's ``createdTimeTo``."""

    @property
    def function_keys(self) -> Mapping[str, str] | None:
        """The configured keys, or None when keys are off (as under ``func start``)."""

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` the host is served on (empty until it listens)."""

    @property
    def worker_processes(self) -> list[WorkerInfo] | None:
        """The worker processes running the app's code, or None when it runs in the host's process."""

    async def start_orchestration(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        """Create an instance; returns its id. Raises ``OrchestratorNotFound``, ``InvalidInstanceId``,
        ``InstanceAlreadyExists``."""

    async def get_status(self, instance_id: str) -> InstanceStatus | None:
        """The instance's status, or None."""

    async def get_history(self, instance_id: str) -> list[HistoryEvent] | None:
        """The current execution's raw history, or None for an unknown instance."""

    async def list_instances(self, query: InstanceQuery) -> tuple[list[InstanceStatus], str | None]:
        """A page of instances and the continuation token of the next one. Raises ``ClientRequestError``."""

    async def raise_event(self, instance_id: str, name: str, input_json: str | None) -> None:
        """Queue an external event. Raises ``InstanceNotFound``, ``InstanceGone``."""

    async def terminate(self, instance_id: str, reason: str | None) -> None:
        """Raises ``InstanceNotFound``, ``InstanceGone``."""

    async def suspend(self, instance_id: str, reason: str | None) -> None:
        """Raises ``InstanceNotFound``, ``InstanceGone``."""

    async def resume(self, instance_id: str, reason: str | None) -> None:
        """Raises ``InstanceNotFound``, ``InstanceGone``."""

    async def restart(self, instance_id: str, new_instance_id: bool = True) -> str:
        """Start the same orchestrator with the same input; returns the new id. Raises ``InstanceNotFound``."""

    async def rewind(self, instance_id: str, reason: str | None) -> None:
        """Rewind a Failed instance. Raises ``InstanceNotFound``, ``NotSupportedError``."""

    async def purge(self, instance_id: str) -> int:
        """Delete one instance; returns 0 or 1."""

    async def purge_many(self, query: InstanceQuery) -> int:
        """Delete the instances matching ``query``; returns how many."""

    async def delete_task_hub(self) -> None:
        """Delete every instance of the hub."""

    async def signal_entity(self, entity: EntityId, operation: str, input_text: str | None) -> None:
        """Queue a one-way entity operation (``input_text``: the request's JSON text input, or None).
        Raises ``EntityFunctionNotFound``, ``InvalidInstanceId``."""

    async def read_entity(self, entity: EntityId) -> EntityRecord | None:
        """The entity if it has a stored state, else None."""

    async def list_entities(self, query: EntityQuery) -> tuple[list[EntityRecord], str | None]:
        """A page of entities and the continuation token of the next one. Raises ``ClientRequestError``."""

    async def entity_operations(self, entity: EntityId, limit: int = 20) -> list[EntityOperationRecord]:
        """The entity's most recent operations, newest first."""

    async def clean_entity_storage(self) -> int:
        """Remove entities that do not exist and have nothing queued; returns how many."""

    async def changed(self, timeout: float) -> None:
        """Return after the next committed change, or after ``timeout`` seconds."""
