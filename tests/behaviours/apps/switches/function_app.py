"""Functions switched off by app settings, a waiting orchestrator, and failing activities.

Written for the local host's tests of the extension behaviours of issue 10, item 4.
"""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.activity_trigger(input_name="value")
def ParkedActivity(value: str) -> str:
    return f"ran {value}"


@app.activity_trigger(input_name="value")
def working_activity(value: str) -> str:
    return f"ran {value}"


@app.activity_trigger(input_name="value")
def raising_activity(value: str) -> str:
    raise ValueError(f"refused {value}")


@app.entity_trigger(context_name="context")
def ParkedEntity(context: df.DurableEntityContext) -> None:
    context.set_result("ran")


@app.orchestration_trigger(context_name="context")
def parked_orchestrator(context: df.DurableOrchestrationContext):
    return "ran"


@app.orchestration_trigger(context_name="context")
def call_parked_activity(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("working_activity", "first")
    second = yield context.call_activity("ParkedActivity", "second")
    return [first, second]


@app.orchestration_trigger(context_name="context")
def call_parked_entity(context: df.DurableOrchestrationContext):
    result = yield context.call_entity(df.EntityId("ParkedEntity", "k"), "get")
    return result


@app.orchestration_trigger(context_name="context")
def call_raising_activity(context: df.DurableOrchestrationContext):
    result = yield context.call_activity("raising_activity", "x")
    return result


@app.orchestration_trigger(context_name="context")
def waiting(context: df.DurableOrchestrationContext):
    value = yield context.wait_for_external_event("Go")
    return value


@app.route(route="parked", methods=["GET"])
def parked_route(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ran")
