"""A thin client for the app's HTTP API on a running local host, used by the workflow tests.

Every call goes over real HTTP to the host's ``/api/...`` routes (or to the Durable HTTP API's
``/runtime/webhooks/durabletask/...`` URLs the check-status payload hands out), exactly as a
curl user would, and returns the status code with the decoded JSON body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from approval.domain import DECISION_EVENT
from approval.durations import parse_instant
from approval.identity import PRINCIPAL_NAME_HEADER
from durable_local.testing import TestHost


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class ApprovalClient:
    """Calls the approval endpoints of ``host``."""

    def __init__(self, host: TestHost) -> None:
        self.host = host

    async def request(
        self, method: str, path_or_url: str, body: Any = None, *, raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        url = path_or_url if path_or_url.startswith("http") else self.host.url(path_or_url)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {**({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})}
        async with self.host.http.request(method, url, data=data, headers=headers) as response:
            text = await response.text()
            decoded = json.loads(text) if text else None
            return Reply(response.status, decoded, dict(response.headers))

    async def start(self, *, requester: str = "ada@contoso.com", **fields: Any) -> dict[str, Any]:
        """Start an approval signed in as ``requester``; return the check-status payload (asserts 202)."""
        body = {
            "title": "New data centre",
            "approver": "bob@contoso.com",
            **fields,
        }
        reply = await self.request("POST", "/api/approvals", body, headers={PRINCIPAL_NAME_HEADER: requester})
        assert reply.status == 202, reply.body
        assert reply.headers["Location"] == reply.body["statusQueryGetUri"]
        return reply.body

    async def decide(
        self, instance_id: str, decision: str = "approved", by: str | None = "bob@contoso.com",
        comment: str | None = None,
    ) -> Reply:
        """POST a decision signed in as ``by`` (``X-MS-CLIENT-PRINCIPAL-NAME``; ``None``: anonymous)."""
        body: dict[str, Any] = {"decision": decision}
        if comment is not None:
            body["comment"] = comment
        headers = {PRINCIPAL_NAME_HEADER: by} if by is not None else {}
        return await self.request("POST", f"/api/approvals/{instance_id}/decision", body, headers=headers)

    async def view(self, instance_id: str) -> dict[str, Any]:
        reply = await self.request("GET", f"/api/approvals/{instance_id}")
        assert reply.status == 200, reply.body
        return reply.body

    async def send_event(self, check_status: dict[str, Any], body: Any) -> Reply:
        """POST ``body`` to the ``sendEventPostUri`` of ``ApprovalDecision``, as curl would."""
        url = check_status["sendEventPostUri"].replace("{eventName}", DECISION_EVENT)
        return await self.request("POST", url, body)

    async def result(self, instance_id: str) -> dict[str, Any]:
        """The output of a completed instance (asserts it completed rather than failed)."""
        status = await self.host.wait_for(instance_id, "Completed", "Failed", "Terminated")
        assert status.runtime_status == "Completed", status.output
        assert status.output is not None
        return json.loads(status.output)


def instant(text: str) -> datetime:
    return parse_instant(text)


def close_to(text: str, expected: datetime, tolerance: timedelta = timedelta(seconds=1)) -> bool:
    """``text`` is at or just after ``expected`` (the manual clock ticks 1 µs per read)."""
    moment = instant(text)
    return expected <= moment < expected + tolerance
