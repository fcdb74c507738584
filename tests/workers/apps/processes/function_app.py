"""Test app for worker processes: module state, process ids, and functions that kill their own process.

Every function that kills its worker does so at most once per marker file (``os.open`` with
``O_EXCL`` decides, across processes), except ``always_crash``.
"""

import json
import logging
import os
import signal
import time
from datetime import timedelta

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: Calls of ``count`` in this process: module state, one per worker process.
CALLS = [0]


def first_time(marker: str) -> bool:
    """True for the first caller with this marker path, in any process."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@app.route(route="count", methods=["GET"])
def count(req: func.HttpRequest) -> func.HttpResponse:
    CALLS[0] += 1
    return func.HttpResponse(json.dumps({"pid": os.getpid(), "calls": CALLS[0]}), mimetype="application/json")


@app.route(route="die", methods=["POST"])
def die_in_request(req: func.HttpRequest) -> func.HttpResponse:
    die()
    return func.HttpResponse("unreachable")


@app.activity_trigger(input_name="n")
def double(n: int) -> int:
    print(f"doubling {n}")
    logging.warning("double(%d) ran in pid %d", n, os.getpid())
    return n * 2


@app.orchestration_trigger(context_name="context")
def hops(context: df.DurableOrchestrationContext):
    """Activities and timers in turn, so that the episodes are many separate invocations.

    Each episode logs the process it runs in once: the first at the start, the others after the
    task whose result it brought (``is_replaying`` turns false there).
    """
    if not context.is_replaying:
        logging.warning("hops episode in pid %d", os.getpid())
    results = []
    for n in range(3):
        results.append((yield context.call_activity("double", n)))
        if not context.is_replaying:
            logging.warning("hops episode in pid %d", os.getpid())
        yield context.create_timer(context.current_utc_datetime + timedelta(minutes=1))
        if not context.is_replaying:
            logging.warning("hops episode in pid %d", os.getpid())
    return results


@app.activity_trigger(input_name="marker")
def crash_once(marker: str) -> str:
    if first_time(marker):
        die()
    return "survived"


@app.activity_trigger(input_name="marker")
def always_crash(marker: str) -> str:
    die()
    return "unreachable"


@app.activity_trigger(input_name="folder")
def wait_to_be_killed(folder: str) -> str:
    """First run: leave ``started-<pid>`` in ``folder`` and wait (60 s at most) to be killed.

    A later run finds the earlier file and returns at once.
    """
    earlier = sorted(os.listdir(folder))
    with open(os.path.join(folder, f"started-{os.getpid()}"), "w", encoding="utf-8"):
        pass
    if earlier:
        return "run again after " + earlier[0].split("-")[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.01)
    return "never killed"


@app.orchestration_trigger(context_name="context")
def call_one(context: df.DurableOrchestrationContext):
    """Input ``[activity, input]``: call it and return its result."""
    name, value = context.get_input()
    return (yield context.call_activity(name, value))


@app.orchestration_trigger(context_name="context")
def call_failing(context: df.DurableOrchestrationContext):
    """Input ``[activity, input]``: call it; return its failure's message."""
    name, value = context.get_input()
    try:
        return (yield context.call_activity(name, value))
    except Exception as err:
        return str(err)


@app.orchestration_trigger(context_name="context")
def crash_in_episode(context: df.DurableOrchestrationContext):
    """Kills its worker once in the middle of its second episode, after replaying the first."""
    marker = context.get_input()
    first = yield context.call_activity("double", 21)
    if first_time(marker):
        die()
    second = yield context.call_activity("double", first)
    return second


@app.entity_trigger(context_name="context")
def tally(context: df.DurableEntityContext):
    total = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        total += context.get_input()
    elif operation == "crash_once" and first_time(context.get_input()):
        die()
    context.set_state(total)
    context.set_result(total)


@app.orchestration_trigger(context_name="context")
def tally_flow(context: df.DurableOrchestrationContext):
    """Adds 1, lets the entity kill its worker once, adds 2: the total is 3 whatever happened."""
    entity = df.EntityId("tally", context.instance_id)
    yield context.call_entity(entity, "add", 1)
    yield context.call_entity(entity, "crash_once", context.get_input())
    return (yield context.call_entity(entity, "add", 2))
