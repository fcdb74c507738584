"""Invoking HTTP-triggered functions the way the Python worker does.

For one request: build the request the worker turns into an ``azure.functions.HttpRequest``
(:class:`~durable_local.services.invocation.HttpRequestData`), pass it under the trigger's
parameter name, the durable client binding JSON *string* under the client parameter (the SDK's
``df_client_middleware`` turns it into a ``DurableOrchestrationClient``) and the values of its
input bindings (blob, table; binding expressions filled from the route parameters, the query
and the JSON body's properties), then call it through the host's
:class:`~durable_local.services.invocation.InvocationRunner`: the in-process
:class:`~durable_local.services.invocation.Invoker` or a worker process
(:mod:`durable_local.workers`).

The return value is converted like the worker's ``HttpResponseConverter`` (azfunc: http.py):
an ``HttpResponse`` gives status, headers and body (``content-type`` from mimetype/charset when
absent); a ``str`` is a 200 ``text/plain`` body. Anything else fails the invocation exactly as
the worker does ("unable to encode outgoing TypedData: unsupported type "http" for Python type
"dict"") instead of being silently serialized, so an app that works here works on Azure.
A failed invocation answers 500 with ``{"error": ..., "invocationId": ...}``; the real host
answers 500 with an empty body.
"""

from __future__ import annotations

import logging
import time
import uuid
from http import HTTPStatus
from typing import Any

from aiohttp import web
from azure.functions import _abc as functions_abc
from multidict import CIMultiDict

from ...contracts import HostApi
from ...engine.failures import WorkerError, log_failed_invocation
from ...services.bindings import OutputBindings
from ...services.invocation import (
    HttpRequestData,
    InputReader,
    Invocation,
    InvocationContext,
    InvocationRunner,
    Invoker,
    json_properties,
)
from ...services.keys import FunctionKeys
from ...services.loader import HttpFunction
from ...services.loader.validation import annotations_of
from .client_binding import client_binding_json
from .responses import json_response

logger = logging.getLogger(__name__)

#: The reason ``func start`` logs for HTTP-triggered invocations.
INVOCATION_REASON = "This function was programmatically called via the host APIs."


class UnsupportedReturnValue(TypeError):
    """The function returned something the http output binding cannot encode."""


def to_response(value: Any) -> web.Response:
    """Convert a function's return value as the worker + host do (see module docstring)."""
    if isinstance(value, functions_abc.HttpResponse):
        headers: CIMultiDict[str] = CIMultiDict()
        for name, header in value.headers.items():
            headers.add(name, header)
        if "content-type" not in headers:
            mimetype, charset = value.mimetype, value.charset
            headers["Content-Type"] = f"{mimetype}; charset={charset}" if mimetype.startswith("text/") else mimetype
        return web.Response(status=value.status_code, headers=headers, body=value.get_body() or b"")
    if isinstance(value, str):
        return web.Response(status=HTTPStatus.OK, text=value, content_type="text/plain", charset="utf-8")
    raise UnsupportedReturnValue(
        'unable to encode outgoing TypedData: unsupported type "http" for Python type '
        f'"{type(value).__name__}" (return func.HttpResponse or str)'
    )


def build_request(request: web.Request, body: bytes, route_params: dict[str, str]) -> HttpRequestData:
    """What the worker receives for ``request`` (it builds the ``func.HttpRequest`` from it)."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        # A repeated header reaches the worker once, its values comma-joined (RFC 9110 5.3).
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return HttpRequestData(
        method=request.method,
        url=str(request.url),
        headers=tuple(headers.items()),
        params=tuple(dict(request.query.items()).items()),
        route_params=tuple(route_params.items()),
        body=body,
    )


class FunctionInvoker:
    """Runs HTTP functions of one host: arguments in, ``web.Response`` out; never raises."""

    def __init__(
        self, host: HostApi, keys: FunctionKeys, bindings: OutputBindings, invoker: InvocationRunner | None = None
    ) -> None:
        self.host = host
        self.keys = keys
        self.bindings = bindings
        self.invoker = invoker or Invoker(host.registry)
        self.inputs = InputReader()

    def _client_binding(self) -> str:
        return client_binding_json(self.host.base_url, self.host.hub_name, self.keys.system_key)

    async def invoke(self, function: HttpFunction, request: web.Request, route_params: dict[str, str]) -> web.Response:
        invocation_id = str(uuid.uuid4())
        logger.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", function.name, INVOCATION_REASON, invocation_id)
        started = time.monotonic()
        try:
            response = await self._run(function, request, route_params, invocation_id)
        except Exception as err:
            elapsed = int((time.monotonic() - started) * 1000)
            error = WorkerError.of(err)
            log_failed_invocation(logger, function.name, invocation_id, elapsed, error)
            return json_response(
                {"error": error.message, "invocationId": invocation_id},
                HTTPStatus.INTERNAL_SERVER_ERROR,
            )
        elapsed = int((time.monotonic() - started) * 1000)
        logger.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", function.name, invocation_id, elapsed)
        return response

    async def _run(
        self, function: HttpFunction, request: web.Request, route_params: dict[str, str], invocation_id: str
    ) -> web.Response:
        body = await request.read()
        arguments: dict[str, Any] = {function.request_name: build_request(request, body, route_params)}
        if function.client_name:
            arguments[function.client_name] = self._client_binding()
        # Binding data for input and blob output paths (host: route values, query, JSON body
        # properties); the body is parsed only for a function that has such a binding.
        binding_data: dict[str, Any] = {}
        if function.inputs or any(o.type == "blob" for o in function.outputs):
            binding_data = {**json_properties(body), **dict(request.query.items()), **route_params}
        if function.inputs:
            arguments.update(await self.inputs.read(function.inputs, binding_data, annotations_of(function.fn)))
        invocation = Invocation(
            function.name,
            arguments,
            function.outputs,
            directory=str(self.host.registry.app_dir),
            invocation_id=invocation_id,
        )
        outcome = await self.invoker.invoke(invocation)
        if not function.returns_http:
            # No http output binding: nothing to send back (the value is discarded).
            await self.bindings.flush(function.outputs, outcome.outputs, binding_data)
            return web.Response(status=HTTPStatus.NO_CONTENT)
        response = to_response(outcome.value)
        # Bindings are written after a successful conversion, as the host does on success only.
        await self.bindings.flush(function.outputs, outcome.outputs, binding_data)
        return response


__all__ = ["INVOCATION_REASON", "FunctionInvoker", "InvocationContext", "build_request", "to_response"]
