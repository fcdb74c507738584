"""Pieces the management API's handlers share: stored JSON, error answers, check-status replies."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web

from ...contracts import HostApi
from ...errors import InstanceNotFound
from ...instances import InstanceStatus, validate_instance_id
from ...protocol import RuntimeStatus
from ...services.keys import FunctionKeys
from .client_binding import check_status_payload
from .responses import error_response, json_response

CONTINUATION_HEADER = "x-ms-continuation-token"
#: ``Retry-After`` of a 202 from start/restart (ext: CreateCheckStatusResponseMessage) ...
START_RETRY_AFTER = "10"
#: ... and of a 202 from the status endpoint (ext: HandleGetStatusRequestAsync).
STATUS_RETRY_AFTER = "5"


def compact_json(value: Any) -> str:
    """JSON text as ``JsonConvert.SerializeObject`` writes it: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def stored_json(value: Any) -> str:
    """JSON text to store; a lone surrogate (valid JSON, not valid UTF-8) is rejected as invalid."""
    text = compact_json(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"the JSON holds an unpaired surrogate escape: {err.reason}") from err
    return text


def not_found(instance_id: str) -> web.Response:
    return error_response(HTTPStatus.NOT_FOUND, str(InstanceNotFound(instance_id)), exception_type="InstanceNotFound")


def gone(instance_id: str, status: RuntimeStatus, operation: str) -> web.Response:
    return error_response(
        HTTPStatus.GONE,
        f"Cannot {operation} instance '{instance_id}': it is already {status}.",
        exception_type="InstanceGone",
    )


def invalid_json(err: Exception) -> web.Response:
    return error_response(
        HTTPStatus.BAD_REQUEST, "Invalid JSON content", f"Invalid JSON content: {err}", "JsonReaderException"
    )


class HandlerBase:
    """What every handler group holds: the host and its keys."""

    def __init__(self, host: HostApi, keys: FunctionKeys) -> None:
        self.host = host
        self.keys = keys

    def check_status_response(self, request: web.Request, instance_id: str) -> web.Response:
        """The extension's 202 with the check-status links of ``instance_id``."""
        origin = f"{request.scheme}://{request.host}"
        payload = check_status_payload(origin, self.host.hub_name, instance_id, self.keys.system_key)
        headers = {"Location": payload["statusQueryGetUri"], "Retry-After": START_RETRY_AFTER}
        return json_response(payload, HTTPStatus.ACCEPTED, headers)

    async def existing(self, instance_id: str) -> InstanceStatus | None:
        """The instance's status (None if unknown); raises ``InvalidInstanceId`` for a bad id."""
        return await self.host.get_status(validate_instance_id(instance_id, starting=False))
