"""The HTTP contract of the app on the local host: 400/401/404/405/409 answers and idempotent starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from approval.identity import PRINCIPAL_NAME_HEADER
from durable_local.services.clock import ManualClock
from durable_local.testing import run_host

from .api_client import ApprovalClient

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AS_ADA = {PRINCIPAL_NAME_HEADER: "ada@contoso.com"}


@pytest.fixture
async def api(
    app_dir: Path, azurite: str, approval_settings: dict[str, str]
) -> AsyncIterator[ApprovalClient]:
    async with run_host(app_dir, clock=ManualClock(START), state=":memory:") as host:
        yield ApprovalClient(host)


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b"{not json", ["body"]),
        (b"", ["body"]),
        (b"[1, 2]", ["body"]),
        (b'"approve me"', ["body"]),
        (b'{"title": "", "approver": "bob", "deadline": "PT0S",'
         b' "escalationDeadline": "P1M", "colour": "red"}',
         ["colour", "title", "deadline", "escalationDeadline"]),
        (b'{"title": "t", "approver": "a", "deadline": "-PT1H"}', ["deadline"]),
        (b'{"title": "t", "approver": "a", "deadline": "P365D"}', ["deadline"]),
        (b'{"title": "t", "approver": "a", "instanceId": "a/b"}', ["instanceId"]),
        (b'{"title": "t", "approver": "a", "instanceId": "@x"}', ["instanceId"]),
        (b'{"title": "t", "approver": "ADA@contoso.com"}', ["approver"]),
    ],
)
async def test_start_answers_400_naming_every_invalid_field(
    api: ApprovalClient, raw: bytes, fields: list[str]
) -> None:
    reply = await api.request("POST", "/api/approvals", raw=raw, headers=AS_ADA)
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["error"] == "invalid_request"
    assert [e["field"] for e in reply.body["errors"]] == fields


async def test_start_reads_defaults_from_app_settings_at_request_time(
    api: ApprovalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPROVAL_TIMEOUT", "PT30S")
    monkeypatch.setenv("ESCALATE_TO", "cfo@contoso.com")
    instance_id = (await api.start())["id"]
    await api.host.idle()
    view = await api.view(instance_id)
    assert view["escalateTo"] == "cfo@contoso.com"
    await api.host.advance(timedelta(seconds=30))
    assert (await api.view(instance_id))["stage"] == "escalated"


async def test_start_answers_500_when_a_setting_is_unusable(
    api: ApprovalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPROVAL_TIMEOUT", "one day")
    reply = await api.request("POST", "/api/approvals", {"title": "t", "approver": "a"}, headers=AS_ADA)
    assert reply.status == 500
    assert reply.body["error"] == "misconfigured" and "APPROVAL_TIMEOUT" in reply.body["message"]


async def test_start_with_an_instance_id_is_idempotent_while_the_instance_is_active(
    api: ApprovalClient,
) -> None:
    first = await api.start(instanceId="order-42")
    assert first["id"] == "order-42"
    again = await api.request("POST", "/api/approvals", {"title": "t", "approver": "a", "instanceId": "order-42"},
                              headers=AS_ADA)
    assert again.status == 409
    assert (again.body["error"], again.body["instanceId"]) == ("conflict", "order-42")

    await api.host.idle()
    assert (await api.decide("order-42", "rejected")).status == 202
    await api.result("order-42")
    # A finished instance may be replaced, as the extension allows by default.
    assert (await api.start(instanceId="order-42", title="Second try"))["id"] == "order-42"
    await api.host.idle()
    assert (await api.view("order-42"))["title"] == "Second try"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"decision": "maybe"}, ["decision"]),
        ({}, ["decision"]),
        ({"decision": "approved", "by": "bob@contoso.com"}, ["by"]),
        ({"decision": "yes", "comment": "", "when": "now"}, ["when", "decision", "comment"]),
        ([], ["body"]),
    ],
)
async def test_decision_answers_400_naming_every_invalid_field(
    api: ApprovalClient, body: object, fields: list[str]
) -> None:
    instance_id = (await api.start())["id"]
    reply = await api.request("POST", f"/api/approvals/{instance_id}/decision", body,
                              headers={PRINCIPAL_NAME_HEADER: "bob@contoso.com"})
    assert reply.status == 400
    assert reply.body["error"] == "invalid_request"
    assert [e["field"] for e in reply.body["errors"]] == fields


async def test_decision_and_status_answer_404_for_unknown_approvals(api: ApprovalClient) -> None:
    decided = await api.decide("no-such-approval")
    assert (decided.status, decided.body["error"]) == (404, "not_found")
    viewed = await api.request("GET", "/api/approvals/no-such-approval")
    assert (viewed.status, viewed.body["error"]) == (404, "not_found")


async def test_status_answers_404_for_an_instance_that_is_not_an_approval(
    api: ApprovalClient,
) -> None:
    reply = await api.request("POST", "/api/orchestrators/reminders_orchestrator",
                              {"recipient": "ada", "message": "m", "count": 1})
    assert reply.status == 202
    assert (await api.request("GET", f"/api/approvals/{reply.body['id']}")).status == 404


async def test_generic_starter_answers_400_for_an_unknown_orchestrator(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/orchestrators/no_such_orchestrator", {"x": 1})
    assert reply.status == 400
    assert reply.body["error"] == "invalid_request"
    assert "no_such_orchestrator" in reply.body["message"]


async def test_generic_starter_answers_400_for_malformed_json(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/orchestrators/reminders_orchestrator", raw=b"{oops")
    assert (reply.status, [e["field"] for e in reply.body["errors"]]) == (400, ["body"])


async def test_generic_starter_refuses_an_approval_input_the_orchestrator_would_refuse(
    api: ApprovalClient,
) -> None:
    reply = await api.request("POST", "/api/orchestrators/approval_orchestrator",
                              {"title": "t", "requester": "ada@contoso.com", "approver": "a"}, headers=AS_ADA)
    assert reply.status == 400
    assert [e["field"] for e in reply.body["errors"]] == ["escalateTo", "deadline", "escalationDeadline"]
    instances = await api.request("GET", "/runtime/webhooks/durabletask/instances")
    assert instances.body == []


APPROVAL_INPUT = {"title": "t", "requester": "ada@contoso.com", "approver": "bob@contoso.com",
                  "escalateTo": "head@contoso.com", "deadline": "PT1H", "escalationDeadline": "PT1H"}


async def test_generic_starter_starts_an_approval_only_for_its_signed_in_requester(api: ApprovalClient) -> None:
    anonymous = await api.request("POST", "/api/orchestrators/approval_orchestrator", APPROVAL_INPUT)
    assert (anonymous.status, anonymous.body["error"]) == (401, "unauthenticated")
    forged = await api.request("POST", "/api/orchestrators/approval_orchestrator", APPROVAL_INPUT,
                               headers={PRINCIPAL_NAME_HEADER: "bob@contoso.com"})
    assert forged.status == 400
    assert [(e["field"], e["message"]) for e in forged.body["errors"]] == [
        ("requester", "must be the signed-in caller (bob@contoso.com): nobody requests in another's name")]
    instances = await api.request("GET", "/runtime/webhooks/durabletask/instances")
    assert instances.body == []
    started = await api.request("POST", "/api/orchestrators/approval_orchestrator", APPROVAL_INPUT, headers=AS_ADA)
    assert started.status == 202, started.body


async def test_generic_starter_refuses_an_invalid_reminder_plan(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/orchestrators/reminders_orchestrator",
                              {"recipient": "ada@contoso.com", "count": 0})
    assert reply.status == 400
    assert [e["field"] for e in reply.body["errors"]] == ["message", "count"]


async def test_a_failed_instance_shows_its_reason_in_one_line(
    api: ApprovalClient,
) -> None:
    # Started on the Durable HTTP API, which checks nothing: the orchestrator fails at once.
    reply = await api.request("POST", "/runtime/webhooks/durabletask/orchestrators/approval_orchestrator/broken",
                              {"title": 7})
    assert reply.status == 202
    await api.host.wait_for("broken", "Failed")
    view = await api.view("broken")
    assert view["runtimeStatus"] == "Failed"
    assert "\n" not in view["error"] and "Traceback" not in view["error"]
    assert "title" in view["error"] and "requester" in view["error"]
    status = await api.request("GET", "/runtime/webhooks/durabletask/instances/broken")
    assert status.body["output"].startswith(view["error"])


async def test_unknown_routes_and_methods_get_the_apps_error_shape_from_its_catch_all(api: ApprovalClient) -> None:
    # The host itself answers both with an empty 404 (azure-functions-host #10098, also on
    # Azure); the app's catch-all function unmatched_route answers instead.
    unknown = await api.request("GET", "/api/no-such-route")
    assert (unknown.status, unknown.body) == (
        404, {"error": "not_found", "message": "No endpoint of this app answers GET /api/no-such-route."})
    wrong_method = await api.request("DELETE", "/api/approvals")
    assert (wrong_method.status, wrong_method.headers["Allow"]) == (405, "POST")
    assert wrong_method.body == {"error": "method_not_allowed", "allow": ["POST"],
                                 "message": "DELETE is not allowed on /api/approvals; allowed: POST."}
    with_id = await api.request("PUT", "/api/approvals/some-id/")
    assert (with_id.status, with_id.body["allow"]) == (405, ["GET"])
    decision = await api.request("GET", "/api/Approvals/some-id/decision")
    assert (decision.status, decision.body["allow"]) == (405, ["POST"])
    root = await api.request("GET", "/api")
    assert (root.status, root.body["error"]) == (404, "not_found")
    # The specific functions still answer their own routes: the catch-all sorts after them.
    assert (await api.request("GET", "/api/approvals/no-such-approval")).body["error"] == "not_found"
    # The Durable HTTP API keeps the extension's own answers.
    durable = await api.request("POST", "/runtime/webhooks/durabletask/instances/nope/raiseEvent/x", {})
    assert durable.status == 404 and "error" not in (durable.body or {})
    # Outside the route prefix nothing of the app answers: the host's empty 404.
    outside = await api.request("GET", "/no-such-page")
    assert (outside.status, outside.body) == (404, None)


async def test_start_needs_a_signed_in_requester_and_refuses_a_requester_field(api: ApprovalClient) -> None:
    anonymous = await api.request("POST", "/api/approvals", {"title": "t", "approver": "bob@contoso.com"})
    assert (anonymous.status, anonymous.body) == (
        401, {"error": "unauthenticated", "message": "This request needs a signed-in caller."})
    # Bob names Ada as the requester and himself as the approver: refused, nothing starts.
    forged = await api.request("POST", "/api/approvals", {
        "title": "t", "requester": "ada@contoso.com", "approver": "bob@contoso.com"},
        headers={PRINCIPAL_NAME_HEADER: "bob@contoso.com"})
    assert forged.status == 400
    assert [e["field"] for e in forged.body["errors"]] == ["requester", "approver"]
    assert (await api.request("GET", "/runtime/webhooks/durabletask/instances")).body == []
