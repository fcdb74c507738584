"""Entities for the local host's entity tests: a counter, bank accounts, a flaky entity.

Written for these tests. Orchestrators call and signal the entities the way apps do with the
Python SDK 1.x (``call_entity`` / ``signal_entity`` with ``df.EntityId``).
"""

import json

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: attempts per caller of the flaky entity; module state, as an app would keep it
FLAKY_ATTEMPTS: dict[str, int] = {}


@app.entity_trigger(context_name="context")
def Counter(context: df.DurableEntityContext) -> None:
    value = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "add":
        value += context.get_input()
        context.set_state(value)
    elif operation == "reset":
        context.set_state(0)
    elif operation == "get":
        context.set_result(value)
    elif operation == "delete":
        context.destruct_on_exit()
    elif operation == "add_then_fail":
        context.set_state(value + context.get_input())
        raise ValueError("counter refused after adding")


# The context parameter must be named "context": the SDK registers Entity.create(fn).handle,
# whose one parameter is "context", and the worker matches binding names to parameters.
@app.entity_trigger(context_name="context", entity_name="Account")
def account_entity(context: df.DurableEntityContext) -> None:
    balance = context.get_state(lambda: 0)
    operation = context.operation_name
    if operation == "deposit":
        context.set_state(balance + context.get_input())
    elif operation == "withdraw":
        amount = context.get_input()
        if amount > balance:
            raise ValueError(f"insufficient funds: balance {balance}, asked {amount}")
        context.set_state(balance - amount)
    elif operation == "balance":
        context.set_result(balance)


@app.entity_trigger(context_name="context")
def Flaky(context: df.DurableEntityContext) -> None:
    caller = context.get_input()
    FLAKY_ATTEMPTS[caller] = FLAKY_ATTEMPTS.get(caller, 0) + 1
    if FLAKY_ATTEMPTS[caller] == 1:
        raise RuntimeError("flaky entity failed\r\nsecond line of the failure")
    context.set_result(FLAKY_ATTEMPTS[caller])


@app.orchestration_trigger(context_name="context")
def count_to(context: df.DurableOrchestrationContext):
    """Adds 1..n to a counter (signals, then one call), returns the total the entity reports."""
    spec = context.get_input()
    counter = df.EntityId("Counter", spec["key"])
    for n in range(1, spec["n"] + 1):
        context.signal_entity(counter, "add", n)
    total = yield context.call_entity(counter, "get")
    return total


@app.orchestration_trigger(context_name="context")
def transfer(context: df.DurableOrchestrationContext):
    """Moves money between two accounts; a failed withdrawal is reported, nothing is deposited."""
    spec = context.get_input()
    source = df.EntityId("Account", spec["from"])
    target = df.EntityId("Account", spec["to"])
    try:
        yield context.call_entity(source, "withdraw", spec["amount"])
    except Exception as err:
        return {"moved": False, "reason": str(err)}
    yield context.call_entity(target, "deposit", spec["amount"])
    balances = yield context.task_all(
        [context.call_entity(source, "balance"), context.call_entity(target, "balance")]
    )
    return {"moved": True, "balances": balances}


@app.orchestration_trigger(context_name="context")
def flaky_caller(context: df.DurableOrchestrationContext):
    """mode "catch": returns the error text; "retry": calls again after a failure; else uncaught."""
    mode = context.get_input()
    target = df.EntityId("Flaky", "one")
    try:
        attempt = yield context.call_entity(target, "try", context.instance_id)
    except Exception as err:
        if mode == "catch":
            return {"caught": str(err)}
        if mode != "retry":
            raise
        attempt = yield context.call_entity(target, "try", context.instance_id)
    return {"attempt": attempt}


@app.orchestration_trigger(context_name="context")
def call_unknown_entity(context: df.DurableOrchestrationContext):
    yield context.call_entity(df.EntityId("Nobody", "k"), "get")
    return "unreachable"


@app.route(route="counter/{key}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def signal_counter(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    """Signals the counter through the Python client, as an app's HTTP function does."""
    amount = req.get_json()["amount"]
    await client.signal_entity(df.EntityId("Counter", req.route_params["key"]), "add", amount)
    return func.HttpResponse(status_code=202)


@app.route(route="counter/{key}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def read_counter(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    state = await client.read_entity_state(df.EntityId("Counter", req.route_params["key"]))
    body = {"exists": state.entity_exists, "state": state.entity_state}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.entity_trigger(context_name="context")
def Journal(context: df.DurableEntityContext) -> None:
    """Keeps every "append" input in arrival order; "read" returns them."""
    entries = context.get_state(list)
    if context.operation_name == "append":
        entries.append(context.get_input())
        context.set_state(entries)
    elif context.operation_name == "read":
        context.set_result(entries)


@app.orchestration_trigger(context_name="context")
def read_journal(context: df.DurableOrchestrationContext):
    entries = yield context.call_entity(df.EntityId("Journal", context.get_input()), "read")
    return entries
