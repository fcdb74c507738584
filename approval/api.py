"""HTTP endpoints of the approvals. Thin: parse, validate, authorize, call the durable client.

=======  ======================================  ==============================================
POST     /api/approvals                          start an approval (202 + check-status payload)
GET      /api/approvals/{instanceId}             business view of one approval
POST     /api/approvals/{instanceId}/decision    approve or reject (raises ``ApprovalDecision``)
POST     /api/orchestrators/{functionName}       generic starter (Microsoft Learn's ``HttpStart``)
=======  ======================================  ==============================================

Every error is ``{"error": <code>, "message": <text>, ...}`` (:mod:`.responses`); a 400 lists
every invalid field under ``errors``. Routes and methods come from :mod:`.endpoints`. Calls need
the app's ``FUNCTION`` key on Azure (see function_app.py). Starting and deciding an approval also
need the caller's identity from App Service Authentication (:mod:`.identity`): the requester and
the decider are the signed-in caller, never a body field, and only someone who may decide now
does (:func:`~.domain.may_decide`).
"""

from __future__ import annotations

import logging
import os
from http import HTTPStatus

import azure.durable_functions as df
import azure.functions as func

from . import bp
from .domain import (
    APPROVAL_ORCHESTRATOR,
    DECISION_EVENT,
    REMINDERS_ORCHESTRATOR,
    ApprovalRequest,
    ApprovalSettings,
    SettingsError,
    Stage,
    parse_decision_request,
    parse_start_request,
    same_person,
)
from .endpoints import GET_APPROVAL, START_APPROVAL, START_ORCHESTRATION, SUBMIT_DECISION
from .identity import Caller, IdentityError, caller_from_headers
from .instances import decode_json_value, find_instance, runtime_status_of, start_once
from .reminder_plan import ReminderPlan
from .responses import ErrorCode, error_response, invalid_request, json_response, not_found
from .status import ApprovalState, approval_view
from .validation import ValidationError, parse_json_body

logger = logging.getLogger(__name__)

#: The 401 text. Neutral: it says what is missing, not how a caller could assert an identity
#: itself (on Azure, App Service Authentication signs users in and sets the identity headers).
_SIGN_IN = "This request needs a signed-in caller."


def signed_in(req: func.HttpRequest) -> Caller | func.HttpResponse:
    """The signed-in caller of ``req``, or the 401 answer when there is no usable identity."""
    try:
        caller = caller_from_headers(req.headers)
    except IdentityError as err:
        return error_response(HTTPStatus.UNAUTHORIZED, ErrorCode.UNAUTHENTICATED,
                              f"{_SIGN_IN} The caller's identity could not be read: {err}.")
    if caller is None:
        return error_response(HTTPStatus.UNAUTHORIZED, ErrorCode.UNAUTHENTICATED, _SIGN_IN)
    return caller


def check_orchestration_input(name: str, value: object, caller: Caller | None) -> None:
    """Raise :class:`ValidationError` if ``value`` is not a valid input of orchestrator ``name``.

    So the generic starter answers 400 instead of a 202 and an instance that fails at once.
    An approval's ``requester`` must be ``caller``. Unknown names are left to the extension.
    """
    if name == APPROVAL_ORCHESTRATOR:
        ApprovalRequest.from_input(value, refuse_self_decision=True, caller=caller.name if caller else None)
    elif name == REMINDERS_ORCHESTRATOR:
        ReminderPlan.from_input(value)


@bp.route(route=START_APPROVAL.route, methods=list(START_APPROVAL.methods))
@bp.durable_client_input(client_name="client")
async def start_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Start ``approval_orchestrator`` requested by the signed-in caller; defaults from app settings.

    202: the SDK's check-status payload and ``Location``. 401: no usable identity. 400: invalid
    body (every field named; a ``requester`` field is refused: the caller is the requester). 409:
    ``instanceId`` given and that instance is still active. 500: unusable app settings.
    """
    caller = signed_in(req)
    if isinstance(caller, func.HttpResponse):
        return caller
    try:
        # Read at request time, so changed app settings apply without a redeploy; orchestrators
        # must never read them (replays would see new values).
        settings = ApprovalSettings.from_environ(os.environ)
    except SettingsError as err:
        logger.error("Cannot start approvals: %s", err)
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, ErrorCode.MISCONFIGURED, str(err))
    try:
        start = parse_start_request(req.get_body(), settings, caller.name)
    except ValidationError as err:
        return invalid_request(err)
    return await start_once(req, client, APPROVAL_ORCHESTRATOR, start.instance_id, start.request.to_input())


@bp.route(route=START_ORCHESTRATION.route, methods=list(START_ORCHESTRATION.methods))
@bp.durable_client_input(client_name="client")
async def start_orchestration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Start any orchestrator by name with the JSON request body (or no body) as input.

    The generic starter of the Microsoft Learn module. 202: check-status payload. 400:
    malformed JSON, an input the app's own orchestrators would refuse (every field named), or
    an unknown orchestrator name. An approval needs the signed-in caller as its ``requester``
    (401 without an identity, 400 naming ``requester`` for anyone else), as on
    ``POST /api/approvals``.
    """
    function_name = req.route_params.get("functionName", "")
    caller: Caller | None = None
    if function_name == APPROVAL_ORCHESTRATOR:
        signed = signed_in(req)
        if isinstance(signed, func.HttpResponse):
            return signed
        caller = signed
    body = req.get_body()
    client_input = None
    try:
        if body and body.strip():
            client_input = parse_json_body(body)
        check_orchestration_input(function_name, client_input, caller)
    except ValidationError as err:
        return invalid_request(err)
    try:
        instance_id = await client.start_new(function_name, None, client_input)
    except Exception as err:
        # On HTTP 400 the SDK raises a bare Exception carrying the extension's ExceptionMessage
        # ("The function '<name>' doesn't exist, is disabled, or is not an orchestrator
        # function..."); the type does not distinguish it from other failures, so say which.
        logger.warning("Could not start orchestrator %r: %s", function_name, err)
        return error_response(
            HTTPStatus.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
            f"Could not start orchestrator {function_name!r}: {err}",
            errors=[{"field": "functionName", "message": str(err)}],
        )
    logger.info("Started %s instance %s", function_name, instance_id)
    response: func.HttpResponse = client.create_check_status_response(req, instance_id)
    return response


@bp.route(route=SUBMIT_DECISION.route, methods=list(SUBMIT_DECISION.methods))
@bp.durable_client_input(client_name="client")
async def submit_decision(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Raise ``ApprovalDecision`` with ``{"decision", "comment"?}`` decided by the signed-in caller.

    202: event raised, ``by`` is the caller and ``stage`` the stage at which the caller was found
    to be the assignee (:func:`~.domain.accepts`). 401: no usable identity. 400: invalid body
    (every field named). 404: unknown approval. 409: no longer awaiting a decision. 403: the
    caller may not decide (not the assignee, or the requester); ``mayDecide`` names who may. A
    refused request raises no event.
    """
    instance_id = req.route_params.get("instanceId", "")
    caller = signed_in(req)
    if isinstance(caller, func.HttpResponse):
        return caller
    try:
        decision = parse_decision_request(req.get_body(), caller.name)
    except ValidationError as err:
        return invalid_request(err)

    status = await find_instance(client, instance_id, APPROVAL_ORCHESTRATOR)
    if status is None:
        return not_found("approval", instance_id)
    runtime = runtime_status_of(status)
    state = ApprovalState.from_json(decode_json_value(status.custom_status))
    if runtime != "Running" or state is None or not state.stage.awaits_decision:
        stage: Stage | None = state.stage if state else None
        return error_response(
            HTTPStatus.CONFLICT, ErrorCode.NOT_AWAITING_DECISION,
            f"Approval {instance_id!r} is not awaiting a decision "
            f"(runtimeStatus {runtime}, stage {stage.value if stage else None}).",
            instanceId=instance_id, runtimeStatus=runtime, stage=stage.value if stage else None,
        )
    if not state.may_decide(caller.name):
        who = " or ".join(state.deciders)
        if same_person(caller.name, state.requester):
            why = "requested it, and nobody decides their own request"
        elif state.stage is Stage.ESCALATED and same_person(caller.name, state.approver):
            why = f"was its approver, but it escalated to {state.escalate_to} when the deadline passed"
        else:
            why = "is not assigned to it"
        return error_response(
            HTTPStatus.FORBIDDEN, ErrorCode.FORBIDDEN,
            f"{caller.name} may not decide approval {instance_id!r}: {caller.name} {why}. "
            f"Only {who} may decide it now.",
            instanceId=instance_id, stage=state.stage.value, mayDecide=list(state.deciders),
        )
    decision = decision.validated_at(state.stage)
    try:
        await client.raise_event(instance_id, DECISION_EVENT, decision.to_event())
    except Exception as err:
        # The SDK raises a bare Exception for 404/410: the instance finished (or was purged)
        # between the status check and the event.
        logger.warning("Decision for %s not delivered: %s", instance_id, err)
        if not await find_instance(client, instance_id, APPROVAL_ORCHESTRATOR):
            return not_found("approval", instance_id)
        return error_response(HTTPStatus.CONFLICT, ErrorCode.NOT_AWAITING_DECISION, str(err),
                              instanceId=instance_id)
    logger.info("Decision %s by %s raised on %s", decision.outcome.value, decision.by, instance_id)
    status_url = req.url.split("?", 1)[0].rsplit("/decision", 1)[0]
    return json_response(
        202,
        {"instanceId": instance_id, "accepted": True, "decision": decision.to_event(),
         "statusUri": status_url},
        headers={"Location": status_url},
    )


@bp.route(route=GET_APPROVAL.route, methods=list(GET_APPROVAL.methods))
@bp.durable_client_input(client_name="client")
async def get_approval(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """200: the business view (stage, deadline, who may decide, decision, failed notifications,
    outcome, runtimeStatus, a one-line ``error`` if it failed). 404: unknown id, or an instance
    that is not an approval.
    """
    instance_id = req.route_params.get("instanceId", "")
    status = await find_instance(client, instance_id, APPROVAL_ORCHESTRATOR)
    if status is None:
        return not_found("approval", instance_id)
    return json_response(200, approval_view(
        instance_id,
        runtime_status_of(status),
        decode_json_value(status.custom_status),
        decode_json_value(status.output),
        status.created_time,
        status.last_updated_time,
    ))
