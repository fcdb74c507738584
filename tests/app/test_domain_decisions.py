"""Decision bodies, event payloads, the rule of who may decide, and reminder input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from approval.domain import (
    Decision,
    Outcome,
    Stage,
    accepts,
    deciders,
    decision_from_event,
    may_decide,
    parse_decision_request,
)
from approval.reminder_plan import ReminderPlan, parse_reminder_request
from approval.validation import ValidationError


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def decision_errors(value: Any) -> dict[str, str]:
    raw = value if isinstance(value, bytes) else body(value)
    with pytest.raises(ValidationError) as caught:
        parse_decision_request(raw, "bob")
    return {e.field: e.message for e in caught.value.errors}



# --- decisions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_decision_body_is_parsed_and_the_caller_is_the_decider(outcome: str) -> None:
    decision = parse_decision_request(body({"decision": outcome, "comment": "ok"}), "bob")
    assert decision == Decision(Outcome(outcome), "bob", "ok")
    assert decision.to_event() == {"decision": outcome, "by": "bob", "comment": "ok"}


def test_decision_body_refuses_by_and_says_where_the_decider_comes_from() -> None:
    errors = decision_errors({"decision": "approved", "by": "mallory"})
    assert errors == {"by": "not accepted: the decider is the signed-in caller (App Service Authentication), never a body field"}


def test_the_event_carries_the_stage_the_endpoint_checked() -> None:
    decision = parse_decision_request(body({"decision": "approved"}), "bob").validated_at(Stage.AWAITING_APPROVAL)
    assert decision.to_event() == {"decision": "approved", "by": "bob", "stage": "awaiting_approval"}
    assert decision_from_event(decision.to_event()) == decision
    assert decision_from_event(json.dumps(decision.to_event())) == decision


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        (b"", {"body"}),
        (b"{nope", {"body"}),
        ([], {"body"}),
        ("approved", {"body"}),
        ({}, {"decision"}),
        ({"decision": "maybe"}, {"decision"}),
        ({"decision": "Approved"}, {"decision"}),
        ({"decision": True}, {"decision"}),
        ({"decision": "approved", "by": ""}, {"by"}),
        ({"decision": "approved", "comment": 5}, {"comment"}),
        ({"decision": "approved", "comment": ""}, {"comment"}),
        ({"decision": "approved", "at": "now"}, {"at"}),
        ({"decision": "yes", "by": "bob", "extra": 1}, {"decision", "by", "extra"}),
    ],
)
def test_decision_body_names_every_invalid_field(value: Any, fields: set[str]) -> None:
    assert set(decision_errors(value)) == fields


def test_event_payload_is_accepted_as_object_or_as_json_text() -> None:
    expected = Decision(Outcome.APPROVED, "bob", None)
    # curl to sendEventPostUri with a JSON object body -> the orchestrator receives a dict
    assert decision_from_event({"decision": "approved", "by": "bob"}) == expected
    # DurableOrchestrationClient.raise_event(..., dict) -> a str of JSON text (SDK issue #295)
    assert decision_from_event(json.dumps({"decision": "approved", "by": "bob"})) == expected


@pytest.mark.parametrize(
    "payload",
    [None, "", "approved", '"approved"', "{not json", 42, [], ["approved"],
     {"decision": "maybe", "by": "bob"}, {"decision": "approved"}, {"by": "bob"},
     json.dumps({"decision": "approved", "by": "bob", "x": 1}),
     {"decision": "approved", "by": "bob", "stage": "approved"},
     {"decision": "approved", "by": "bob", "stage": 1}],
)
def test_event_payload_without_a_valid_decision_yields_none(payload: Any) -> None:
    assert decision_from_event(payload) is None


# --- who may decide ---------------------------------------------------------------------------


def test_only_the_approver_decides_while_awaiting_approval() -> None:
    assert deciders(Stage.AWAITING_APPROVAL, "bob", "head") == ("bob",)
    assert may_decide("Bob", Stage.AWAITING_APPROVAL, "ada", "bob", "head")
    assert not may_decide("head", Stage.AWAITING_APPROVAL, "ada", "bob", "head")
    assert not may_decide("mallory", Stage.AWAITING_APPROVAL, "ada", "bob", "head")


def test_after_escalation_only_the_escalation_target_may_decide() -> None:
    assert deciders(Stage.ESCALATED, "bob", "head") == ("head",)
    assert may_decide("Head", Stage.ESCALATED, "ada", "bob", "head")
    assert not may_decide("bob", Stage.ESCALATED, "ada", "bob", "head")


def approvers_decision(stage: Stage | None) -> Decision:
    return Decision(Outcome.APPROVED, "Bob", None, stage)


def test_after_escalation_the_orchestrator_takes_the_approvers_decision_only_if_checked_before_it() -> None:
    # The race at the deadline: the endpoint accepted it while the request awaited approval.
    assert accepts(approvers_decision(Stage.AWAITING_APPROVAL), Stage.ESCALATED, "ada", "bob", "head")
    # Checked after the escalation (the endpoint refuses that), or never checked (raised directly).
    assert not accepts(approvers_decision(Stage.ESCALATED), Stage.ESCALATED, "ada", "bob", "head")
    assert not accepts(approvers_decision(None), Stage.ESCALATED, "ada", "bob", "head")
    # Before the escalation the approver decides whatever the payload says.
    assert accepts(approvers_decision(None), Stage.AWAITING_APPROVAL, "ada", "bob", "head")
    assert accepts(Decision(Outcome.REJECTED, "head", None, None), Stage.ESCALATED, "ada", "bob", "head")


def test_the_orchestrator_never_takes_the_requesters_or_a_strangers_decision() -> None:
    for stage in (Stage.AWAITING_APPROVAL, Stage.ESCALATED):
        for who in ("ada", "mallory"):
            assert not accepts(Decision(Outcome.APPROVED, who, None, Stage.AWAITING_APPROVAL), stage, "ada", "bob", "head")
    # A requester named as approver (an old instance) still cannot decide, even with a checked stage.
    assert not accepts(Decision(Outcome.APPROVED, "ada", None, Stage.AWAITING_APPROVAL), Stage.ESCALATED,
                       "ada", "ada", "head")


@pytest.mark.parametrize("stage", list(Stage))
def test_the_requester_never_decides_and_nobody_decides_an_ended_approval(stage: Stage) -> None:
    assert not may_decide("ada", stage, "ada", "ada", "ada")
    if not stage.awaits_decision:
        assert deciders(stage, "bob", "head") == ()
        assert not may_decide("bob", stage, "ada", "bob", "head")


# --- reminders ---------------------------------------------------------------------------------


def test_reminder_plan_defaults_to_ten_daily_reminders() -> None:
    plan = ReminderPlan.from_input({"recipient": "ada@contoso.com", "message": "Review"})
    assert (plan.count, plan.interval, plan.subject) == (10, timedelta(days=1), "Reminder")


def test_reminder_plan_accepts_demo_overrides() -> None:
    plan = ReminderPlan.from_input(
        {"recipient": "ada", "message": "m", "interval": "PT10S", "count": 3, "subject": "Nudge"}
    )
    assert (plan.count, plan.interval, plan.subject) == (3, timedelta(seconds=10), "Nudge")
    assert ReminderPlan.from_input(plan.to_input()) == plan


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        (None, {"input"}),
        ("text", {"input"}),
        ({}, {"recipient", "message"}),
        ({"recipient": "a", "message": "m", "interval": "P7D"}, {"interval"}),
        ({"recipient": "a", "message": "m", "interval": "PT0S"}, {"interval"}),
        ({"recipient": "a", "message": "m", "count": 0}, {"count"}),
        ({"recipient": "a", "message": "m", "count": 31}, {"count"}),
        ({"recipient": "a", "message": "m", "count": "3"}, {"count"}),
        ({"recipient": "a", "message": "m", "count": True}, {"count"}),
        ({"recipient": "", "message": 1, "every": "P1D"}, {"recipient", "message", "every"}),
    ],
)
def test_reminder_plan_names_every_invalid_field(value: Any, fields: set[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        ReminderPlan.from_input(value)
    assert {e.field for e in caught.value.errors} == fields


def test_reminder_request_takes_an_optional_instance_id() -> None:
    start = parse_reminder_request(body({"recipient": "ada", "message": "m", "instanceId": "r-1"}))
    assert (start.instance_id, start.plan.count, start.plan.interval) == ("r-1", 10, timedelta(days=1))
    assert parse_reminder_request(body({"recipient": "ada", "message": "m"})).instance_id is None


def test_reminder_request_names_every_invalid_field_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_reminder_request(body({"recipient": "", "count": 99, "interval": "P1M", "instanceId": "a/b", "x": 1}))
    assert [e.field for e in caught.value.errors] == ["x", "recipient", "message", "interval", "count", "instanceId"]
