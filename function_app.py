"""Composition root of the Functions app (Python v2 programming model).

Creates the Durable Functions app and registers the two blueprints; nothing else lives here.

HTTP functions default to ``AuthLevel.FUNCTION``: in Azure every call needs a function key
(``?code=`` or the ``x-functions-key`` header), which keeps the approval endpoints closed by
default. ``func start`` (and the local host) do not enforce keys, so local curl calls need none.
A key says which client may call, not who the user is: a decision also needs the signed-in
user from App Service Authentication (``approval/identity.py``; README, *Who may decide*).
"""

import azure.durable_functions as df
import azure.functions as func

from activities import bp as activities_bp
from approval import bp as approval_bp

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(approval_bp)
app.register_functions(activities_bp)
