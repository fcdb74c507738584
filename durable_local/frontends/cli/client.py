"""A small synchronous client of a running host's management API, for the CLI.

Standard library only (``urllib``), so ``python -m durable_local get-instances`` starts fast and
needs neither aiohttp nor the Functions SDK. Errors become :class:`ApiError` (with the API's own
message) or :class:`Unreachable`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
#: ``Message`` values that only say "see ExceptionMessage" (ext: HttpApiHandler).
_GENERIC_MESSAGES = {
    "One or more of the arguments submitted is incorrect",
    "Something went wrong while processing your request",
}
#: Sentinel: a 404 is an error with the API's message.
_DEFAULT = object()


class Unreachable(Exception):
    """Nothing answers at the host URL."""


class ApiError(Exception):
    """The API answered with a 4xx/5xx; ``str()`` is its message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{message} (HTTP {status})")


@dataclass
class ApiResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON; ``None`` for an empty body."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


def read_json_argument(text: str) -> Any:
    """``--input``/``--event-data``: JSON text or ``@file``; text that is not JSON is a string."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ValueError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        return json.loads(text)
    except ValueError:
        return text


def error_message(status: int, body: bytes) -> str:
    """The most useful message of an error body (``HttpError`` JSON, a JSON string or text)."""
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        return body.decode("utf-8", "replace").strip() or f"HTTP {status}"
    if isinstance(payload, dict):
        message = payload.get("Message")
        if message in _GENERIC_MESSAGES or not message:
            message = payload.get("ExceptionMessage") or message or payload.get("error")
        return str(message or payload)
    if isinstance(payload, str):
        return payload
    return f"HTTP {status}"


class ManagementClient:
    """Calls ``{host_url}/runtime/webhooks/durabletask/<path>``."""

    def __init__(self, host_url: str, code: str | None = None, timeout: float = 30.0) -> None:
        self.host_url = host_url.rstrip("/")
        self.code = code
        self.timeout = timeout

    @staticmethod
    def quote(segment: str) -> str:
        """A path segment, fully encoded (the API decodes ``+`` as a space, so it is encoded too)."""
        return urllib.parse.quote(segment, safe="")

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: Any = _DEFAULT,
    ) -> ApiResponse:
        """Send one request; raise :class:`ApiError` for an error status.

        ``not_found``: a message for a 404 with an empty body, or ``None`` to return the 404.
        """
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if self.code:
            params["code"] = self.code
        url = f"{self.host_url}{WEBHOOK_PATH}/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
        if body is not None:
            request.data = body.encode("utf-8")
            request.add_header("Content-Type", "application/json")
        wait = float(params.get("timeout", 0) or 0)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout + wait) as reply:
                response = ApiResponse(reply.status, reply.read(), {k.lower(): v for k, v in reply.headers.items()})
        except urllib.error.HTTPError as err:
            response = ApiResponse(err.code, err.read(), {k.lower(): v for k, v in err.headers.items()})
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise Unreachable(
                f"cannot reach the local host at {self.host_url} ({reason}); "
                "is `python -m durable_local start` running? (set --host-url or DURABLE_LOCAL_URL)"
            ) from err
        if response.status < 400:
            return response
        if response.status == 404 and not_found is None:
            return response
        if response.status == 404 and not response.body and isinstance(not_found, str):
            raise ApiError(404, not_found)
        raise ApiError(response.status, error_message(response.status, response.body))
