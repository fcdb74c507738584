"""Fixture app for the engine tests: one orchestrator per Durable Functions pattern."""

import json
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: activity name -> how many times it ran in this process (tests read it)
CALLS: dict[str, int] = {}


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    instance_id = await client.start_new(req.route_params["functionName"], None, json.loads(body) if body else None)
    return client.create_check_status_response(req, instance_id)


@app.activity_trigger(input_name="name")
def say_hello(name: str) -> str:
    _count("say_hello")
    return f"Hello {name}!"


@app.activity_trigger(input_name="value")
async def double(value: int) -> int:
    _count("double")
    return value * 2


@app.activity_trigger(input_name="payload")
def flaky(payload: dict) -> str:
    """Fails until it has been called ``payload['succeed_on']`` times for ``payload['key']``."""
    key = "flaky:" + payload["key"]
    _count(key)
    if CALLS[key] < payload["succeed_on"]:
        raise ValueError(f"attempt {CALLS[key]} failed")
    return f"ok after {CALLS[key]}"


@app.activity_trigger(input_name="message")
def explode(message: str) -> None:
    raise RuntimeError(message)


@app.orchestration_trigger(context_name="context")
def chaining(context: df.DurableOrchestrationContext):
    cities = context.get_input() or ["Tokyo", "Seattle", "London"]
    results = []
    for city in cities:
        results.append((yield context.call_activity("say_hello", city)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):
    count = context.get_input() or 5
    tasks = [context.call_activity("double", i) for i in range(count)]
    results = yield context.task_all(tasks)
    return sum(results)


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    params = context.get_input()
    options = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=params["attempts"])
    try:
        result = yield context.call_activity_with_retry("flaky", options, params)
    except Exception as err:
        return {"failed": str(err).splitlines()[0]}
    after = yield context.call_activity("say_hello", "after retry")
    return {"result": result, "after": after}


@app.orchestration_trigger(context_name="context")
def failing(context: df.DurableOrchestrationContext):
    yield context.call_activity("say_hello", "before failure")
    raise ValueError("the orchestrator gave up")


@app.orchestration_trigger(context_name="context")
def catching(context: df.DurableOrchestrationContext):
    try:
        yield context.call_activity("explode", "kaboom")
    except Exception as err:
        return {"caught": str(err).splitlines()[0]}
    return {"caught": None}


@app.orchestration_trigger(context_name="context")
def human(context: df.DurableOrchestrationContext):
    deadline = context.current_utc_datetime + timedelta(hours=context.get_input() or 1)
    timer = context.create_timer(deadline)
    event = context.wait_for_external_event("Approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        return {"outcome": "approved", "data": event.result}
    return {"outcome": "timed out"}


@app.orchestration_trigger(context_name="context")
def uncancelled(context: df.DurableOrchestrationContext):
    """Returns without cancelling its timer: DTFx keeps it Running until the timer fires."""
    timer = context.create_timer(context.current_utc_datetime + timedelta(hours=1))
    event = context.wait_for_external_event("Go")
    yield context.task_any([event, timer])
    return "done"


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):
    first = yield context.wait_for_external_event("Step")
    second = yield context.wait_for_external_event("Other")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    explicit = yield context.call_sub_orchestrator("chaining", ["A", "B"], "child-" + context.instance_id)
    generated = yield context.call_sub_orchestrator("fan_out", 3)
    try:
        yield context.call_sub_orchestrator("failing", None)
    except Exception as err:
        failure = str(err).splitlines()[0]
    return {"explicit": explicit, "generated": generated, "failure": failure}


@app.orchestration_trigger(context_name="context")
def monitor(context: df.DurableOrchestrationContext):
    state = context.get_input() or {"round": 0, "max": 3}
    context.set_custom_status({"round": state["round"]})
    yield context.create_timer(context.current_utc_datetime + timedelta(minutes=30))
    if state["round"] + 1 >= state["max"]:
        return {"rounds": state["round"] + 1, "at": context.current_utc_datetime.isoformat()}
    context.continue_as_new({"round": state["round"] + 1, "max": state["max"]})


@app.orchestration_trigger(context_name="context")
def big_status(context: df.DurableOrchestrationContext):
    context.set_custom_status("x" * 9000)
    yield context.call_activity("say_hello", "never")
    return "unreachable"


@app.orchestration_trigger(context_name="context")
def reminders(context: df.DurableOrchestrationContext):
    start = context.current_utc_datetime
    sent = []
    for day in range(1, 11):
        yield context.create_timer(start + timedelta(days=day))
        sent.append((yield context.call_activity("say_hello", f"reminder {day}")))
    return sent


@app.orchestration_trigger(context_name="context")
def long_wait(context: df.DurableOrchestrationContext):
    """Races an event against a 14-day timer: on Azure Storage settings the SDK splits it."""
    timer = context.create_timer(context.current_utc_datetime + timedelta(days=14))
    event = context.wait_for_external_event("Approval")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        return "approved"
    return "expired"


#: The activity ``versioned`` calls; tests change it between episodes, as a redeploy would.
NEXT_ACTIVITY = "say_hello"


@app.orchestration_trigger(context_name="context")
def versioned(context: df.DurableOrchestrationContext):
    first = yield context.call_activity(NEXT_ACTIVITY, "v")
    yield context.wait_for_external_event("Continue")
    second = yield context.call_activity("say_hello", "again")
    return [first, second]
