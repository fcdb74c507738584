"""Only the current assignee decides, as the signed-in caller; everyone else is refused untouched.

The decider's identity is App Service Authentication's ``X-MS-CLIENT-PRINCIPAL-NAME`` (or the
Base64 ``X-MS-CLIENT-PRINCIPAL``) header, never a body field. A refused decision (401 without an
identity, 403 for anyone who may not decide) raises no event: the instance's history and custom
status are exactly what they were. Events raised directly on the Durable HTTP API bypass the
endpoint; the orchestrator applies the same rule and counts the others as ignored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host

from .api_client import ApprovalClient

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
REQUESTER, APPROVER, HEAD = "ada@contoso.com", "bob@contoso.com", "head-of-department@contoso.com"
STRANGER = "mallory@contoso.com"


@pytest.fixture
async def api(app_dir: Path, azurite: str, approval_settings: dict[str, str]) -> AsyncIterator[ApprovalClient]:
    async with run_host(app_dir, clock=ManualClock(START)) as host:
        yield ApprovalClient(host)


async def snapshot(host: TestHost, instance_id: str) -> tuple[Any, ...]:
    """Everything a refused decision must leave as it was."""
    await host.idle()
    status = await host.status(instance_id)
    assert status is not None
    return (str(status.runtime_status), status.custom_status, status.output, await host.history(instance_id))


async def started(api: ApprovalClient, **fields: Any) -> str:
    instance_id = str((await api.start(requester=REQUESTER, approver=APPROVER, **fields))["id"])
    await api.host.idle()
    return instance_id


@pytest.mark.parametrize(
    ("caller", "status", "error"),
    [
        (None, 401, "unauthenticated"),
        (REQUESTER, 403, "forbidden"),
        (STRANGER, 403, "forbidden"),
        (HEAD, 403, "forbidden"),  # the escalation target, before the escalation
    ],
    ids=["no-identity", "requester", "stranger", "escalation-target-too-early"],
)
async def test_a_decision_by_anyone_but_the_assignee_is_refused_and_changes_nothing(
    api: ApprovalClient, caller: str | None, status: int, error: str
) -> None:
    instance_id = await started(api)
    before = await snapshot(api.host, instance_id)
    reply = await api.decide(instance_id, "approved", by=caller)
    assert (reply.status, reply.body["error"]) == (status, error), reply.body
    if status == 403:
        assert reply.body["mayDecide"] == [APPROVER]
        assert f"Only {APPROVER} may decide" in reply.body["message"]
    else:
        assert "X-MS-CLIENT-PRINCIPAL-NAME" in reply.body["message"]
    assert await snapshot(api.host, instance_id) == before


async def test_the_requester_is_told_why_even_when_also_named_elsewhere(api: ApprovalClient) -> None:
    instance_id = await started(api)
    reply = await api.decide(instance_id, "approved", by=REQUESTER.upper())
    assert reply.status == 403
    assert "nobody decides their own request" in reply.body["message"]


async def test_the_assignees_decision_completes_it_and_records_the_signed_in_name(api: ApprovalClient) -> None:
    instance_id = await started(api)
    reply = await api.decide(instance_id, "approved", by="Bob@Contoso.com", comment="Go ahead")
    assert reply.status == 202, reply.body
    assert reply.body["decision"] == {"decision": "approved", "by": "Bob@Contoso.com", "comment": "Go ahead"}
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == ("approved", "Bob@Contoso.com", False)
    assert (await api.view(instance_id))["decision"]["by"] == "Bob@Contoso.com"


async def test_the_principal_header_identifies_the_caller(api: ApprovalClient) -> None:
    instance_id = await started(api)
    claims = {"auth_typ": "aad", "name_typ": "preferred_username", "role_typ": "roles",
              "claims": [{"typ": "preferred_username", "val": APPROVER}]}
    header = base64.b64encode(json.dumps(claims).encode()).decode()
    reply = await api.request("POST", f"/api/approvals/{instance_id}/decision", {"decision": "rejected"},
                              headers={"X-MS-CLIENT-PRINCIPAL": header})
    assert reply.status == 202, reply.body
    assert (await api.result(instance_id))["decidedBy"] == APPROVER


async def test_a_malformed_principal_is_refused_with_401(api: ApprovalClient) -> None:
    instance_id = await started(api)
    before = await snapshot(api.host, instance_id)
    reply = await api.request("POST", f"/api/approvals/{instance_id}/decision", {"decision": "approved"},
                              headers={"X-MS-CLIENT-PRINCIPAL": "%%%"})
    assert (reply.status, reply.body["error"]) == (401, "unauthenticated")
    assert await snapshot(api.host, instance_id) == before


async def test_after_escalation_the_escalation_target_decides(api: ApprovalClient) -> None:
    instance_id = await started(api, deadline="PT1H")
    await api.host.advance(timedelta(hours=1))
    view = await api.view(instance_id)
    assert (view["stage"], view["assignee"], view["mayDecide"]) == ("escalated", HEAD, [HEAD, APPROVER])

    before = await snapshot(api.host, instance_id)
    refused = await api.decide(instance_id, "approved", by=STRANGER)
    assert (refused.status, refused.body["mayDecide"]) == (403, [HEAD, APPROVER])
    assert await snapshot(api.host, instance_id) == before

    assert (await api.decide(instance_id, "rejected", by=HEAD, comment="Not this year")).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == ("rejected", HEAD, True)


async def test_after_escalation_the_approver_may_still_decide(api: ApprovalClient) -> None:
    instance_id = await started(api, deadline="PT1H")
    await api.host.advance(timedelta(hours=1))
    assert (await api.decide(instance_id, "approved", by=APPROVER)).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == ("approved", APPROVER, True)


async def test_an_event_raised_directly_by_someone_who_may_not_decide_is_ignored(api: ApprovalClient) -> None:
    check_status = await api.start(requester=REQUESTER, approver=APPROVER)
    instance_id = check_status["id"]
    for by in (STRANGER, REQUESTER, HEAD):
        reply = await api.send_event(check_status, {"decision": "approved", "by": by})
        assert reply.status == 202  # the Durable HTTP API accepts any event
    await api.host.idle()
    view = await api.view(instance_id)
    assert (view["runtimeStatus"], view["stage"], view["decision"]) == ("Running", "awaiting_approval", None)

    assert (await api.send_event(check_status, {"decision": "rejected", "by": APPROVER})).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["ignoredEvents"]) == ("rejected", APPROVER, 3)
