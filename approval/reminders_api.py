"""HTTP endpoints of the reminders.

=======  ======================================  ==============================================
POST     /api/reminders                          start reminders (202 + check-status payload)
GET      /api/reminders/{instanceId}             business view of one reminder instance
=======  ======================================  ==============================================

The body is validated before anything starts (every invalid field named in one 400), so an
instance that would fail at once is never accepted with 202. Errors have the app's one shape
(:mod:`.responses`); routes and methods come from :mod:`.endpoints`.
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from . import bp
from .domain import REMINDERS_ORCHESTRATOR
from .endpoints import GET_REMINDERS, START_REMINDERS
from .instances import decode_json_value, find_instance, runtime_status_of, start_once
from .reminder_plan import parse_reminder_request
from .reminder_status import reminder_view
from .responses import invalid_request, json_response, not_found
from .validation import ValidationError


@bp.route(route=START_REMINDERS.route, methods=list(START_REMINDERS.methods))
@bp.durable_client_input(client_name="client")
async def start_reminders(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Start ``reminders_orchestrator`` with ``{"recipient", "message", "subject"?, "count"?,
    "interval"?, "instanceId"?}`` (defaults: 10 reminders, ``P1D`` apart, subject "Reminder").

    202: the check-status payload and ``Location``. 400: every invalid field named. 409:
    ``instanceId`` given and that instance is still active.
    """
    try:
        start = parse_reminder_request(req.get_body())
    except ValidationError as err:
        return invalid_request(err)
    return await start_once(req, client, REMINDERS_ORCHESTRATOR, start.instance_id, start.plan.to_input())


@bp.route(route=GET_REMINDERS.route, methods=list(GET_REMINDERS.methods))
@bp.durable_client_input(client_name="client")
async def get_reminders(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """200: the business view (sent, failed, next due time, each reminder once finished, a
    one-line ``error`` if it failed). 404: unknown id, or not a reminder instance.
    """
    instance_id = req.route_params.get("instanceId", "")
    status = await find_instance(client, instance_id, REMINDERS_ORCHESTRATOR)
    if status is None:
        return not_found("reminder instance", instance_id)
    return json_response(200, reminder_view(
        instance_id,
        runtime_status_of(status),
        decode_json_value(status.custom_status),
        decode_json_value(status.output),
        status.created_time,
        status.last_updated_time,
    ))
