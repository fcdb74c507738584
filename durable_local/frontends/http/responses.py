"""JSON responses and the mapping from the exception tree to HTTP status codes.

Error bodies use the shape of ASP.NET's ``HttpError``, which is what the extension answers with
(``request.CreateErrorResponse(status, message, exception)``)::

    {"Message": "...", "ExceptionMessage": "...", "ExceptionType": "...", "StackTrace": null}

The Python SDK reads ``ExceptionMessage`` from a 400 on start (``DurableOrchestrationClient.start_new``),
so it is always present. Where the extension answers with an empty body and the SDK relies on
it (404 on ``GET instances/{id}``), handlers send an empty body instead of calling this module.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web

from ...errors import (
    ClientRequestError,
    DurableLocalError,
    InstanceAlreadyExists,
    InstanceGone,
    InstanceNotFound,
    InvalidOperation,
    NotSupportedError,
)

#: Summary line the extension puts in ``Message`` for argument errors (``ext: HttpApiHandler.HandleRequestAsync``).
ARGUMENT_ERROR_MESSAGE = "One or more of the arguments submitted is incorrect"
#: ... and for anything unexpected.
INTERNAL_ERROR_MESSAGE = "Something went wrong while processing your request"
ARGUMENT_EXCEPTION_TYPE = "System.ArgumentException"


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """``payload`` serialized compactly (as Newtonsoft does) with ``application/json; charset=utf-8``."""
    return web.Response(
        status=status,
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def error_body(message: str, exception_message: str | None = None, exception_type: str | None = None) -> dict[str, Any]:
    """An ``HttpError``-shaped body; ``ExceptionMessage`` defaults to ``message``."""
    return {
        "Message": message,
        "ExceptionMessage": exception_message if exception_message is not None else message,
        "ExceptionType": exception_type,
        "StackTrace": None,
    }


def error_response(
    status: int,
    message: str,
    exception_message: str | None = None,
    exception_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON error response with the ``HttpError`` shape."""
    return json_response(error_body(message, exception_message, exception_type), status, headers)


def status_for(err: DurableLocalError) -> int:
    """The HTTP status a deliberate error maps to (the table in ``durable_local.errors``)."""
    # NotSupportedError subclasses ClientRequestError, so it is tested first.
    if isinstance(err, NotSupportedError):
        return HTTPStatus.NOT_IMPLEMENTED
    if isinstance(err, ClientRequestError):
        return HTTPStatus.BAD_REQUEST
    if isinstance(err, InstanceNotFound):
        return HTTPStatus.NOT_FOUND
    if isinstance(err, InstanceAlreadyExists):
        # ext: HttpApiHandler.HandleStartOrchestratorRequestAsync catches
        # OrchestrationAlreadyExistsException -> 409 Conflict (older builds answered 500).
        return HTTPStatus.CONFLICT
    if isinstance(err, InstanceGone):
        return HTTPStatus.GONE
    return HTTPStatus.INTERNAL_SERVER_ERROR


def response_for(err: DurableLocalError) -> web.Response:
    """Map a deliberate error to a JSON response naming what went wrong."""
    status = status_for(err)
    if status == HTTPStatus.BAD_REQUEST:
        return error_response(status, ARGUMENT_ERROR_MESSAGE, str(err), ARGUMENT_EXCEPTION_TYPE)
    if isinstance(err, InvalidOperation):
        return error_response(status, INTERNAL_ERROR_MESSAGE, str(err), "System.InvalidOperationException")
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        return error_response(status, INTERNAL_ERROR_MESSAGE, str(err), type(err).__name__)
    return error_response(status, str(err), exception_type=type(err).__name__)
