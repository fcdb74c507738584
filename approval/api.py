"""HTTP endpoints of the approval workflow. Thin: parse, validate, call the durable client.

=======  ======================================  ==============================================
POST     /api/approvals                          start an approval (202 + check-status payload)
GET      /api/approvals/{instanceId}             business view of one approval
POST     /api/approvals/{instanceId}/decision    approve or reject (raises ``ApprovalDecision``)
POST     /api/orchestrators/{functionName}       generic starter (Microsoft Learn's ``HttpStart``)
=======  ======================================  ==============================================

Every error is a JSON object ``{"error": <code>, "message": <text>, ...}``; a 400 lists every
invalid field under ``errors``. Authorization is the app's ``FUNCTION`` level (see
function_app.py).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from . import bp
from .models import (
    ACTIVE_RUNTIME_STATUSES,
    APPROVAL_ORCHESTRATOR,
    DECISION_EVENT,
    ApprovalSettings,
    FieldError,
    SettingsError,
    ValidationError,
    check_instance_id,
    parse_decision_request,
    parse_json_body,
    parse_start_request,
)
from .status import approval_view, stage_of

logger = logging.getLogger(__name__)


def json_response(
    status_code: int, body: Any, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status_code, mimetype="application/json", headers=headers
    )


def error_response(status_code: int, error: str, message: str, **extra: Any) -> func.HttpResponse:
    return json_response(status_code, {"error": error, "message": message, **extra})


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


async def find_approval(
    client: df.DurableOrchestrationClient, instance_id: str
) -> df.DurableOrchestrationStatus | None:
    """The status of approval ``instance_id``; ``None`` if unknown or not an approval instance."""
    if check_instance_id(instance_id):
        return None
    status = await client.get_status(instance_id)
    # An unknown id yields a falsy status object (the extension answers 404 with no body).
    if not status or status.name != APPROVAL_ORCHESTRATOR:
        return None
    return status


def not_found(instance_id: str) -> func.HttpResponse:
    return error_response(404, "not_found", f"No approval with id {instance_id!r}.",
                          instanceId=instance_id)


@bp.route(route="approvals", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Validate the request, resolve defaults from app settings, start ``approval_orchestrator``.

    202: the SDK's check-status payload and ``Location``. 400: invalid body (every field named).
    409: ``instanceId`` given and that instance is still active. 500: unusable app settings.
    """
    try:
        # Read at request time, so changed app settings apply without a redeploy; orchestrators
        # must never read them (replays would see new values).
        settings = ApprovalSettings.from_environ(os.environ)
    except SettingsError as err:
        logger.error("Cannot start approvals: %s", err)
        return error_response(500, "misconfigured", str(err))
    try:
        start = parse_start_request(req.get_body(), settings)
    except ValidationError as err:
        return json_response(400, err.to_json())

    if start.instance_id is not None:
        conflict = await active_instance_conflict(client, start.instance_id)
        if conflict is not None:
            return conflict
    try:
        instance_id = await client.start_new(
            APPROVAL_ORCHESTRATOR, start.instance_id, start.request.to_input()
        )
    except Exception:
        # Lost a race with a concurrent start using the same id: the extension refuses to
        # replace an active instance. Anything else is a genuine server error.
        if start.instance_id is not None:
            conflict = await active_instance_conflict(client, start.instance_id)
            if conflict is not None:
                return conflict
        raise
    logger.info("Started approval %s for %s", instance_id, start.request.approver)
    response: func.HttpResponse = client.create_check_status_response(req, instance_id)
    return response


async def active_instance_conflict(
    client: df.DurableOrchestrationClient, instance_id: str
) -> func.HttpResponse | None:
    """A 409 response if ``instance_id`` exists and is not in a terminal state."""
    status = await client.get_status(instance_id)
    runtime = runtime_status_of(status) if status else None
    if runtime in ACTIVE_RUNTIME_STATUSES:
        return error_response(
            409, "conflict",
            f"Instance {instance_id!r} already exists and is {runtime}; "
            "choose another instanceId or wait until it has finished.",
            instanceId=instance_id, runtimeStatus=runtime,
        )
    return None


@bp.route(route="orchestrators/{functionName}", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_orchestration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Start any orchestrator by name with the JSON request body (or no body) as input.

    The generic starter of the Microsoft Learn module. 202: check-status payload. 400:
    malformed JSON, or an unknown orchestrator name.
    """
    function_name = req.route_params.get("functionName", "")
    body = req.get_body()
    client_input = None
    if body and body.strip():
        try:
            client_input = parse_json_body(body)
        except ValidationError as err:
            return json_response(400, err.to_json())
    try:
        instance_id = await client.start_new(function_name, None, client_input)
    except Exception as err:
        # On HTTP 400 the SDK raises a bare Exception carrying the extension's ExceptionMessage
        # ("The function '<name>' doesn't exist, is disabled, or is not an orchestrator
        # function..."); the type does not distinguish it from other failures, so say which.
        logger.warning("Could not start orchestrator %r: %s", function_name, err)
        return json_response(400, {
            "error": "invalid_request",
            "message": f"Could not start orchestrator {function_name!r}: {err}",
            "errors": [FieldError("functionName", str(err)).to_json()],
        })
    logger.info("Started %s instance %s", function_name, instance_id)
    response: func.HttpResponse = client.create_check_status_response(req, instance_id)
    return response


@bp.route(route="approvals/{instanceId}/decision", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def submit_decision(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Raise ``ApprovalDecision`` with ``{"decision", "by", "comment"?}`` on a waiting approval.

    202: event raised. 400: invalid body (every field named). 404: unknown approval. 409: the
    approval is no longer awaiting a decision (not Running, or stage not awaiting_approval /
    escalated).
    """
    instance_id = req.route_params.get("instanceId", "")
    try:
        decision = parse_decision_request(req.get_body())
    except ValidationError as err:
        return json_response(400, err.to_json())

    status = await find_approval(client, instance_id)
    if status is None:
        return not_found(instance_id)
    runtime = runtime_status_of(status)
    stage = stage_of(decode_json_value(status.custom_status))
    if runtime != "Running" or stage is None or not stage.awaits_decision:
        return error_response(
            409, "not_awaiting_decision",
            f"Approval {instance_id!r} is not awaiting a decision "
            f"(runtimeStatus {runtime}, stage {stage.value if stage else None}).",
            instanceId=instance_id, runtimeStatus=runtime,
            stage=stage.value if stage else None,
        )
    try:
        await client.raise_event(instance_id, DECISION_EVENT, decision.to_event())
    except Exception as err:
        # The SDK raises a bare Exception for 404/410: the instance finished (or was purged)
        # between the status check and the event.
        logger.warning("Decision for %s not delivered: %s", instance_id, err)
        if not await find_approval(client, instance_id):
            return not_found(instance_id)
        return error_response(409, "not_awaiting_decision", str(err), instanceId=instance_id)
    logger.info("Decision %s by %s raised on %s", decision.outcome.value, decision.by, instance_id)
    status_url = req.url.split("?", 1)[0].rsplit("/decision", 1)[0]
    return json_response(
        202,
        {"instanceId": instance_id, "accepted": True, "decision": decision.to_event(),
         "statusUri": status_url},
        headers={"Location": status_url},
    )


@bp.route(route="approvals/{instanceId}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """200: the business view (stage, deadline, decision, escalation, outcome, runtimeStatus).

    404: unknown id, or an instance that is not an approval.
    """
    instance_id = req.route_params.get("instanceId", "")
    status = await find_approval(client, instance_id)
    if status is None:
        return not_found(instance_id)
    return json_response(200, approval_view(
        instance_id,
        runtime_status_of(status),
        decode_json_value(status.custom_status),
        decode_json_value(status.output),
        status.created_time,
        status.last_updated_time,
    ))
