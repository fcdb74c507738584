"""Storage-trigger fixture app: queue and blob triggers that start orchestrations, blob and table bindings.

Queue and container names come from app settings (%ORDERS_QUEUE%, %FAILING_QUEUE%, %UPLOADS%),
so that each test uses fresh ones on the session's Azurite.
"""

import json

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: dequeue counts seen by always_fails (reset by the tests)
FAILED_ATTEMPTS: list[int] = []


@app.queue_trigger(arg_name="msg", queue_name="%ORDERS_QUEUE%", connection="AzureWebJobsStorage")
@app.durable_client_input(client_name="client")
async def on_order(msg: func.QueueMessage, client) -> None:
    order = json.loads(msg.get_body())
    await client.start_new("process_order", None, {"order": order, "dequeueCount": msg.dequeue_count, "id": msg.id})


@app.queue_trigger(arg_name="msg", queue_name="%FAILING_QUEUE%", connection="AzureWebJobsStorage")
def always_fails(msg: func.QueueMessage) -> None:
    FAILED_ATTEMPTS.append(msg.dequeue_count)
    raise RuntimeError(f"cannot process {msg.get_body().decode()}")


@app.blob_trigger(arg_name="upload", path="%UPLOADS%/{name}", connection="AzureWebJobsStorage")
@app.blob_input(arg_name="header", path="templates/header.txt", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="processed", path="processed/{name}", connection="AzureWebJobsStorage")
@app.durable_client_input(client_name="client")
async def on_upload(upload: func.InputStream, header: str, processed: func.Out[str], client) -> None:
    text = upload.read().decode("utf-8")
    processed.set(header + text.upper())
    await client.start_new("process_order", None, {"blob": upload.name, "length": upload.length, "text": text})


@app.route(route="processed/{name}", methods=["GET"])
@app.blob_input(arg_name="document", path="processed/{name}", connection="AzureWebJobsStorage")
def read_processed(req: func.HttpRequest, document: func.InputStream) -> func.HttpResponse:
    if document is None:
        return func.HttpResponse("no such document", status_code=404)
    return func.HttpResponse(document.read(), mimetype="text/plain")


@app.route(route="customers/{id}", methods=["GET"])
@app.table_input(arg_name="row", table_name="%CUSTOMERS_TABLE%", partition_key="customers", row_key="{id}", connection="AzureWebJobsStorage")
def read_customer(req: func.HttpRequest, row: str) -> func.HttpResponse:
    customer = json.loads(row)
    return func.HttpResponse(json.dumps({"name": customer["Name"], "key": customer["RowKey"]}), mimetype="application/json")


@app.orchestration_trigger(context_name="context")
def process_order(context: df.DurableOrchestrationContext):
    request = context.get_input()
    checked = yield context.call_activity("check_order", request)
    return checked


@app.activity_trigger(input_name="request")
def check_order(request) -> dict:
    return {"checked": True, "request": request}
