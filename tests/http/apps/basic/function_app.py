"""Fixture app for the HTTP layer tests: one function per behaviour under test."""

import json

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "name": req.route_params.get("name"),
        "q": req.params.get("q"),
        "header": req.headers.get("x-test"),
        "method": req.method,
        "url": req.url,
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="echo", methods=["POST", "PUT"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        req.get_body(),
        status_code=201,
        headers={"X-Echo": "yes", "Set-Cookie": "a=1"},
        mimetype="application/octet-stream",
    )


@app.route(route="json-body", methods=["POST"])
def json_body(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"received": req.get_json()}), mimetype="application/json")


@app.route(route="text")
def text(req: func.HttpRequest) -> str:
    return "plain text"


@app.route(route="items/{id:int}", methods=["GET"])
def item_by_id(req: func.HttpRequest) -> str:
    return f"id {req.route_params['id']}"


@app.route(route="items/{slug:alpha}", methods=["GET"])
def item_by_slug(req: func.HttpRequest) -> str:
    return f"slug {req.route_params['slug']}"


@app.route(route="items/new", methods=["GET"])
def item_new(req: func.HttpRequest) -> str:
    return "literal new"


@app.route(route="optional/{part?}", methods=["GET"])
def optional(req: func.HttpRequest) -> str:
    return f"part={req.route_params.get('part')}"


@app.route(route="returns-dict")
def returns_dict(req: func.HttpRequest):
    return {"not": "allowed"}


@app.route(route="boom")
def boom(req: func.HttpRequest) -> str:
    raise RuntimeError("kaboom")


@app.route(route="with-context")
def with_context(req: func.HttpRequest, context: func.Context) -> str:
    return f"{context.function_name} {len(context.invocation_id)}"


@app.route(route="keyed", auth_level=func.AuthLevel.FUNCTION)
def keyed(req: func.HttpRequest) -> str:
    return "function level"


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> str:
    return "admin level"


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="msg", queue_name="outbox", connection="QueueConnection")
def enqueue(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(req.get_body().decode())
    return "queued"


@app.route(route="orchestrators/{functionName}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def http_start(req: func.HttpRequest, client) -> func.HttpResponse:
    body = req.get_body()
    payload = json.loads(body) if body else None
    instance_id = await client.start_new(req.route_params["functionName"], None, payload)
    return client.create_check_status_response(req, instance_id)


@app.route(route="client-binding", methods=["GET"])
@app.durable_client_input(client_name="client")
async def client_binding(req: func.HttpRequest, client) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(client.create_http_management_payload("abc")), mimetype="application/json")


@app.orchestration_trigger(context_name="context")
def hello_orchestrator(context: df.DurableOrchestrationContext):
    name = context.get_input()
    greeting = yield context.call_activity("say_hello", name)
    return greeting


@app.activity_trigger(input_name="name")
def say_hello(name: str) -> str:
    return f"Hello {name}"
