"""The HTTP starters' and views' use of the durable client: find, start once, read status.

Shared by :mod:`.api` (approvals) and :mod:`.reminders_api` (reminders).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from .domain import ACTIVE_RUNTIME_STATUSES
from .responses import ErrorCode, error_response
from .validation import check_instance_id

logger = logging.getLogger(__name__)


def decode_json_value(value: Any) -> Any:
    """A status field as a JSON value: JSON text holding an object or array is decoded.

    The extension returns ``customStatus``/``output`` as JSON values, but a value that went
    through a double encoding (see SDK issue #295) arrives as JSON text; accept both.
    """
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def runtime_status_of(status: df.DurableOrchestrationStatus) -> str | None:
    runtime = status.runtime_status
    return runtime.value if runtime is not None else None


async def find_instance(
    client: df.DurableOrchestrationClient, instance_id: str, orchestrator: str
) -> df.DurableOrchestrationStatus | None:
    """The status of ``instance_id``; ``None`` if unknown or not an ``orchestrator`` instance."""
    if check_instance_id(instance_id):
        return None
    status = await client.get_status(instance_id)
    # An unknown id yields a falsy status object (the extension answers 404 with no body).
    if not status or status.name != orchestrator:
        return None
    return status


async def active_instance_conflict(
    client: df.DurableOrchestrationClient, instance_id: str
) -> func.HttpResponse | None:
    """A 409 response if ``instance_id`` exists and is not in a terminal state."""
    status = await client.get_status(instance_id)
    runtime = runtime_status_of(status) if status else None
    if runtime in ACTIVE_RUNTIME_STATUSES:
        return error_response(
            HTTPStatus.CONFLICT, ErrorCode.CONFLICT,
            f"Instance {instance_id!r} already exists and is {runtime}; "
            "choose another instanceId or wait until it has finished.",
            instanceId=instance_id, runtimeStatus=runtime,
        )
    return None


async def start_once(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    orchestrator: str,
    instance_id: str | None,
    orchestration_input: Any,
) -> func.HttpResponse:
    """Start ``orchestrator``: 202 with the check-status payload, or 409 if the id is active.

    The extension replaces a *finished* instance with the same id (its default
    ``OverridableExistingInstanceStates``), so only an active one is a conflict.
    """
    if instance_id is not None:
        conflict = await active_instance_conflict(client, instance_id)
        if conflict is not None:
            return conflict
    try:
        started = await client.start_new(orchestrator, instance_id, orchestration_input)
    except Exception:
        # Lost a race with a concurrent start using the same id: the extension refuses to
        # replace an active instance. Anything else is a genuine server error.
        if instance_id is not None:
            conflict = await active_instance_conflict(client, instance_id)
            if conflict is not None:
                return conflict
        raise
    logger.info("Started %s instance %s", orchestrator, started)
    response: func.HttpResponse = client.create_check_status_response(req, started)
    return response
