"""The app's HTTP endpoints in one table, and the catch-all that answers every other request.

Each HTTP function takes its route and methods from :data:`ENDPOINTS` (so the table cannot
drift from what is registered). :func:`unmatched_route` serves route ``{*path}`` for every
method and answers in the app's error shape (:mod:`.responses`):

* 405 with ``Allow`` when the path is one of :data:`ENDPOINTS` called with another method;
* 404 for any other path under the route prefix.

Why a function of the app: the Functions host itself answers both cases with an empty 404
(azure-functions-host #10098), on Azure and under ``func start`` alike; it has no setting for
another answer. The host tries its function routes in the order of the function names
(``StringComparer.OrdinalIgnoreCase``; ``FunctionMetadataManager`` sorts the functions, and the
``RouteCollection`` built from them takes the first route whose template and method match), not
by route specificity. So the catch-all's name must sort after every other HTTP function's, or it
would shadow them: ``unmatched_route`` sorts after ``submit_decision``, the last of the others
(tests/app/test_function_index.py checks it). The Durable HTTP API (``/runtime/webhooks/...``)
is outside the route prefix and keeps the extension's own answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Final
from urllib.parse import urlsplit

import azure.functions as func

from . import bp
from .responses import ErrorCode, error_response


@dataclass(frozen=True)
class Endpoint:
    """One HTTP function's route template (relative to the route prefix) and methods.

    Templates use only literal segments and ``{name}`` parameters (one non-empty segment each).
    """

    route: str
    methods: tuple[str, ...]

    def matches(self, path: str) -> bool:
        """Whether ``path`` (relative to the route prefix, decoded) fits the template."""
        wanted = [segment for segment in self.route.split("/") if segment]
        given = [segment for segment in path.split("/") if segment]
        return len(wanted) == len(given) and all(
            (want.startswith("{") and want.endswith("}")) or want.casefold() == got.casefold()
            for want, got in zip(wanted, given, strict=True)
        )


START_APPROVAL: Final = Endpoint("approvals", ("POST",))
GET_APPROVAL: Final = Endpoint("approvals/{instanceId}", ("GET",))
SUBMIT_DECISION: Final = Endpoint("approvals/{instanceId}/decision", ("POST",))
START_ORCHESTRATION: Final = Endpoint("orchestrators/{functionName}", ("POST",))
START_REMINDERS: Final = Endpoint("reminders", ("POST",))
GET_REMINDERS: Final = Endpoint("reminders/{instanceId}", ("GET",))

#: Every endpoint served by a function of its own (everything but the catch-all).
ENDPOINTS: Final = (START_APPROVAL, GET_APPROVAL, SUBMIT_DECISION, START_ORCHESTRATION,
                    START_REMINDERS, GET_REMINDERS)

#: The catch-all's methods: every method the Python programming model can declare.
ALL_METHODS: Final = tuple(method.value for method in func.HttpMethod)


def allowed_methods(path: str) -> list[str]:
    """The methods the app serves on ``path``, in table order; empty if it serves none."""
    allowed: list[str] = []
    for endpoint in ENDPOINTS:
        if endpoint.matches(path):
            allowed.extend(m for m in endpoint.methods if m not in allowed)
    return allowed


@bp.route(route="{*path}", methods=list(ALL_METHODS))
def unmatched_route(req: func.HttpRequest) -> func.HttpResponse:
    """404 or 405 (with ``Allow``) in the app's error shape for what no other function takes.

    Reached only after every other HTTP function's route failed to match (see the module
    docstring), so a path in :data:`ENDPOINTS` arrives here only with a method it does not serve.
    """
    path = req.route_params.get("path") or ""
    shown = urlsplit(req.url).path or "/"
    allowed = allowed_methods(path)
    if allowed:
        return error_response(
            HTTPStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED,
            f"{req.method} is not allowed on {shown}; allowed: {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)}, allow=allowed,
        )
    return error_response(HTTPStatus.NOT_FOUND, ErrorCode.NOT_FOUND,
                          f"No endpoint of this app answers {req.method} {shown}.")
