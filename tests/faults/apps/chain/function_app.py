"""Fixture app: the chaining, fan-out and timer orchestrators of ``tests.faults.apps.chain_blueprint``."""

import azure.durable_functions as df
import azure.functions as func

from tests.faults.apps.chain_blueprint import bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
