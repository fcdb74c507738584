"""One local host per bad-input test module: the repository's app on ``run_host`` over real HTTP.

The host runs on a :class:`ManualClock` (nothing moves unless a test asks) with an in-memory
store, on the module's event loop (``loop_scope="module"``), and starts a few instances that
requests can target in every state: awaiting a decision, Completed, Failed and Terminated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host

from .probing import Known, create_known_instances

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def host(azurite: str) -> AsyncIterator[TestHost]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("APPROVAL_TIMEOUT", "PT24H")
        env.setenv("ESCALATION_TIMEOUT", "PT24H")
        env.setenv("ESCALATE_TO", "head-of-department@contoso.com")
        async with run_host(REPO_ROOT, clock=ManualClock(START)) as running:
            yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def known(host: TestHost) -> Known:
    return await create_known_instances(host)
