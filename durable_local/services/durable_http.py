"""The extension's built-in durable HTTP activity (``BuiltIn::HttpActivity``), for ``call_http``.

What the Python SDK 1.x gets, read from the extension (``Listener/TaskHttpActivityShim.cs``,
``DurableHttpRequest``/``DurableHttpResponse``, ``DurableHttpClientFactory``):

* The request is the SDK's ``httpRequest`` (``method``, ``uri``, ``content``, ``headers``,
  ``tokenSource``). Every header but ``Content-Type`` goes out as given; a body goes out with
  the caller's ``Content-Type`` or ``text/plain``; multipart content is refused.
* The result is ``{"statusCode": <int>, "headers": {...}, "content": "<text>"}`` for *any*
  status: a 500 is a completed task, not a failure. ``headers`` are the response headers only
  (content headers such as Content-Type are not among them), one value as a string, several as
  a list. The SDK hands the orchestrator this object as a dict (1.7.0 has no response class).
* **No 202 polling.** The extension polls ``Location`` only when ``asynchronousPatternEnabled``
  is set, and the Python SDK 1.x never sends that field, which Newtonsoft then fills with
  ``false``: on Azure the orchestrator receives the 202 itself (azure-functions-durable-python
  #380 asks for polling and is still open). Polling here would let an app rely on something
  Azure does not do.
* Failures: a connection that cannot be made fails the task with the .NET message
  (``Connection refused (host:port)``); the client's timeout (240 s in the extension's
  ``HttpClient``) fails it with ``The request was canceled due to the configured
  HttpClient.Timeout of N seconds elapsing.``; a ``tokenSource`` fails it at once: there is no
  managed identity on a developer machine for the local host to ask.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from ..protocol import EXTENSION_VERSION

#: ``DurableHttpClientFactory``: the HttpClient's timeout.
DEFAULT_TIMEOUT_S = 240.0
#: .NET keeps these on ``HttpContent.Headers``, not ``HttpResponseMessage.Headers``.
_CONTENT_HEADERS = frozenset(
    h.lower()
    for h in (
        "Allow",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Location",
        "Content-MD5",
        "Content-Range",
        "Content-Type",
        "Expires",
        "Last-Modified",
    )
)


@dataclass(frozen=True)
class HttpOutcome:
    """``result_json`` (the DurableHttpResponse) or ``reason``/``details`` of a TaskFailed."""

    result_json: str | None = None
    reason: str | None = None
    details: str | None = None


class DurableHttp:
    """Sends ``call_http`` requests; one aiohttp session for the host's lifetime."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, request_json: str | None) -> HttpOutcome:
        """Run one request; never raises (a malformed request is a failed task)."""
        try:
            request = json.loads(request_json or "null")
            if not isinstance(request, dict):
                raise ValueError("the httpRequest is not a JSON object")
            return await self._send(request)
        except (ValueError, TypeError, KeyError) as err:
            return _failure(f"Invalid durable HTTP request: {err}", "System.ArgumentException")

    async def _send(self, request: dict[str, Any]) -> HttpOutcome:
        if request.get("tokenSource"):
            resource = (request["tokenSource"] or {}).get("resource")
            return _failure(
                "DefaultAzureCredential failed to retrieve a token from the included credentials. "
                f"The local Durable host has no managed identity to request a token for '{resource}': "
                "call_http with a token_source works only on Azure. Send the Authorization header "
                "yourself to test locally.",
                "Azure.Identity.CredentialUnavailableException",
            )
        method = str(request.get("method") or "GET").upper()
        uri = str(request["uri"])
        headers = {str(k): str(v) for k, v in (request.get("headers") or {}).items()}
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        if content_type is not None and "multipart" in content_type.lower():
            return _failure("Multipart content is not supported with CallHttpAsync.", "FunctionFailedException")
        outgoing = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        outgoing.setdefault("User-Agent", f"Microsoft.Azure.WebJobs.Extensions.DurableTask/{EXTENSION_VERSION}")
        body = request.get("content")
        if body is not None:
            media = content_type or "text/plain"
            if media.lower() == "application/x-www-form-urlencoded":
                media += "; charset=utf-8"
            outgoing["Content-Type"] = media
        session = self._session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        self._session = session
        try:
            async with session.request(
                method, uri, headers=outgoing, data=body.encode("utf-8") if isinstance(body, str) else None
            ) as reply:
                content = await reply.text(errors="replace")
                response = {"statusCode": reply.status, "headers": _response_headers(reply.headers), "content": content}
        except aiohttp.ClientConnectorError as err:
            # .NET on Linux: "<strerror> (host:port)", e.g. "Connection refused (127.0.0.1:9)"
            cause = os.strerror(err.os_error.errno) if err.os_error.errno else str(err.os_error)
            return _failure(f"{cause} ({err.host}:{err.port})", "System.Net.Http.HttpRequestException")
        except TimeoutError:
            return _failure(
                f"The request was canceled due to the configured HttpClient.Timeout of {self.timeout_s:g} seconds elapsing.",
                "System.Threading.Tasks.TaskCanceledException",
            )
        except aiohttp.ClientError as err:
            return _failure(str(err) or type(err).__name__, "System.Net.Http.HttpRequestException")
        return HttpOutcome(result_json=json.dumps(response, ensure_ascii=False, separators=(",", ":")))


def _response_headers(headers: CIMultiDictProxy[str]) -> dict[str, str | list[str]]:
    """``HttpHeadersConverter``: response headers only; one value a string, several a list."""
    collected: dict[str, list[str]] = {}
    for name, value in headers.items():
        if name.lower() in _CONTENT_HEADERS:
            continue
        collected.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in collected.items()}


def _failure(message: str, exception_type: str) -> HttpOutcome:
    """TaskFailed of the HTTP activity: the .NET message as Reason (no "Activity function" prefix:
    that comes only from TaskActivityShim), the cause as Details."""
    details = json.dumps({"ClassName": exception_type, "Message": message}, separators=(",", ":"))
    return HttpOutcome(reason=message, details=details)
