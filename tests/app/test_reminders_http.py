"""``POST /api/reminders`` validates before starting; ``GET /api/reminders/{id}`` is the business view."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from durable_local.services.clock import ManualClock
from durable_local.testing import run_host

from .api_client import ApprovalClient

START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
API = "/runtime/webhooks/durabletask"


@pytest.fixture
async def api(app_dir: Path, azurite: str, approval_settings: dict[str, str]) -> AsyncIterator[ApprovalClient]:
    async with run_host(app_dir, clock=ManualClock(START)) as host:
        yield ApprovalClient(host)


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b"", ["body"]),
        (b"[]", ["body"]),
        (b'{"recipient": 1, "count": 0, "interval": "P7D", "subject": "", "colour": "red"}',
         ["colour", "recipient", "message", "subject", "interval", "count"]),
        (b'{"recipient": "ada", "message": "m", "count": 31, "instanceId": "a#b"}', ["count", "instanceId"]),
        (b'{"recipient": "ada", "message": "m", "interval": "P1M"}', ["interval"]),
    ],
)
async def test_start_answers_400_naming_every_invalid_field_and_starts_nothing(
    api: ApprovalClient, raw: bytes, fields: list[str]
) -> None:
    reply = await api.request("POST", "/api/reminders", raw=raw)
    assert reply.status == 400
    assert reply.body["error"] == "invalid_request"
    assert [e["field"] for e in reply.body["errors"]] == fields
    assert (await api.request("GET", f"{API}/instances")).body == []


async def test_start_answers_the_check_status_payload_with_defaults_applied(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/reminders", {"recipient": "ada@contoso.com", "message": "Review"})
    assert reply.status == 202, reply.body
    assert reply.headers["Location"] == reply.body["statusQueryGetUri"]
    assert {"id", "statusQueryGetUri", "sendEventPostUri", "terminatePostUri"} <= set(reply.body)
    await api.host.idle()
    view = (await api.request("GET", f"/api/reminders/{reply.body['id']}")).body
    assert (view["runtimeStatus"], view["count"], view["interval"], view["subject"]) == ("Running", 10, "P1D", "Reminder")
    assert (view["sent"], view["failed"], view["reminders"]) == (0, 0, None)
    assert view["nextDueAt"].startswith("2026-02-03T09:00:00")


async def test_view_follows_the_reminders_to_completion(api: ApprovalClient) -> None:
    reply = await api.request("POST", "/api/reminders", {
        "recipient": "ada@contoso.com", "message": "Review", "subject": "Design", "count": 2, "interval": "PT1H",
        "instanceId": "design-review"})
    assert (reply.status, reply.body["id"]) == (202, "design-review")
    await api.host.advance(timedelta(hours=1))
    halfway = (await api.request("GET", "/api/reminders/design-review")).body
    assert (halfway["sent"], halfway["nextDueAt"][:19]) == (1, "2026-02-02T11:00:00")
    await api.host.advance(timedelta(hours=1))
    done = (await api.request("GET", "/api/reminders/design-review")).body
    assert (done["runtimeStatus"], done["sent"], done["failed"], done["nextDueAt"]) == ("Completed", 2, 0, None)
    assert [(r["number"], r["status"], r["id"]) for r in done["reminders"]] == [
        (1, "sent", "design-review:reminder-1"), (2, "sent", "design-review:reminder-2")]
    assert done["notificationFailures"] == [] and done["lastFailure"] is None


async def test_start_with_an_active_instance_id_answers_409(api: ApprovalClient) -> None:
    body = {"recipient": "ada@contoso.com", "message": "m", "instanceId": "once"}
    assert (await api.request("POST", "/api/reminders", body)).status == 202
    again = await api.request("POST", "/api/reminders", body)
    assert (again.status, again.body["error"], again.body["runtimeStatus"]) == (409, "conflict", "Running")


async def test_view_answers_404_for_unknown_ids_and_for_approvals(api: ApprovalClient) -> None:
    unknown = await api.request("GET", "/api/reminders/nope")
    assert (unknown.status, unknown.body["error"]) == (404, "not_found")
    approval = await api.start()
    assert (await api.request("GET", f"/api/reminders/{approval['id']}")).status == 404
