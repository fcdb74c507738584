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

import asyncio
import json
import logging
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from ..errors import DurableLocalError, InstanceNotFound, NotSupportedError
from ..instances import InstanceQuery, InstanceStatus, validate_instance_id
from ..protocol import RuntimeStatus
from .client_binding import check_status_payload
from .keys import KEY_HEADER, KEY_QUERY, FunctionKeys
from .responses import (
    ARGUMENT_ERROR_MESSAGE,
    ARGUMENT_EXCEPTION_TYPE,
    error_response,
    json_response,
    response_for,
)
from .status import (
    IN_PROGRESS,
    friendly_history,
    parse_bool,
    parse_datetime,
    parse_seconds,
    parse_statuses,
    parse_top,
    status_payload,
)

logger = logging.getLogger(__name__)

CONTINUATION_HEADER = "x-ms-continuation-token"
#: ``Retry-After`` of a 202 from start/restart (ext: CreateCheckStatusResponseMessage) ...
START_RETRY_AFTER = "10"
#: ... and of a 202 from the status endpoint (ext: HandleGetStatusRequestAsync).
STATUS_RETRY_AFTER = "5"
_OPERATIONS = ("terminate", "suspend", "resume", "rewind", "restart")


def _compact_json(value: Any) -> str:
    """JSON text as ``JsonConvert.SerializeObject`` writes it: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _stored_json(value: Any) -> str:
    """JSON text to store; a lone surrogate (valid JSON, not valid UTF-8) is rejected as invalid."""
    text = _compact_json(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"the JSON holds an unpaired surrogate escape: {err.reason}") from err
    return text


def _not_found(instance_id: str) -> web.Response:
    return error_response(HTTPStatus.NOT_FOUND, str(InstanceNotFound(instance_id)), exception_type="InstanceNotFound")


def _gone(instance_id: str, status: RuntimeStatus, operation: str) -> web.Response:
    return error_response(
        HTTPStatus.GONE,
        f"Cannot {operation} instance '{instance_id}': it is already {status}.",
        exception_type="InstanceGone",
    )


def _invalid_json(err: Exception) -> web.Response:
    return error_response(
        HTTPStatus.BAD_REQUEST, "Invalid JSON content", f"Invalid JSON content: {err}", "JsonReaderException"
    )


class ManagementApi:
    """Handlers of the management API, bound to one ``DurableHost``."""

    def __init__(self, host: Any, keys: FunctionKeys) -> None:
        self.host = host
        self.keys = keys

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
        presented = request.query.get(KEY_QUERY) or request.headers.get(KEY_HEADER)
        return self.keys.allows_management(presented)

    async def _route(self, request: web.Request, segs: list[str]) -> web.StreamResponse:
        method = request.method
        head = segs[0].lower() if segs else ""
        if head == "orchestrators" and len(segs) in (2, 3):
            if method == "POST":
                return await self.start(request, segs[1], segs[2] if len(segs) == 3 else None)
            return self._no_route(request)
        if head == "entities":
            raise NotSupportedError("Durable entities are not supported by the local host.")
        if head == "instances" and len(segs) <= 3:
            instance_id = segs[1] if len(segs) > 1 else None
            operation = segs[2].lower() if len(segs) > 2 else None
            if instance_id is None:
                if method == "GET":
                    return await self.list_instances(request)
                if method == "DELETE":
                    return await self.purge_many(request)
            elif operation is None:
                if method == "GET":
                    return await self.get_status(request, instance_id)
                if method == "DELETE":
                    return await self.purge(request, instance_id)
            elif method == "POST" and operation in _OPERATIONS:
                return await getattr(self, operation)(request, instance_id)
            return self._no_route(request)
        if head == "instances" and len(segs) == 4 and segs[2].lower() == "raiseevent":
            if method == "POST":
                return await self.raise_event(request, segs[1], segs[3])
            return self._no_route(request)
        if head == "taskhub" and len(segs) == 1 and method == "DELETE":
            return await self.delete_task_hub(request)
        return self._no_route(request)

    @staticmethod
    def _no_route(request: web.Request) -> web.Response:
        return error_response(
            HTTPStatus.NOT_FOUND,
            f"The Durable management API has no '{request.method} {request.rel_url.path}' operation.",
            exception_type="NotFound",
        )

    def _origin(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _check_status_response(self, request: web.Request, instance_id: str) -> web.Response:
        payload = check_status_payload(self._origin(request), self.host.hub_name, instance_id, self.keys.system_key)
        headers = {"Location": payload["statusQueryGetUri"], "Retry-After": START_RETRY_AFTER}
        return json_response(payload, HTTPStatus.ACCEPTED, headers)

    async def _existing(self, instance_id: str) -> InstanceStatus | None:
        return await self.host.get_status(validate_instance_id(instance_id))

    # -- start / restart ----------------------------------------------------------------------

    async def start(self, request: web.Request, function_name: str, instance_id: str | None) -> web.StreamResponse:
        """``POST orchestrators/{name}/{id?}`` (ext: HandleStartOrchestratorRequestAsync)."""
        body = await request.read()
        input_json = None
        if body:
            try:
                # The Python client double-encodes (body = JSON string literal of the JSON text);
                # decoding once and re-serializing matches the extension's JsonConvert round trip.
                input_json = _stored_json(json.loads(body.decode("utf-8")))
            except (ValueError, RecursionError) as err:
                return _invalid_json(err)
        if instance_id is not None:
            validate_instance_id(instance_id)
        new_id = await self.host.start_orchestration(function_name, instance_id, input_json)
        logger.info("Started orchestration '%s' with instance ID '%s'", function_name, new_id)
        return await self._wait_or_check_status(request, new_id)

    async def restart(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``POST instances/{id}/restart?restartWithNewInstanceId=`` (default true).

        An unknown id is a 404 (the extension answers 400 "InstanceId does not match a valid
        orchestration instance."); the SDK's ``restart`` reports a 404 as "No instance ... found".
        """
        validate_instance_id(instance_id)
        new_ids = parse_bool(request.query.get("restartWithNewInstanceId"), True)
        new_id = await self.host.restart(instance_id, new_ids)
        return await self._wait_or_check_status(request, new_id)

    async def _wait_or_check_status(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``?timeout=&pollingInterval=`` (seconds, both needed) waits for a final status."""
        timeout = parse_seconds(request.query.get("timeout"))
        interval = parse_seconds(request.query.get("pollingInterval"))
        if timeout is None or interval is None:
            return self._check_status_response(request, instance_id)
        if interval > timeout:
            # ext: WaitForCompletionOrCreateCheckStatusResponseAsync throws ArgumentException.
            message = f"Total timeout {timeout:g} should be bigger than retry timeout {interval:g}"
            return error_response(HTTPStatus.BAD_REQUEST, ARGUMENT_ERROR_MESSAGE, message, ARGUMENT_EXCEPTION_TYPE)
        deadline = time.monotonic() + timeout
        while True:
            status = await self.host.get_status(instance_id)
            if status is not None and status.runtime_status.is_terminal:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._check_status_response(request, instance_id)
            await self._next_poll(min(interval, remaining) or 0.01)
        if status.runtime_status == RuntimeStatus.COMPLETED:
            return json_response(status_payload(status)["output"])
        return await self.get_status(request, instance_id)

    async def _next_poll(self, seconds: float) -> None:
        """Wait up to ``seconds``; the engine's ``changed`` wakes us early on a committed change."""
        changed = getattr(self.host, "changed", None)
        if changed is not None:
            await changed(seconds)
        else:
            await asyncio.sleep(seconds)

    # -- status / list ------------------------------------------------------------------------

    async def get_status(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``GET instances/{id}`` (ext: HandleGetStatusRequestAsync)."""
        query = request.query
        status = await self._existing(instance_id)
        if status is None:
            # Empty body on purpose: the SDK turns it into a falsy DurableOrchestrationStatus.
            return web.Response(status=HTTPStatus.NOT_FOUND)
        history = None
        if parse_bool(query.get("showHistory"), False) and status.runtime_status != RuntimeStatus.PENDING:
            raw = await self.host.get_history(instance_id) or []
            history = friendly_history(raw, parse_bool(query.get("showHistoryOutput"), False))
        payload = status_payload(status, show_input=parse_bool(query.get("showInput"), True), history=history)
        headers: dict[str, str] = {}
        code: int = HTTPStatus.OK
        if status.runtime_status in IN_PROGRESS:
            code = HTTPStatus.ACCEPTED
            headers = {"Location": str(request.url), "Retry-After": STATUS_RETRY_AFTER}
        elif status.runtime_status == RuntimeStatus.FAILED and parse_bool(
            query.get("returnInternalServerErrorOnFailure"), False
        ):
            code = HTTPStatus.INTERNAL_SERVER_ERROR
        return json_response(payload, code, headers)

    async def list_instances(self, request: web.Request) -> web.StreamResponse:
        """``GET instances?...`` with paging through ``x-ms-continuation-token``."""
        query = request.query
        condition = InstanceQuery(
            created_from=parse_datetime("createdTimeFrom", query.get("createdTimeFrom")),
            created_to=parse_datetime("createdTimeTo", query.get("createdTimeTo")),
            statuses=parse_statuses(query.get("runtimeStatus")),
            instance_id_prefix=query.get("instanceIdPrefix") or None,
            top=parse_top(query.get("top")),
            continuation_token=request.headers.get(CONTINUATION_HEADER) or None,
        )
        statuses, token = await self.host.list_instances(condition)
        show_input = parse_bool(query.get("showInput"), True)
        payload = [status_payload(s, show_input=show_input) for s in statuses]
        # The extension always adds the header (empty at the end); we add it only when there is
        # a next page, so "header present" means "more to fetch".
        return json_response(payload, headers={CONTINUATION_HEADER: token} if token else None)

    # -- purge --------------------------------------------------------------------------------

    async def purge(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``DELETE instances/{id}``: 200, 404, or 412 for a non-terminal instance."""
        status = await self._existing(instance_id)
        if status is None:
            return _not_found(instance_id)
        if not status.runtime_status.is_terminal:
            # ext: HandleDeleteHistoryByIdRequestAsync -> 412 PreconditionFailed.
            return error_response(
                HTTPStatus.PRECONDITION_FAILED,
                "Only orchestrations in a terminal state can be purged, but the orchestration with "
                f"instance ID {instance_id} has status {status.runtime_status}",
                exception_type="PreconditionFailed",
            )
        deleted = await self.host.purge(instance_id)
        if not deleted:
            return _not_found(instance_id)
        return json_response({"instancesDeleted": deleted})

    async def purge_many(self, request: web.Request) -> web.StreamResponse:
        """``DELETE instances?createdTimeFrom=...[&createdTimeTo=][&runtimeStatus=]``."""
        query = request.query
        created_from = parse_datetime("createdTimeFrom", query.get("createdTimeFrom"))
        if created_from is None:
            return error_response(HTTPStatus.BAD_REQUEST, "Please provide value for 'createdTimeFrom' parameter.")
        # ext defaults createdTimeTo to DateTime.UtcNow; "now" is the host clock's, since created
        # times are stamped by it (a skipped clock may be ahead of the wall).
        created_to = parse_datetime("createdTimeTo", query.get("createdTimeTo")) or self.host.clock.now()
        condition = InstanceQuery(
            created_from=created_from, created_to=created_to, statuses=parse_statuses(query.get("runtimeStatus"))
        )
        deleted = await self.host.purge_many(condition)
        if not deleted:
            return error_response(
                HTTPStatus.NOT_FOUND, "No instances matched the purge filter.", exception_type="InstanceNotFound"
            )
        return json_response({"instancesDeleted": deleted})

    async def delete_task_hub(self, request: web.Request) -> web.StreamResponse:
        """``DELETE taskhub``: a local-host extension behind ``func durable delete-task-hub``."""
        await self.host.delete_task_hub()
        logger.info("Deleted task hub '%s'", self.host.hub_name)
        return json_response({"taskHub": self.host.hub_name, "deleted": True})

    # -- events and lifecycle operations ------------------------------------------------------

    async def raise_event(self, request: web.Request, instance_id: str, event_name: str) -> web.StreamResponse:
        """``POST instances/{id}/raiseEvent/{name}`` (ext: HandleRaiseEventRequestAsync)."""
        status = await self._existing(instance_id)
        if status is None:
            return _not_found(instance_id)
        if status.runtime_status.is_terminal:
            return _gone(instance_id, status.runtime_status, f"raise event '{event_name}' for")
        if request.content_type.lower() != "application/json":
            return error_response(HTTPStatus.BAD_REQUEST, "Only application/json request content is supported")
        try:
            # dtfx: EventRaisedEvent.Input = DataConverter.Serialize(ConvertToJToken(body)).
            input_json = _stored_json(json.loads((await request.read()).decode("utf-8")))
        except (ValueError, RecursionError) as err:
            return _invalid_json(err)
        await self.host.raise_event(instance_id, event_name, input_json)
        return web.Response(status=HTTPStatus.ACCEPTED)

    async def _lifecycle(self, request: web.Request, instance_id: str, operation: str) -> web.StreamResponse:
        status = await self._existing(instance_id)
        if status is None:
            return _not_found(instance_id)
        if status.runtime_status.is_terminal:
            return _gone(instance_id, status.runtime_status, operation)
        await getattr(self.host, operation)(instance_id, request.query.get("reason"))
        logger.info("%s requested for instance '%s'", operation.capitalize(), instance_id)
        return web.Response(status=HTTPStatus.ACCEPTED)

    async def terminate(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "terminate")

    async def suspend(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "suspend")

    async def resume(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "resume")

    async def rewind(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``POST instances/{id}/rewind``: 404, 412 unless Failed, then the host's answer.

        The local host does not rewind; its ``NotSupportedError`` becomes 501, the status the
        extension uses when the storage provider cannot rewind (ext: HandleRewindInstanceRequestAsync).
        """
        status = await self._existing(instance_id)
        if status is None:
            return _not_found(instance_id)
        if status.runtime_status != RuntimeStatus.FAILED:
            return error_response(
                HTTPStatus.PRECONDITION_FAILED,
                f"This orchestration has status {status.runtime_status}, but only orchestrations in "
                'the "Failed" state can be rewound.',
                exception_type="PreconditionFailed",
            )
        try:
            await self.host.rewind(instance_id, request.query.get("reason"))
        except NotSupportedError as err:
            return error_response(
                HTTPStatus.NOT_IMPLEMENTED, "Rewind is not supported by the local host.", str(err), "NotSupportedError"
            )
        return web.Response(status=HTTPStatus.ACCEPTED)
