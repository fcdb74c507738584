"""Timer-trigger fixture app: a daily report started by a schedule, and a start-up probe."""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.timer_trigger(schedule="%REPORT_SCHEDULE%", arg_name="timer")
@app.durable_client_input(client_name="client")
async def daily_report(timer: func.TimerRequest, client) -> None:
    await client.start_new(
        "compile_report", None, {"pastDue": timer.past_due, "last": (timer.schedule_status or {}).get("Last")}
    )


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True, use_monitor=False)
@app.durable_client_input(client_name="client")
async def startup_probe(timer: func.TimerRequest, client) -> None:
    await client.start_new("compile_report", None, {"probe": True, "pastDue": timer.past_due})


@app.orchestration_trigger(context_name="context")
def compile_report(context: df.DurableOrchestrationContext):
    request = context.get_input()
    items = yield context.call_activity("count_items", request)
    return {"items": items, "request": request}


@app.activity_trigger(input_name="request")
def count_items(request) -> int:
    return 3
