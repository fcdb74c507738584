"""A running host on the entity test app, with a manual clock and in-memory state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from durable_local.testing import TestHost, run_host

BANK_APP = Path(__file__).parent / "apps" / "bank"
API = "/runtime/webhooks/durabletask"


@pytest.fixture
async def host() -> AsyncIterator[TestHost]:
    async with run_host(BANK_APP) as running:
        yield running


async def get_json(host: TestHost, path: str) -> tuple[int, Any]:
    async with host.http.get(host.url(path)) as reply:
        text = await reply.text()
        return reply.status, (None if not text else json.loads(text))


async def post(host: TestHost, path: str, body: Any = None, content_type: str = "application/json") -> int:
    data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = {"Content-Type": content_type} if data is not None else {}
    async with host.http.post(host.url(path), data=data, headers=headers) as reply:
        return reply.status
