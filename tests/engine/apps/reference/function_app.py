"""The orchestrator of the reference's four-episode example (tests/data/reference/example-approval-episodes.txt)."""

from datetime import timedelta

import azure.durable_functions as df

app = df.DFApp()

#: Which moment of the reference's timeline it is; each activity moves it on (the test's clock reads it).
PHASE = [0]


@app.activity_trigger(input_name="request")
def send_approval_request(request: dict) -> str:
    PHASE[0] = 1
    return "sent"


@app.activity_trigger(input_name="decision")
def process_approval(decision: dict) -> str:
    PHASE[0] = 3
    return "Approved R-1"


@app.orchestration_trigger(context_name="context")
def approval_orchestrator(context: df.DurableOrchestrationContext):
    request = context.get_input()
    yield context.call_activity("send_approval_request", request)
    timer = context.create_timer(context.current_utc_datetime + timedelta(hours=24))
    event = context.wait_for_external_event("ApprovalEvent")
    winner = yield context.task_any([event, timer])
    if winner == event:
        timer.cancel()
        return (yield context.call_activity("process_approval", event.result))
    return "Expired"
