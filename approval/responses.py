"""HTTP answers of the app: JSON bodies and the one error shape.

Every error is ``{"error": <code>, "message": <one sentence>, ...}``: ``code`` is an
:class:`ErrorCode` a client can branch on, ``message`` says what was wrong and what to do, and
extra keys give context (``errors`` lists every invalid field of a 400, ``instanceId``,
``runtimeStatus``, ``mayDecide``, ...).
"""

from __future__ import annotations

import json
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import azure.functions as func

from .validation import ValidationError


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    NOT_AWAITING_DECISION = "not_awaiting_decision"
    MISCONFIGURED = "misconfigured"


def json_response(
    status_code: int, body: Any, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status_code, mimetype="application/json", headers=headers
    )


def error_response(
    status_code: HTTPStatus, error: ErrorCode, message: str, *, headers: dict[str, str] | None = None,
    **extra: Any,
) -> func.HttpResponse:
    """``{"error", "message", **extra}`` with ``status_code`` (and any response ``headers``)."""
    return json_response(status_code, {"error": error.value, "message": message, **extra}, headers)


def invalid_request(err: ValidationError) -> func.HttpResponse:
    """400 naming every invalid field."""
    return error_response(
        HTTPStatus.BAD_REQUEST, ErrorCode.INVALID_REQUEST,
        "The request is invalid: " + ", ".join(e.field for e in err.errors) + ".",
        errors=[{"field": e.field, "message": e.message} for e in err.errors],
    )


def not_found(what: str, instance_id: str) -> func.HttpResponse:
    return error_response(HTTPStatus.NOT_FOUND, ErrorCode.NOT_FOUND,
                          f"No {what} with id {instance_id!r}.", instanceId=instance_id)
