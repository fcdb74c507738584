"""Binding expressions in binding properties: ``{name}``, ``{rand-guid}``, ``{DateTime}``.

``{x}`` takes ``x`` from the trigger's binding data (a blob trigger's pattern parameters, a queue
message's ``queueTrigger`` text and its JSON properties, an HTTP route's parameters, ...); names
match case-insensitively as in the WebJobs SDK (sdk ``BindingTemplate``). Built-ins:
``{rand-guid}``/``{sys.randguid}`` a new GUID, ``{DateTime}``/``{sys.utcnow}`` the current UTC time
as ``yyyy-MM-ddTHH-mm-ssZ`` (sdk ``BindingDataPathHelper``: dashes in the time, so it fits a
path). ``{{`` and ``}}`` are literal braces. A name with no value fails the invocation with the
SDK's message ``No value for named parameter '<name>'.``. Format suffixes (``{DateTime:yyyy}``)
and dotted paths into objects (``{data.id}``) are not supported by the local host.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _builtin(name: str, now: datetime) -> str | None:
    lowered = name.lower()
    if lowered in ("rand-guid", "sys.randguid"):
        return str(uuid.uuid4())
    if lowered in ("datetime", "sys.utcnow"):
        return now.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return None


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return str(value)


def resolve_expressions(template: str, data: Mapping[str, Any], now: datetime | None = None) -> str:
    """``template`` with every ``{name}`` replaced (see the module docstring); KeyError-free: raises ValueError."""
    lowered = {key.lower(): value for key, value in data.items()}
    moment = now or datetime.now(UTC)

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1).strip()
        if name.lower() in lowered and lowered[name.lower()] is not None:
            return _text(lowered[name.lower()])
        builtin = _builtin(name, moment)
        if builtin is not None:
            return builtin
        raise ValueError(f"No value for named parameter '{name}'.")

    return _TOKEN.sub(replace, template)


def json_properties(text: str | bytes | None) -> dict[str, Any]:
    """Top-level non-object properties of a JSON object body (host ``Utility.ApplyBindingData``)."""
    import json

    if text is None:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if not isinstance(v, (dict, list))}
