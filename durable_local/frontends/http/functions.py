"""Invoking HTTP-triggered functions the way the Python worker does.

For one request: build an ``azure.functions.HttpRequest``, pass it under the trigger's
parameter name, the durable client binding JSON *string* under the client parameter (the SDK's
``df_client_middleware`` turns it into a ``DurableOrchestrationClient``), a ``func.Out`` per
output binding and, if the function asks for it, a ``context``. Async functions are awaited on
the server's own loop — the SDK keeps one module-level aiohttp session bound to the loop it
was first used on, and its RPC calls come back to this same server — and sync functions run
in the default thread pool.

The return value is converted like the worker's ``HttpResponseConverter`` (azfunc: http.py):
an ``HttpResponse`` gives status, headers and body (``content-type`` from mimetype/charset when
absent); a ``str`` is a 200 ``text/plain`` body. Anything else fails the invocation exactly as
the worker does ("unable to encode outgoing TypedData: unsupported type "http" for Python type
"dict"") instead of being silently serialized, so an app that works here works on Azure.
A failed invocation answers 500 with ``{"error": ..., "invocationId": ...}``; the real host
answers 500 with an empty body.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import threading
import time
import uuid
from http import HTTPStatus
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions import _abc as functions_abc
from multidict import CIMultiDict

from ...contracts import HostApi
from ...engine.failures import WorkerError, log_failed_invocation
from ...services.bindings import OutputBindings, prepare_outputs, set_values
from ...services.keys import FunctionKeys
from ...services.loader import HttpFunction
from .client_binding import client_binding_json
from .responses import json_response

logger = logging.getLogger(__name__)

#: The reason ``func start`` logs for HTTP-triggered invocations.
INVOCATION_REASON = "This function was programmatically called via the host APIs."


class InvocationContext(func.Context):
    """The ``context`` parameter (``func.Context``) of one invocation."""

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._thread_local_storage = threading.local()

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._thread_local_storage

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


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


def build_request(request: web.Request, body: bytes, route_params: dict[str, str]) -> func.HttpRequest:
    """The ``func.HttpRequest`` the worker would pass for ``request``."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        # A repeated header reaches the worker once, its values comma-joined (RFC 9110 5.3).
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=headers,
        params=dict(request.query.items()),
        route_params=route_params,
        body=body,
    )


class FunctionInvoker:
    """Runs HTTP functions of one host: arguments in, ``web.Response`` out; never raises."""

    def __init__(self, host: HostApi, keys: FunctionKeys, bindings: OutputBindings) -> None:
        self.host = host
        self.keys = keys
        self.bindings = bindings

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
            log_failed_invocation(logger, function.name, invocation_id, elapsed, WorkerError.of(err))
            return json_response(
                {"error": f"{type(err).__name__}: {err}", "invocationId": invocation_id},
                HTTPStatus.INTERNAL_SERVER_ERROR,
            )
        elapsed = int((time.monotonic() - started) * 1000)
        logger.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", function.name, invocation_id, elapsed)
        return response

    async def _run(
        self, function: HttpFunction, request: web.Request, route_params: dict[str, str], invocation_id: str
    ) -> web.Response:
        body = await request.read()
        kwargs: dict[str, Any] = {function.request_name: build_request(request, body, route_params)}
        if function.client_name:
            kwargs[function.client_name] = self._client_binding()
        outs = prepare_outputs(function.outputs)
        kwargs.update(outs)
        if _wants_context(function):
            kwargs["context"] = InvocationContext(invocation_id, function.name, str(self.host.registry.app_dir))
        if function.is_async:
            result = await function.fn(**kwargs)
        else:
            loop = asyncio.get_running_loop()
            call = functools.partial(contextvars.copy_context().run, function.fn, **kwargs)
            result = await loop.run_in_executor(None, call)
        if not function.returns_http:
            # No http output binding: nothing to send back (the value is discarded).
            await self.bindings.flush(function.outputs, set_values(outs))
            return web.Response(status=HTTPStatus.NO_CONTENT)
        response = to_response(result)
        # Bindings are written after a successful conversion, as the host does on success only.
        await self.bindings.flush(function.outputs, set_values(outs))
        return response


@functools.cache
def _parameters(fn: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return frozenset()


def _wants_context(function: HttpFunction) -> bool:
    names = _parameters(function.fn)
    return "context" in names and "context" not in (function.request_name, function.client_name)
