"""Plant care: a watering schedule, and plant sitting until the owner is back.

* ``watering_schedule`` waters a plant once a day for ``days`` days, then reports what was done.
  ``POST /api/schedules`` with ``{"plant": "fern", "days": 10}`` starts it and answers with the
  Durable check-status payload.
* ``plant_sitting`` waters once a day until the event ``OwnerBack`` (``{"name": ...}``) arrives,
  for at most ``max_days`` days.
"""

import json
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

bp = df.Blueprint()

MAX_DAYS = 90


def _problem(body: object) -> str | None:
    """What is wrong with a schedule request, or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    plant, days = body.get("plant"), body.get("days")
    if not isinstance(plant, str) or not plant.strip():
        return "plant must be a non-empty string"
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        return f"days must be a whole number from 1 to {MAX_DAYS}"
    return None


@bp.route(route="schedules", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_schedule(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    try:
        body = req.get_json()
    except ValueError:
        body = None
    problem = _problem(body)
    if problem is not None:
        return func.HttpResponse(json.dumps({"error": problem}), status_code=400, mimetype="application/json")
    instance_id = await client.start_new("watering_schedule", None, {"plant": body["plant"], "days": body["days"]})
    return client.create_check_status_response(req, instance_id)


@bp.orchestration_trigger(context_name="context")
def watering_schedule(context: df.DurableOrchestrationContext):
    schedule = context.get_input()
    notes = []
    for day in range(1, schedule["days"] + 1):
        # Time comes from the history, so a replay waits on the same instants.
        yield context.create_timer(context.current_utc_datetime + timedelta(days=1))
        note = yield context.call_activity("water_plant", {"plant": schedule["plant"], "day": day})
        notes.append(note)
        context.set_custom_status({"watered": day, "of": schedule["days"]})
    return {"plant": schedule["plant"], "waterings": notes}


@bp.activity_trigger(input_name="job")
def water_plant(job: dict) -> str:
    return f"day {job['day']}: watered the {job['plant']}"


@bp.orchestration_trigger(context_name="context")
def plant_sitting(context: df.DurableOrchestrationContext):
    job = context.get_input()
    # One wait, open from the start: an event that arrives while the plant is being watered is
    # kept for the next race instead of being buffered for a wait created later.
    owner_back = context.wait_for_external_event("OwnerBack")
    for day in range(1, job["max_days"] + 1):
        next_day = context.create_timer(context.current_utc_datetime + timedelta(days=1))
        winner = yield context.task_any([next_day, owner_back])
        if winner == owner_back:
            next_day.cancel()
            return {"plant": job["plant"], "days": day - 1, "handed_over_to": owner_back.result["name"]}
        yield context.call_activity("water_plant", {"plant": job["plant"], "day": day})
        context.set_custom_status({"watered": day})
    return {"plant": job["plant"], "days": job["max_days"], "handed_over_to": None}
