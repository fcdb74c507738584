"""Management API handlers that start instances and read them: start, restart, status, list."""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus

from aiohttp import web

from ...instances import InstanceQuery, validate_instance_id
from ...protocol import RuntimeStatus
from .api_support import CONTINUATION_HEADER, STATUS_RETRY_AFTER, HandlerBase, invalid_json, stored_json
from .responses import ARGUMENT_ERROR_MESSAGE, ARGUMENT_EXCEPTION_TYPE, error_response, json_response
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


class OrchestrationHandlers(HandlerBase):
    """``orchestrators/...``, ``instances/{id}`` (GET), ``instances`` (GET), ``.../restart``."""

    # -- start / restart ----------------------------------------------------------------------

    async def start(self, request: web.Request, function_name: str, instance_id: str | None) -> web.StreamResponse:
        """``POST orchestrators/{name}/{id?}`` (ext: HandleStartOrchestratorRequestAsync)."""
        body = await request.read()
        input_json = None
        if body:
            try:
                # The Python client double-encodes (body = JSON string literal of the JSON text);
                # decoding once and re-serializing matches the extension's JsonConvert round trip.
                input_json = stored_json(json.loads(body.decode("utf-8")))
            except (ValueError, RecursionError) as err:
                return invalid_json(err)
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
            return self.check_status_response(request, instance_id)
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
                return self.check_status_response(request, instance_id)
            await self._next_poll(min(interval, remaining) or 0.01)
        if status.runtime_status == RuntimeStatus.COMPLETED:
            return json_response(status_payload(status)["output"])
        return await self.get_status(request, instance_id)

    async def _next_poll(self, seconds: float) -> None:
        """Wait up to ``seconds``; the engine's ``changed`` wakes us early on a committed change."""
        await self.host.changed(seconds)

    # -- status / list ------------------------------------------------------------------------

    async def get_status(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``GET instances/{id}`` (ext: HandleGetStatusRequestAsync)."""
        query = request.query
        status = await self.existing(instance_id)
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
