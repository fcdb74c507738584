"""The aiohttp application of one host: function routes plus the Durable management API.

One catch-all route dispatches, in this order:

1. ``/runtime/webhooks/durabletask/...`` — the public management API (:mod:`.management`);
2. ``/durabletask/...`` — the same API as the SDK's ``rpcBaseUrl`` (:mod:`.client_binding`);
3. ``/{routePrefix}/<route>`` — the app's HTTP functions (:mod:`.routes`, :mod:`.functions`);
4. ``GET /`` and ``GET /admin/host/status`` — liveness answers, as ``func start`` gives.

Anything else, a known route called with a method its function does not serve included, is an
empty 404 as the Functions host answers it (azure-functions-host #10098: no 405, no body). An
app that wants another answer serves a catch-all route of its own (:mod:`.routes`).

Handlers map deliberate errors themselves; the middleware turns anything that escapes into a
logged 500 JSON, so bad input never takes the server down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from ...contracts import HostApi
from ...services.bindings import OutputBindings
from ...services.invocation import InvocationRunner
from ...services.keys import FunctionKeys, presented_key
from ...services.sdk_session import close_sdk_session
from .client_binding import RPC_PATH, WEBHOOK_PATH
from .functions import FunctionInvoker
from .management import ManagementApi
from .responses import error_response, json_response
from .routes import FunctionRoutes, RouteMatch

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HOST_KEY = web.AppKey("durable_local_host", HostApi)


@web.middleware
async def _unexpected_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("Unhandled error answering %s %s", request.method, request.rel_url.path)
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "Something went wrong while processing your request",
            "The local host hit an unexpected error; see its log for the traceback.",
        )


def _not_found() -> web.Response:
    """The Functions host's answer when no function takes a request: 404 with an empty body.

    ``FunctionInvocationMiddleware`` answers ``NotFoundResult`` when routing found no function and
    when the function is disabled; it is also what a wrong method gets, since the route's
    ``HttpMethodRouteConstraint`` does not match (azure-functions-host #10098).
    """
    return web.Response(status=HTTPStatus.NOT_FOUND)


def _under(path: str, base: str) -> bool:
    lowered = path.lower()
    return lowered == base or lowered.startswith(base + "/")


class RequestRouter:
    """The catch-all handler (:meth:`dispatch`); holds the compiled routes and the two APIs."""

    def __init__(self, host: HostApi, bindings: OutputBindings | None = None, invoker: InvocationRunner | None = None) -> None:
        self.host = host
        self.keys = FunctionKeys(host.function_keys)
        self.routes = FunctionRoutes(host.registry.http, host.registry.host.route_prefix)
        self.functions = FunctionInvoker(host, self.keys, bindings or OutputBindings(), invoker)
        self.management = ManagementApi(host, self.keys)

    def _disabled(self, function_name: str, request: web.Request) -> bool:
        if not self.host.registry.is_disabled(function_name):
            return False
        return not (self.keys.enabled and self.keys.is_master(presented_key(request)))

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.raw_path
        if _under(path, WEBHOOK_PATH):
            return await self.management.handle(request, WEBHOOK_PATH, rpc=False)
        if _under(path, RPC_PATH):
            return await self.management.handle(request, RPC_PATH, rpc=True)
        found = self.routes.resolve(path, request.method)
        if isinstance(found, RouteMatch) and self._disabled(found.function.name, request):
            # host FunctionInvocationMiddleware: a disabled function is a 404 unless the caller is
            # admin. (func start treats every local caller as admin and runs it anyway; the local
            # host answers as Azure does, so an app that relies on a disabled route fails here too.)
            logger.info("Function '%s' is disabled (app setting AzureWebJobs.%s.Disabled): answering %s %s with 404",
                        found.function.name, found.function.name, request.method, request.rel_url.path)
            return _not_found()
        if isinstance(found, RouteMatch):
            presented = presented_key(request)
            if not self.keys.allows_function(found.function.auth_level, presented):
                return error_response(
                    HTTPStatus.UNAUTHORIZED,
                    f"Function '{found.function.name}' requires a {found.function.auth_level} key: pass it as "
                    "the 'code' query parameter or the x-functions-key header.",
                    exception_type="Unauthorized",
                )
            return await self.functions.invoke(found.function, request, found.values)
        if request.method == "GET" and path == "/":
            return web.Response(text="durable_local: your Functions app is up and running.\n")
        if request.method == "GET" and path.lower() == "/admin/host/status":
            return json_response({"state": "Running", "hubName": self.host.hub_name})
        return _not_found()


async def _close_sdk_session(app: web.Application) -> None:
    await close_sdk_session()


def create_app(
    host: HostApi, *, bindings: OutputBindings | None = None, invoker: InvocationRunner | None = None
) -> web.Application:
    """The aiohttp application serving ``host``'s functions and management API.

    ``host.base_url`` is read per request, so it may be set after the site starts listening.
    Raises ``AppLoadError`` for a function whose route template cannot be compiled. On cleanup
    the SDK client's shared session is closed (HTTP functions run on this server's loop).
    """
    router = RequestRouter(host, bindings, invoker)
    # Long request lines (10,000-character instance ids) reach the handlers, which answer with
    # the JSON errors instead of aiohttp's plain-text 400.
    app = web.Application(
        middlewares=[_unexpected_errors], client_max_size=100 * 1024**2, handler_args={"max_line_size": 65536}
    )
    app[HOST_KEY] = host
    # [\s\S]: a path may hold an encoded newline (%0A); it still deserves a JSON answer.
    app.router.add_route("*", r"/{path:[\s\S]*}", router.dispatch)
    app.on_cleanup.append(_close_sdk_session)
    return app
