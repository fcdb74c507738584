"""Where the app's queue output binding writes during a benchmark.

``azurite`` (the default, as users run the app): a private Azurite on free ports, started with
``tests.azurite.running_azurite`` and exported as ``AzureWebJobsStorage`` for the run; the
host's real ``OutputBindings`` write every notification to it. ``none``: the values are accepted
and dropped (:class:`bench.engine.DiscardingBindings`), which isolates the engine from the
storage emulator.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from durable_local.services.bindings import OutputBindings

from .engine import DiscardingBindings

STORAGE_SETTING = "AzureWebJobsStorage"


@asynccontextmanager
async def storage_connection(kind: str) -> AsyncIterator[dict[str, Any]]:
    """Set ``AzureWebJobsStorage`` for the run (Azurite) and yield facts for the report."""
    if kind == "none":
        yield {"storage": "none (queue messages discarded)"}
        return
    from tests.azurite import running_azurite

    previous = os.environ.get(STORAGE_SETTING)
    with tempfile.TemporaryDirectory(prefix="bench-azurite-") as tmp, running_azurite(Path(tmp)) as endpoints:
        os.environ[STORAGE_SETTING] = endpoints.connection_string
        try:
            yield {"storage": "azurite"}
        finally:
            if previous is None:
                os.environ.pop(STORAGE_SETTING, None)
            else:
                os.environ[STORAGE_SETTING] = previous


@asynccontextmanager
async def notification_bindings(kind: str) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """Output bindings for the engine plus report facts, per :func:`storage_connection`."""
    async with storage_connection(kind) as facts:
        yield (DiscardingBindings() if kind == "none" else OutputBindings()), facts
