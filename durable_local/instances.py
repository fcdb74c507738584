"""Value types describing orchestration instances, shared by the store, the host and the HTTP API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .errors import InvalidInstanceId
from .protocol import RuntimeStatus

#: The extension's limit on instance ids (ext: ContextImplementations/DurableClient.cs).
MAX_INSTANCE_ID_LENGTH = 256
_FORBIDDEN_ID_CHARS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


def validate_instance_id(instance_id: str, *, starting: bool = True) -> str:
    """Return ``instance_id`` or raise :class:`InvalidInstanceId` as the extension would.

    Rules from ``DurableClient.ValidateInstanceId``: not empty, at most 256 characters, no
    leading ``@`` (reserved for entities), none of ``/ \\ # ?`` and no control characters.
    ``starting=False`` is for looking an instance up: entity instances (``@name@key``) are
    instances too, so the ``@`` rule, which guards new orchestrations only, does not apply.
    """
    if not instance_id:
        raise InvalidInstanceId("Instance ID must not be empty.")
    if len(instance_id) > MAX_INSTANCE_ID_LENGTH:
        raise InvalidInstanceId(f"Instance ID length must not exceed {MAX_INSTANCE_ID_LENGTH} characters.")
    if starting and instance_id.startswith("@"):
        raise InvalidInstanceId(f"Orchestration instance ids must not start with @: '{instance_id[:50]}'")
    if _FORBIDDEN_ID_CHARS.search(instance_id):
        raise InvalidInstanceId(
            "Instance ID must not contain /, \\, #, ?, or control characters."
        )
    return instance_id


@dataclass(frozen=True)
class InstanceStatus:
    """One instance as the status API shows it. JSON-valued fields hold JSON *text* (or None)."""

    instance_id: str
    name: str
    runtime_status: RuntimeStatus
    execution_id: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_at: datetime
    last_updated_at: datetime
    parent_instance_id: str | None = None


@dataclass(frozen=True)
class InstanceQuery:
    """Filters of ``GET /instances`` and ``DELETE /instances`` (all optional, combined with AND)."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    statuses: frozenset[RuntimeStatus] = field(default_factory=frozenset)
    instance_id_prefix: str | None = None
    top: int | None = None
    continuation_token: str | None = None
