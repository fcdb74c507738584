"""The instance dashboard: a static single-page app served by the local host at ``/_dashboard/``.

``setup_dashboard(app, host)`` adds, to the aiohttp application built by
``durable_local.http.create_app``:

====================================================  ======================================
``GET /_dashboard``                                   308 redirect to ``/_dashboard/``
``GET /_dashboard/``                                  ``static/index.html``
``GET /_dashboard/<file>``                            the rest of ``static/``: ES modules, CSS
``GET /_dashboard/api/info``                          hub, clock, orchestrators, entities,
                                                      app routes
``GET /_dashboard/api/entities/<n>/<k>/operations``   an entity's recent operations
                                                      (:mod:`.entity_operations`)
====================================================  ======================================

The page talks only to the public Durable HTTP API (``/runtime/webhooks/durabletask/...``) and
to the app's own HTTP functions, so it also works against ``func start`` (base URL and key are
settings of the page). ``api/info`` and an entity's ``operations`` are the only things only
the local host offers: the page uses them when present (orchestrator picker, virtual time, an
entity's recent operations) and does without them otherwise. Its files refer to each other
relatively, so any static file server can serve ``static/`` as well.

Every page response carries a Content-Security-Policy without ``'unsafe-inline'``: scripts
and styles come from files under ``static/`` only. ``connect-src`` stays open because the
configured base URL may be another origin (a ``func start`` host).

The more specific routes win over ``create_app``'s catch-all ``/{path:.*}`` route whatever
the registration order: aiohttp (3.10+) resolves by the longest matching path prefix.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from aiohttp import web

from ...contracts import HostApi
from ...services.clock import AutoSkipClock, ManualClock, TimeSource
from ...services.keys import FunctionKeys, presented_key
from .entity_operations import entity_from_path, iso_ms, operations_body, parse_limit

__all__ = ["DASHBOARD_PATH", "clock_kind", "dashboard_info", "setup_dashboard"]

#: Where the page is served; ``open_host``'s start-up banner prints ``base_url + DASHBOARD_PATH``.
DASHBOARD_PATH = "/_dashboard/"
STATIC_DIR = Path(__file__).resolve().parent / "static"

_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src *",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    )
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A local development tool: always serve the files as they are on disk.
    "Cache-Control": "no-cache",
}


def clock_kind(clock: TimeSource) -> str:
    """``manual``, ``auto-skip`` or ``system``: the CLI's name for ``clock``'s kind."""
    if isinstance(clock, ManualClock):
        return "manual"
    if isinstance(clock, AutoSkipClock):
        return "auto-skip"
    return "system"


def dashboard_info(host: HostApi) -> dict[str, Any]:
    """The ``GET /_dashboard/api/info`` body for ``host``.

    ``now`` is the host clock's time, virtual under a manual or auto-skip clock, so the page can
    show where virtual time stands. ``entities`` are the app's entity names as the host registers
    them (lowercased, ext ``EntityId``). ``appRoutes`` lists the app's HTTP functions with the route
    prefix applied (``/api/approvals/{instanceId}/decision``); ``methods`` is empty for "any".
    ``workers`` is the number of worker processes (0: the app runs in the host's process) and
    ``workerProcesses`` each one's name, pid, state and invocation counts.
    """
    registry = host.registry
    processes = host.worker_processes or []
    prefix = registry.host.route_prefix
    routes = []
    for function in registry.http:
        path = "/".join(part for part in (prefix, function.route.strip("/")) if part)
        routes.append(
            {
                "function": function.name,
                "route": "/" + path,
                "methods": [m.upper() for m in function.methods],
                "authLevel": function.auth_level.lower(),
            }
        )
    return {
        "hub": host.hub_name,
        "now": iso_ms(host.clock.now()),
        "clock": clock_kind(host.clock),
        "orchestrators": sorted(registry.orchestrators),
        "entities": sorted(registry.entities),
        "appRoutes": sorted(routes, key=lambda r: (r["route"], r["function"])),
        "workers": len(processes),
        "workerProcesses": [
            {
                "name": worker.name,
                "pid": worker.pid,
                "state": str(worker.state),
                "invocations": worker.invocations,
                "running": worker.running,
                "starts": worker.starts,
            }
            for worker in processes
        ],
    }


def setup_dashboard(app: web.Application, host: HostApi) -> None:
    """Add the dashboard's routes to ``app`` (before it starts); see the module docstring.

    ``api/...`` asks for the same key as the management API when ``host.function_keys`` is
    set (``x-functions-key`` header or ``code`` query parameter); the page sends it.
    """
    keys = FunctionKeys(host.function_keys)

    def refused(request: web.Request) -> web.Response | None:
        """The 401 for a request without the management key, else None."""
        if keys.allows_management(presented_key(request)):
            return None
        return web.json_response(
            {
                "error": "unauthorized",
                "message": "A valid system or master key is required: set the function key in the dashboard's settings.",
            },
            status=HTTPStatus.UNAUTHORIZED,
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(DASHBOARD_PATH)

    async def index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)

    async def info(request: web.Request) -> web.StreamResponse:
        denied = refused(request)
        if denied is not None:
            return denied
        return web.json_response(dashboard_info(host), headers={"Cache-Control": "no-store"})

    async def operations(request: web.Request) -> web.StreamResponse:
        denied = refused(request)
        if denied is not None:
            return denied
        try:
            limit = parse_limit(request.query.get("limit"))
        except ValueError as err:
            return web.json_response({"error": "bad_request", "message": str(err)}, status=HTTPStatus.BAD_REQUEST)
        entity = entity_from_path(request.match_info["name"], request.match_info["key"])
        records = await host.entity_operations(entity, limit)
        return web.json_response(operations_body(entity, records), headers={"Cache-Control": "no-store"})

    async def static_headers(request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith(DASHBOARD_PATH):
            for name, value in _PAGE_HEADERS.items():
                response.headers.setdefault(name, value)

    # Registration order matters among these three (one index key, "/_dashboard"): the exact
    # routes first, then the static prefix, which would otherwise answer the bare directory.
    app.router.add_get(DASHBOARD_PATH.rstrip("/"), redirect)
    app.router.add_get(DASHBOARD_PATH, index)
    app.router.add_static(DASHBOARD_PATH, STATIC_DIR, append_version=False)
    app.router.add_get(DASHBOARD_PATH + "api/info", info)
    app.router.add_get(DASHBOARD_PATH + "api/entities/{name}/{key}/operations", operations)
    app.on_response_prepare.append(static_headers)
