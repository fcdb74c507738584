"""Orchestrations that fail until the app is "fixed", for the local host's rewind tests.

``FIXED`` stands for a deployed fix: the tests flip it, then rewind. ``RUNS`` counts each
activity's executions, so a test can tell re-run work from kept results.
"""

from collections import Counter

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

FIXED = {"fragile": False, "code": False}
RUNS: Counter[str] = Counter()


@app.activity_trigger(input_name="step")
def steady(step: str) -> str:
    RUNS[f"steady:{step}"] += 1
    return f"{step} done"


@app.activity_trigger(input_name="step")
def fragile(step: str) -> str:
    RUNS[f"fragile:{step}"] += 1
    if not FIXED["fragile"]:
        raise RuntimeError(f"{step} is broken")
    return f"{step} mended"


@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):
    first = yield context.call_activity("steady", "a")
    second = yield context.call_activity("fragile", "b")
    third = yield context.call_activity("steady", "c")
    return [first, second, third]


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):
    before = yield context.call_activity("steady", "p")
    child = yield context.call_sub_orchestrator("chain", None, f"{context.instance_id}-child")
    return {"before": before, "child": child}


@app.orchestration_trigger(context_name="context")
def retrying(context: df.DurableOrchestrationContext):
    result = yield context.call_activity_with_retry("fragile", df.RetryOptions(1000, 2), "r")
    return result


@app.orchestration_trigger(context_name="context")
def code_failure(context: df.DurableOrchestrationContext):
    done = yield context.call_activity("steady", "k")
    if not FIXED["code"]:
        raise ValueError("the orchestrator itself was broken")
    return done
