"""An orchestrator that makes one durable HTTP call, for the local host's call_http tests."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.orchestration_trigger(context_name="context")
def call(context: df.DurableOrchestrationContext):
    """Input: method, uri, content?, headers?, managed_identity? -> the response, or the error text."""
    spec = context.get_input()
    token = df.ManagedIdentityTokenSource(spec["managed_identity"]) if spec.get("managed_identity") else None
    try:
        response = yield context.call_http(
            spec["method"], spec["uri"], content=spec.get("content"), headers=spec.get("headers"), token_source=token
        )
    except Exception as err:
        return {"error": str(err).split("\n")[0].strip()}
    return {"response": response}


@app.orchestration_trigger(context_name="context")
def call_then_activity(context: df.DurableOrchestrationContext):
    response = yield context.call_http("GET", context.get_input())
    echoed = yield context.call_activity("echo", response["statusCode"])
    return echoed


@app.activity_trigger(input_name="value")
def echo(value: int) -> int:
    return value
