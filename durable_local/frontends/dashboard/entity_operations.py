"""``GET /_dashboard/api/entities/{name}/{key}/operations``: an entity's recent operations.

Only the local host has this: the Durable extension keeps no operation log an API could read
(its traces go to the Functions host's logs). The page asks for it on an entity's detail view
and does without it when the host answers anything but 200 or 401 (``func start``).

Answer (200, ``application/json``)::

    {"entityId": {"name": "counter", "key": "k"},
     "operations": [{"at": "2026-01-05T09:00:00.000Z", "operation": "add", "caller": "inst-1",
                     "kind": "call", "succeeded": false, "result": null,
                     "error": "insufficient funds", "durationMs": 3}, ...]}

newest first. ``caller`` is the calling orchestration's instance id, or null for a client
signal (Python client, HTTP API). ``result`` is an operation's result as a JSON value (null when
it failed or set none); ``error`` the message of a failed one. The key ``$`` is the empty key,
as in the HTTP API's entity routes (ext ``HttpApiHandler.EmptyEntityKeySymbol``). ``limit``
(1 to :data:`MAX_LIMIT`, default :data:`DEFAULT_LIMIT`) caps the count; any other value is a
400 with a JSON body saying so. An entity with no recorded operation (unknown, purged) has an
empty list, so "not offered by this host" (404) stays distinguishable from "nothing yet".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from ...engine.entities import EntityId
from ...records import EntityOperationRecord

__all__ = [
    "DEFAULT_LIMIT",
    "EMPTY_KEY",
    "MAX_LIMIT",
    "OperationKind",
    "OperationView",
    "entity_from_path",
    "iso_ms",
    "operations_body",
    "parse_limit",
]

DEFAULT_LIMIT = 20
#: the store keeps the last 100 operations of each entity (``sqlite_entities.OPERATIONS_KEPT``)
MAX_LIMIT = 100
#: ext ``HttpApiHandler.EmptyEntityKeySymbol``
EMPTY_KEY = "$"


class OperationKind(Enum):
    """How the operation was sent: ``call_entity`` (the caller waits) or a one-way signal."""

    CALL = "call"
    SIGNAL = "signal"


@dataclass(frozen=True, slots=True)
class OperationView:
    """One recorded operation as the page shows it (see the module docstring for the JSON)."""

    at: datetime
    operation: str
    caller: str | None
    kind: OperationKind
    succeeded: bool
    #: the result as a JSON value (succeeded operations only)
    result: Any
    #: the error message (failed operations only)
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, record: EntityOperationRecord) -> OperationView:
        decoded = _decode(record.result)
        if record.succeeded:
            result, error = decoded, None
        else:
            # The SDK reports a failure as df_dumps(str(exc)), a JSON string; the extension's own
            # timeout text is not JSON (ext TaskEntityShim, SDK ResponseMessage): keep it as it is.
            result, error = None, decoded if isinstance(decoded, str) else (record.result or "")
        return cls(
            at=record.at,
            operation=record.operation,
            caller=record.caller,
            kind=OperationKind.SIGNAL if record.signal else OperationKind.CALL,
            succeeded=record.succeeded,
            result=result,
            error=error,
            duration_ms=record.duration_ms,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_ms(self.at),
            "operation": self.operation,
            "caller": self.caller,
            "kind": self.kind.value,
            "succeeded": self.succeeded,
            "result": self.result,
            "error": self.error,
            "durationMs": self.duration_ms,
        }


def _decode(text: str | None) -> Any:
    """JSON text as a value; text that is not JSON stays text; None stays None."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def iso_ms(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with milliseconds and ``Z`` (what JavaScript parses)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entity_from_path(name: str, key: str) -> EntityId:
    """The entity of the route's ``{name}`` and ``{key}`` (``$``: the empty key; name lowercased)."""
    return EntityId.of(name, "" if key == EMPTY_KEY else key)


def parse_limit(text: str | None) -> int:
    """The ``limit`` query parameter; ValueError with a message for the 400 otherwise."""
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}, not '{text}'.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be from 1 to {MAX_LIMIT}, not {limit}.")
    return limit


def operations_body(entity: EntityId, records: list[EntityOperationRecord]) -> dict[str, Any]:
    """The 200 body for ``entity``'s ``records`` (newest first, as the host returns them)."""
    return {
        "entityId": {"name": entity.name, "key": entity.key},
        "operations": [OperationView.of(record).to_json() for record in records],
    }
