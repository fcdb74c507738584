"""Benchmark app: the HelloCities shape used by the Durable Functions provider benchmarks.

``hello_cities5`` calls ``SayHello`` five times in sequence (10 events per orchestration in
Netherite's counting: one call + one result per activity). The other orchestrators give the
remaining benchmark shapes with the same trivial activity:

* ``fan_out_fan_in`` (input K): K ``SayHello`` calls at once, then ``task_all``;
* ``long_sequence`` (input M): M sequential calls, so history grows by two events per step;
* ``one_step``: a single call (one schedule -> activity -> replay step).

The activity is a plain (synchronous) function, as most Python activities are, so it runs in
the host's thread pool like any sync activity would.
"""

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

CITIES = ("Tokyo", "Seattle", "London", "Amsterdam", "Cairo")


@app.activity_trigger(input_name="city")
def SayHello(city: str) -> str:
    return f"Hello {city}!"


@app.orchestration_trigger(context_name="context")
def hello_cities5(context: df.DurableOrchestrationContext):
    results = []
    for city in CITIES:
        results.append((yield context.call_activity("SayHello", city)))
    return results


@app.orchestration_trigger(context_name="context")
def fan_out_fan_in(context: df.DurableOrchestrationContext):
    count = int(context.get_input() or 10)
    tasks = [context.call_activity("SayHello", str(i)) for i in range(count)]
    results = yield context.task_all(tasks)
    return len(results)


@app.orchestration_trigger(context_name="context")
def long_sequence(context: df.DurableOrchestrationContext):
    steps = int(context.get_input() or 10)
    for i in range(steps):
        yield context.call_activity("SayHello", str(i))
    return steps


@app.orchestration_trigger(context_name="context")
def one_step(context: df.DurableOrchestrationContext):
    return (yield context.call_activity("SayHello", "step"))
