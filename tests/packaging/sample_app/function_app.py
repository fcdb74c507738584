"""A small Durable Functions app of its own, used to test durable-local as an installed tool.

It knows nothing about durable-local: it is what a user's app looks like (Python v2 model,
official SDKs, requirements.txt) and would deploy to Azure unchanged.
"""

import azure.durable_functions as df
import azure.functions as func
from watering import bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
