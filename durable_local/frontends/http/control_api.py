"""Management API handlers that change instances: purge, raise event, terminate, suspend, resume, rewind."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from aiohttp import web

from ...engine.entities import is_entity_instance
from ...instances import InstanceQuery
from ...protocol import RuntimeStatus
from .api_support import HandlerBase, gone, invalid_json, not_found, stored_json
from .responses import error_response, json_response
from .status import parse_datetime, parse_statuses

logger = logging.getLogger(__name__)


class ControlHandlers(HandlerBase):
    """``DELETE instances...``, ``DELETE taskhub``, ``instances/{id}/raiseEvent|terminate|suspend|resume|rewind``."""

    # -- purge --------------------------------------------------------------------------------

    async def purge(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``DELETE instances/{id}``: 200, 404, or 412 for a non-terminal instance."""
        status = await self.existing(instance_id)
        if status is None:
            return not_found(instance_id)
        if not status.runtime_status.is_terminal and not is_entity_instance(instance_id):
            # ext: HandleDeleteHistoryByIdRequestAsync -> 412 PreconditionFailed. Entities are
            # always Running and purge by id regardless (DTFx PurgeInstanceHistoryAsync(id)).
            return error_response(
                HTTPStatus.PRECONDITION_FAILED,
                "Only orchestrations in a terminal state can be purged, but the orchestration with "
                f"instance ID {instance_id} has status {status.runtime_status}",
                exception_type="PreconditionFailed",
            )
        deleted = await self.host.purge(instance_id)
        if not deleted:
            return not_found(instance_id)
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
        status = await self.existing(instance_id)
        if status is None:
            return not_found(instance_id)
        if status.runtime_status.is_terminal:
            return gone(instance_id, status.runtime_status, f"raise event '{event_name}' for")
        if request.content_type.lower() != "application/json":
            return error_response(HTTPStatus.BAD_REQUEST, "Only application/json request content is supported")
        try:
            # dtfx: EventRaisedEvent.Input = DataConverter.Serialize(ConvertToJToken(body)).
            input_json = stored_json(json.loads((await request.read()).decode("utf-8")))
        except (ValueError, RecursionError) as err:
            return invalid_json(err)
        await self.host.raise_event(instance_id, event_name, input_json)
        return web.Response(status=HTTPStatus.ACCEPTED)

    async def _lifecycle(self, request: web.Request, instance_id: str, operation: str) -> web.StreamResponse:
        status = await self.existing(instance_id)
        if status is None:
            return not_found(instance_id)
        if status.runtime_status.is_terminal:
            return gone(instance_id, status.runtime_status, operation)
        reason = request.query.get("reason")
        if operation == "terminate":
            await self.host.terminate(instance_id, reason)
        elif operation == "suspend":
            await self.host.suspend(instance_id, reason)
        else:
            await self.host.resume(instance_id, reason)
        logger.info("%s requested for instance '%s'", operation.capitalize(), instance_id)
        return web.Response(status=HTTPStatus.ACCEPTED)

    async def terminate(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "terminate")

    async def suspend(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "suspend")

    async def resume(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        return await self._lifecycle(request, instance_id, "resume")

    async def rewind(self, request: web.Request, instance_id: str) -> web.StreamResponse:
        """``POST instances/{id}/rewind``: 404, 412 unless Failed, else 202 (ext HandleRewindInstanceRequestAsync)."""
        status = await self.existing(instance_id)
        if status is None:
            # The extension's body is this JSON string, "$" included (an interpolation slip there).
            return json_response(f'No orchestration with instance ID "${instance_id}" found.', HTTPStatus.NOT_FOUND)
        if status.runtime_status != RuntimeStatus.FAILED:
            return error_response(
                HTTPStatus.PRECONDITION_FAILED,
                f"This orchestration has status {status.runtime_status}, but only orchestrations in "
                'the "Failed" state can be rewound.',
                exception_type="PreconditionFailed",
            )
        await self.host.rewind(instance_id, request.query.get("reason"))
        return web.Response(status=HTTPStatus.ACCEPTED)
