"""Trigger values that can cross into a worker process, and their rebuilding where the function runs.

The Functions host sends the worker an ``RpcHttp`` message, not an object, and the worker builds
the ``func.HttpRequest`` (worker ``bindings/http.py``). ``azure.functions.HttpRequest`` holds
mapping proxies and cannot be pickled, so the local host does the same: the HTTP front-end puts
an :class:`HttpRequestData` among an invocation's arguments and :func:`materialize` builds the
request on the side that calls the function (the host itself, or a worker process). The other
trigger values (``TimerRequest``, ``QueueMessage``, ``InputStream``) are plain objects that pickle
as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func


@dataclass(frozen=True)
class HttpRequestData:
    """What the worker receives for an HTTP trigger: method, URL, headers, query, route values, body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]
    route_params: tuple[tuple[str, str], ...]
    body: bytes

    def to_request(self) -> func.HttpRequest:
        return func.HttpRequest(
            method=self.method,
            url=self.url,
            headers=dict(self.headers),
            params=dict(self.params),
            route_params=dict(self.route_params),
            body=self.body,
        )


def materialize(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments with every :class:`HttpRequestData` turned into a ``func.HttpRequest``."""
    return {
        name: value.to_request() if isinstance(value, HttpRequestData) else value for name, value in arguments.items()
    }
