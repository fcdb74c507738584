"""The Durable Functions HTTP management API (``/runtime/webhooks/durabletask/...``).

Routing, status codes and bodies follow ``ext: HttpApiHandler.cs`` (protocol notes 2.4, 3):

=================================================  ===========================================
``POST orchestrators/{name}/{id?}``                start: 202 + check-status links, 400, 409
``GET instances/{id}``                             status: 200/202/404 (empty body)/500
``GET instances``                                  list: 200 + ``x-ms-continuation-token``
``DELETE instances/{id}``                          purge one: 200/404/412
``DELETE instances?createdTimeFrom=...``           purge many: 200/400/404
``POST instances/{id}/raiseEvent/{event}``         202/400/404/410
``POST instances/{id}/terminate|suspend|resume``   202/404/410
``POST instances/{id}/rewind``                     404/412, else 501: not supported locally
``POST instances/{id}/restart``                    202 + check-status links, 404, 409
``DELETE taskhub``                                 local-host extension: delete all state
=================================================  ===========================================

The same handlers answer under the SDK's RPC base ``/durabletask/`` (see ``client_binding``).
Paths are URL-decoded as ``WebUtility.UrlDecode`` does (``+`` is a space), literals match
case-insensitively, unknown query parameters are ignored and a wrong method on a known path is a
404, all as in the extension. Unlike the extension, every 4xx except ``GET instances/{id}``'s
404 carries a JSON body saying what was wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import unquote_plus

from aiohttp import web

from ...contracts import HostApi
from ...errors import DurableLocalError
from ...services.keys import FunctionKeys, presented_key
from .control_api import ControlHandlers
from .entities_api import EntityHandlers
from .orchestration_api import OrchestrationHandlers
from .responses import error_response, response_for

logger = logging.getLogger(__name__)

Operation = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


class ManagementApi:
    """Routes management API requests to their handlers (:mod:`.orchestration_api`, :mod:`.control_api`)."""

    def __init__(self, host: HostApi, keys: FunctionKeys) -> None:
        self.host = host
        self.keys = keys
        self.orchestrations = OrchestrationHandlers(host, keys)
        self.control = ControlHandlers(host, keys)
        self.entities = EntityHandlers(host, keys)
        self._operations: dict[str, Operation] = {
            "terminate": self.control.terminate,
            "suspend": self.control.suspend,
            "resume": self.control.resume,
            "rewind": self.control.rewind,
            "restart": self.orchestrations.restart,
        }

    # -- entry point --------------------------------------------------------------------------

    async def handle(self, request: web.Request, base_path: str, *, rpc: bool) -> web.StreamResponse:
        """Answer ``request`` whose path starts with ``base_path``; never raises."""
        if not self._authorized(request, rpc=rpc):
            return error_response(
                HTTPStatus.UNAUTHORIZED,
                "A valid system or master key is required: pass it as the 'code' query parameter "
                "or the x-functions-key header.",
                exception_type="Unauthorized",
            )
        raw = request.rel_url.raw_path[len(base_path) :]
        # ext: HandleRequestAsync decodes the whole path with WebUtility.UrlDecode, then matches.
        path = unquote_plus(raw)
        # One trailing slash is the SDK's own (``instances/``); an empty segment anywhere else
        # (``instances//x``) matches no route of the extension.
        path = path[:-1] if path.endswith("/") else path
        segments = path.lstrip("/").split("/") if path.strip("/") else []
        try:
            if any(not segment for segment in segments):
                return self._no_route(request)
            return await self._route(request, segments)
        except DurableLocalError as err:
            return response_for(err)
        except Exception:
            logger.exception("Management API request %s %s failed", request.method, request.rel_url.path)
            return error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "Something went wrong while processing your request",
                "The local host hit an unexpected error; see its log for the traceback.",
            )

    def _authorized(self, request: web.Request, *, rpc: bool) -> bool:
        if not self.keys.enabled:
            return True
        # The real RPC listener is bound to loopback and takes no key (ext: LocalHttpListener);
        # the local host keeps that for loopback callers only, so a host bound to 0.0.0.0 does
        # not expose an unauthenticated API.
        if rpc and request.remote in ("127.0.0.1", "::1"):
            return True
        presented = presented_key(request)
        return self.keys.allows_management(presented)

    async def _route(self, request: web.Request, segs: list[str]) -> web.StreamResponse:
        method = request.method
        head = segs[0].lower() if segs else ""
        if head == "orchestrators" and len(segs) in (2, 3):
            if method == "POST":
                return await self.orchestrations.start(request, segs[1], segs[2] if len(segs) == 3 else None)
            return self._no_route(request)
        if head == "entities":
            answer = await self.entities.route(request, segs[1:])
            return answer if answer is not None else self._no_route(request)
        if head == "instances" and len(segs) <= 3:
            instance_id = segs[1] if len(segs) > 1 else None
            operation = segs[2].lower() if len(segs) > 2 else None
            if instance_id is None:
                if method == "GET":
                    return await self.orchestrations.list_instances(request)
                if method == "DELETE":
                    return await self.control.purge_many(request)
            elif operation is None:
                if method == "GET":
                    return await self.orchestrations.get_status(request, instance_id)
                if method == "DELETE":
                    return await self.control.purge(request, instance_id)
            elif method == "POST" and operation in self._operations:
                return await self._operations[operation](request, instance_id)
            return self._no_route(request)
        if head == "instances" and len(segs) == 4 and segs[2].lower() == "raiseevent":
            if method == "POST":
                return await self.control.raise_event(request, segs[1], segs[3])
            return self._no_route(request)
        if head == "taskhub" and len(segs) == 1 and method == "DELETE":
            return await self.control.delete_task_hub(request)
        return self._no_route(request)

    @staticmethod
    def _no_route(request: web.Request) -> web.Response:
        return error_response(
            HTTPStatus.NOT_FOUND,
            f"The Durable management API has no '{request.method} {request.rel_url.path}' operation.",
            exception_type="NotFound",
        )
