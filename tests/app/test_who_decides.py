"""Only the current assignee decides, as the signed-in caller; everyone else is refused untouched.

The decider's identity is App Service Authentication's ``X-MS-CLIENT-PRINCIPAL-NAME`` (or the
Base64 ``X-MS-CLIENT-PRINCIPAL``) header, never a body field; so is the requester's. A refused
decision (401 without an identity, 403 for anyone who may not decide) raises no event: the
instance's history and custom status are exactly what they were. After the escalation only the
escalation target decides, except for the approver's decision the endpoint accepted before it
(the race at the deadline). Events raised directly on the Durable HTTP API bypass the endpoint;
the orchestrator applies the same rule and counts the others as ignored.
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
        # Neutral: it says what is missing, not how to assert an identity.
        assert reply.body["message"] == "This request needs a signed-in caller."
    assert await snapshot(api.host, instance_id) == before


async def test_the_requester_is_recognised_whatever_the_case_of_the_name_and_told_why(api: ApprovalClient) -> None:
    instance_id = await started(api)
    reply = await api.decide(instance_id, "approved", by=REQUESTER.upper())
    assert reply.status == 403
    assert f"{REQUESTER.upper()} requested it, and nobody decides their own request" in reply.body["message"]


async def test_a_requester_cannot_approve_a_request_filed_in_someone_elses_name(api: ApprovalClient) -> None:
    # Bob, the would-be approver, files a request naming Ada as the requester: refused; the
    # request he can file is his own, and then he cannot approve it.
    forged = await api.request("POST", "/api/approvals",
                               {"title": "Bonus", "requester": REQUESTER, "approver": HEAD},
                               headers={"X-MS-CLIENT-PRINCIPAL-NAME": APPROVER})
    assert (forged.status, [e["field"] for e in forged.body["errors"]]) == (400, ["requester"])
    own = await api.start(requester=APPROVER, approver=HEAD, title="Bonus")
    await api.host.idle()
    view = await api.view(own["id"])
    assert (view["requester"], view["mayDecide"]) == (APPROVER, [HEAD])
    before = await snapshot(api.host, own["id"])
    reply = await api.decide(own["id"], "approved", by=APPROVER)
    assert (reply.status, reply.body["error"]) == (403, "forbidden")
    assert await snapshot(api.host, own["id"]) == before


async def test_the_assignees_decision_completes_it_and_records_the_signed_in_name(api: ApprovalClient) -> None:
    instance_id = await started(api)
    reply = await api.decide(instance_id, "approved", by="Bob@Contoso.com", comment="Go ahead")
    assert reply.status == 202, reply.body
    assert reply.body["decision"] == {"decision": "approved", "by": "Bob@Contoso.com", "comment": "Go ahead",
                                      "stage": "awaiting_approval"}
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
    assert (view["stage"], view["assignee"], view["mayDecide"]) == ("escalated", HEAD, [HEAD])

    before = await snapshot(api.host, instance_id)
    refused = await api.decide(instance_id, "approved", by=STRANGER)
    assert (refused.status, refused.body["mayDecide"]) == (403, [HEAD])
    assert await snapshot(api.host, instance_id) == before

    reply = await api.decide(instance_id, "rejected", by=HEAD, comment="Not this year")
    assert (reply.status, reply.body["decision"]["stage"]) == (202, "escalated")
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"]) == ("rejected", HEAD, True)


async def test_after_escalation_the_approvers_decision_is_refused_and_changes_nothing(api: ApprovalClient) -> None:
    instance_id = await started(api, deadline="PT1H")
    await api.host.advance(timedelta(hours=1))
    before = await snapshot(api.host, instance_id)
    reply = await api.decide(instance_id, "approved", by=APPROVER)
    assert (reply.status, reply.body["mayDecide"]) == (403, [HEAD])
    assert f"{APPROVER} was its approver, but it escalated to {HEAD}" in reply.body["message"]
    assert await snapshot(api.host, instance_id) == before


async def test_the_approvers_decision_accepted_before_the_escalation_still_decides_after_it(
    api: ApprovalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race at the deadline: the endpoint checks the approval (still awaiting approval) and
    raises the event, but the deadline passes and the escalation is recorded before the event
    reaches the orchestrator. The 202 promised the decision, so it decides."""
    instance_id = await started(api, deadline="PT1H")
    host = api.host
    deliver = host.host.raise_event

    async def escalate_first(*args: Any) -> None:
        await host.advance(timedelta(hours=1))
        assert (await api.view(instance_id))["stage"] == "escalated"
        await deliver(*args)

    monkeypatch.setattr(host.host, "raise_event", escalate_first)
    reply = await api.decide(instance_id, "approved", by=APPROVER)
    assert (reply.status, reply.body["decision"]["stage"]) == (202, "awaiting_approval")
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["escalated"], result["ignoredEvents"]) == (
        "approved", APPROVER, True, 0)


async def test_after_escalation_an_approvers_event_not_checked_before_it_is_ignored(api: ApprovalClient) -> None:
    check_status = await api.start(requester=REQUESTER, approver=APPROVER, deadline="PT1H")
    instance_id = check_status["id"]
    await api.host.advance(timedelta(hours=1))
    # Raised directly (no stage: nothing checked it), or with the stage of a check made after the escalation.
    for payload in ({"decision": "approved", "by": APPROVER},
                    {"decision": "approved", "by": APPROVER, "stage": "escalated"}):
        assert (await api.send_event(check_status, payload)).status == 202
    await api.host.idle()
    view = await api.view(instance_id)
    assert (view["runtimeStatus"], view["stage"], view["decision"]) == ("Running", "escalated", None)
    assert (await api.send_event(check_status, {"decision": "rejected", "by": HEAD})).status == 202
    result = await api.result(instance_id)
    assert (result["outcome"], result["decidedBy"], result["ignoredEvents"]) == ("rejected", HEAD, 2)


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
