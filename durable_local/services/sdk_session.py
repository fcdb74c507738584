"""The Durable SDK client's process-wide HTTP session, released when a host stops.

``SDK: models/utils/http_utils.py`` keeps one ``aiohttp.ClientSession`` (and an
``asyncio.Lock``) per process, bound to the event loop it was first used on. The Functions
worker runs one loop for the life of the process, so that never matters on Azure. The local
host can be opened and closed on several loops in one process (tests, a restarted CLI host):
the session must go with its loop, or the next loop inherits one bound to a closed loop.
"""

from __future__ import annotations

import asyncio

from azure.durable_functions.models.utils import http_utils


async def close_sdk_session() -> None:
    """Close the SDK's shared session if it belongs to this loop, and forget it either way."""
    session = http_utils._client_session  # the SDK offers no public hook
    if session is not None and not session.closed and getattr(session, "_loop", None) is asyncio.get_running_loop():
        await session.close()
    http_utils._client_session = None
    http_utils._session_lock = asyncio.Lock()
