"""An app that behaves differently in a worker process (the host sets FUNCTIONS_WORKER_DIRECTORY there).

``MOODY_MODE=fail`` makes the import fail in a worker; ``MOODY_MODE=extra`` registers one more
function in a worker than in the host. Both must stop start-up with the reason.
"""

import os

import azure.durable_functions as df

IN_WORKER = "FUNCTIONS_WORKER_DIRECTORY" in os.environ
MODE = os.environ.get("MOODY_MODE", "")

if IN_WORKER and MODE == "fail":
    raise RuntimeError("the settings this app needs exist only in the host's process")

app = df.DFApp()


@app.activity_trigger(input_name="value")
def echo(value: str) -> str:
    return value


if IN_WORKER and MODE == "extra":

    @app.activity_trigger(input_name="value")
    def only_in_workers(value: str) -> str:
        return value
