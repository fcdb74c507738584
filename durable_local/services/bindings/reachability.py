"""Is the storage the app's bindings use reachable? A start-up probe, never a failure.

``func start`` connects to the storage account when the host starts and fails loudly when it
cannot; the local host keeps its own state in SQLite and starts anyway, but warns at once, with
the fix, instead of letting the first queue write fail in the middle of a workflow. The probe
opens a TCP connection to each blob/queue/table endpoint of each connection string (one second
at most each, concurrently); it sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .connections import resolve_connection_string


@dataclass(frozen=True)
class Unreachable:
    """A connection setting whose endpoint refused or did not answer."""

    setting: str
    endpoint: str


def _endpoints(connection_string: str) -> list[str]:
    parts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in connection_string.split(";") if p)}
    found = [parts[key] for key in ("blobendpoint", "queueendpoint", "tableendpoint") if parts.get(key)]
    if not found and parts.get("accountname"):
        suffix = parts.get("endpointsuffix", "core.windows.net")
        scheme = parts.get("defaultendpointsprotocol", "https")
        found = [f"{scheme}://{parts['accountname']}.{kind}.{suffix}" for kind in ("blob", "queue", "table")]
    return found


async def _open(endpoint: str, timeout: float) -> bool:
    url = urlsplit(endpoint)
    if not url.hostname:
        return True
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


async def unreachable_storage(settings: Iterable[str], timeout: float = 1.0) -> list[Unreachable]:
    """The settings (of those given) whose storage endpoints do not accept a connection."""
    checks: list[tuple[str, str]] = []
    for setting in sorted(set(settings)):
        try:
            connection_string = resolve_connection_string(setting)
        except Exception:  # a missing setting is the loader's error to report
            continue
        checks += [(setting, endpoint) for endpoint in _endpoints(connection_string)]
    results = await asyncio.gather(*(_open(endpoint, timeout) for _, endpoint in checks))
    failed: dict[str, str] = {}
    for (setting, endpoint), ok in zip(checks, results, strict=True):
        if not ok and setting not in failed:
            failed[setting] = endpoint
    return [Unreachable(setting, endpoint) for setting, endpoint in failed.items()]
