"""Fixture app for the CLI tests: a greeting, an approval waiting for an event, a failing one."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> str:
    return f"Hello {req.route_params['name']}"


@app.orchestration_trigger(context_name="context")
def greet(context: df.DurableOrchestrationContext):
    name = context.get_input()
    greeting = yield context.call_activity("say_hello", name)
    return greeting


@app.orchestration_trigger(context_name="context")
def approval(context: df.DurableOrchestrationContext):
    decision = yield context.wait_for_external_event("Approval")
    return decision


@app.orchestration_trigger(context_name="context")
def broken(context: df.DurableOrchestrationContext):
    yield context.call_activity("say_hello", "first")
    raise ValueError("broken on purpose")


@app.activity_trigger(input_name="name")
def say_hello(name: str) -> str:
    return f"Hello {name}"
