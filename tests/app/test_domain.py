"""Validation of start bodies, decision bodies, event payloads, reminder input and settings,
and the rule of who may decide."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from approval.domain import (
    ApprovalRequest,
    ApprovalSettings,
    Decision,
    Outcome,
    SettingsError,
    Stage,
    accepts,
    deciders,
    decision_from_event,
    may_decide,
    parse_decision_request,
    parse_start_request,
)
from approval.durations import format_duration, parse_duration
from approval.reminder_plan import ReminderPlan, parse_reminder_request
from approval.validation import ValidationError, check_instance_id

SETTINGS = ApprovalSettings(
    approval_timeout=timedelta(hours=24),
    escalation_timeout=timedelta(hours=12),
    escalate_to="head-of-department@contoso.com",
)
#: The signed-in caller who starts the approvals below.
REQUESTER = "ada@contoso.com"
VALID_START: dict[str, Any] = {
    "title": "New data centre",
    "approver": "bob@contoso.com",
}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def start_errors(value: Any, settings: ApprovalSettings = SETTINGS) -> dict[str, str]:
    raw = value if isinstance(value, bytes) else body(value)
    with pytest.raises(ValidationError) as caught:
        parse_start_request(raw, settings, REQUESTER)
    return {e.field: e.message for e in caught.value.errors}


def decision_errors(value: Any) -> dict[str, str]:
    raw = value if isinstance(value, bytes) else body(value)
    with pytest.raises(ValidationError) as caught:
        parse_decision_request(raw, "bob")
    return {e.field: e.message for e in caught.value.errors}


# --- start: defaults and happy path -----------------------------------------------------------


def test_start_fills_omitted_fields_from_settings() -> None:
    start = parse_start_request(body(VALID_START), SETTINGS, REQUESTER)
    assert start.instance_id is None
    assert start.request == ApprovalRequest(
        title="New data centre",
        requester="ada@contoso.com",
        approver="bob@contoso.com",
        escalate_to="head-of-department@contoso.com",
        deadline=timedelta(hours=24),
        escalation_deadline=timedelta(hours=12),
    )


def test_start_values_override_settings() -> None:
    start = parse_start_request(body({
        **VALID_START, "escalateTo": "cfo@contoso.com", "deadline": "PT30S",
        "escalationDeadline": "P2D", "details": "Budget 1.2M", "instanceId": "order-42",
    }), SETTINGS, REQUESTER)
    assert start.instance_id == "order-42"
    assert start.request.escalate_to == "cfo@contoso.com"
    assert start.request.deadline == timedelta(seconds=30)
    assert start.request.escalation_deadline == timedelta(days=2)
    assert start.request.details == "Budget 1.2M"


def test_start_treats_null_as_omitted_for_optional_fields() -> None:
    start = parse_start_request(
        body({**VALID_START, "escalateTo": None, "deadline": None, "details": None}), SETTINGS, REQUESTER
    )
    assert start.request.escalate_to == SETTINGS.escalate_to
    assert start.request.deadline == SETTINGS.approval_timeout


def test_start_requires_escalate_to_when_no_setting_provides_it() -> None:
    errors = start_errors(VALID_START, ApprovalSettings(escalate_to=None))
    assert set(errors) == {"escalateTo"}
    assert "ESCALATE_TO" in errors["escalateTo"]


def test_orchestration_input_round_trips() -> None:
    request = parse_start_request(body({**VALID_START, "details": "x"}), SETTINGS, REQUESTER).request
    assert ApprovalRequest.from_input(request.to_input()) == request
    assert request.to_input()["deadline"] == "P1D"
    assert request.to_input()["requester"] == REQUESTER


def test_orchestration_input_without_resolved_defaults_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        ApprovalRequest.from_input({**VALID_START, "requester": REQUESTER})
    assert {e.field for e in caught.value.errors} == {
        "escalateTo", "deadline", "escalationDeadline",
    }


def test_the_requester_is_the_signed_in_caller_and_a_requester_field_is_refused() -> None:
    assert parse_start_request(body(VALID_START), SETTINGS, "Ada@Contoso.com").request.requester == "Ada@Contoso.com"
    errors = start_errors({**VALID_START, "requester": "mallory@contoso.com"})
    assert set(errors) == {"requester"}
    assert errors["requester"].startswith("not accepted: the requester is the signed-in caller")
    # Even naming oneself: the field is not part of the body.
    assert set(start_errors({**VALID_START, "requester": REQUESTER})) == {"requester"}


def test_an_approval_input_started_generically_must_name_the_caller_as_requester() -> None:
    value = {**VALID_START, "requester": REQUESTER, "escalateTo": "head", "deadline": "PT1H",
             "escalationDeadline": "PT1H"}
    assert ApprovalRequest.from_input(value, caller="ADA@contoso.com").requester == REQUESTER
    with pytest.raises(ValidationError) as caught:
        ApprovalRequest.from_input(value, caller="bob@contoso.com")
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("requester", "must be the signed-in caller (bob@contoso.com): nobody requests in another's name")]


# --- start: every 400 case ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   ", b"{", b"{'title': 1}", b"\xff\xfe", b"[1,"])
def test_start_rejects_missing_or_malformed_json(raw: bytes) -> None:
    assert set(start_errors(raw)) == {"body"}


@pytest.mark.parametrize("value", [[], ["x"], "title", 42, None, True])
def test_start_rejects_a_body_that_is_not_an_object(value: Any) -> None:
    errors = start_errors(value)
    assert set(errors) == {"body"}
    assert "must be a JSON object" in errors["body"]


def test_start_names_every_field_of_the_wrong_type() -> None:
    errors = start_errors({
        "title": 1, "approver": {}, "escalateTo": 5, "deadline": 30,
        "escalationDeadline": False, "details": 1.5, "instanceId": 7,
    })
    assert set(errors) == {
        "title", "approver", "escalateTo", "deadline", "escalationDeadline", "details", "instanceId",
    }
    assert errors["title"] == "must be a string, not a number"
    assert errors["escalationDeadline"] == "must be a string, not a boolean"


def test_start_names_every_missing_required_field() -> None:
    assert set(start_errors({})) == {"title", "approver"}


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_start_rejects_empty_strings(blank: str) -> None:
    errors = start_errors({"title": blank, "approver": blank, "escalateTo": blank})
    assert errors == dict.fromkeys(("title", "approver", "escalateTo"), "must not be empty")


def test_start_rejects_unknown_fields_alongside_other_errors() -> None:
    errors = start_errors({**VALID_START, "title": "", "amount": 12, "Approver": "x"})
    assert set(errors) == {"title", "amount", "Approver"}
    assert errors["amount"] == "unknown field"


def test_start_rejects_overlong_text() -> None:
    assert set(start_errors({**VALID_START, "title": "x" * 201, "details": "y" * 2001})) == {
        "title", "details",
    }


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        ("-PT1H", "positive"),
        ("PT0S", "positive"),
        ("P0D", "positive"),
        ("soon", "not an ISO 8601 duration"),
        ("24h", "not an ISO 8601 duration"),
        ("PT", "not an ISO 8601 duration"),
        ("P", "not an ISO 8601 duration"),
        ("P1DT", "not an ISO 8601 duration"),
        ("P1M", "no fixed length"),
        ("P1Y", "no fixed length"),
        ("P91D", "at most P90D"),
        ("PT2161H", "at most P90D"),
        ("P99999999999D", "too long"),
    ],
)
def test_start_rejects_bad_durations(duration: str, reason: str) -> None:
    errors = start_errors({**VALID_START, "deadline": duration, "escalationDeadline": duration})
    assert set(errors) == {"deadline", "escalationDeadline"}
    assert reason in errors["deadline"]


@pytest.mark.parametrize(
    "instance_id",
    ["a/b", "a\\b", "a#b", "a?b", "a\nb", "tab\there", "bell\x07", "\x85next", "@counter@x",
     "x" * 257, ""],
)
def test_start_rejects_invalid_instance_ids(instance_id: str) -> None:
    assert set(start_errors({**VALID_START, "instanceId": instance_id})) == {"instanceId"}


@pytest.mark.parametrize("instance_id", ["order-42", "x" * 256, "a@b", "äöü", "A.B_C~1"])
def test_start_accepts_valid_instance_ids(instance_id: str) -> None:
    assert check_instance_id(instance_id) == []
    assert parse_start_request(body({**VALID_START, "instanceId": instance_id}), SETTINGS, REQUESTER)


def test_validation_error_lists_every_field_in_order() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_start_request(body({"title": "", "deadline": "PT0S", "requester": "x"}), SETTINGS, REQUESTER)
    assert [e.field for e in caught.value.errors] == ["requester", "title", "approver", "deadline"]


def test_start_refuses_a_requester_who_is_also_the_approver() -> None:
    errors = start_errors({**VALID_START, "approver": "ADA@contoso.com"})
    assert set(errors) == {"approver"}
    assert "nobody decides their own request" in errors["approver"]


def test_start_refuses_a_requester_who_is_also_the_escalation_target() -> None:
    assert set(start_errors({**VALID_START, "escalateTo": "ada@contoso.com"})) == {"escalateTo"}
    settings = ApprovalSettings(escalate_to="ada@contoso.com")
    errors = start_errors(VALID_START, settings)
    assert set(errors) == {"escalateTo"} and "ESCALATE_TO" in errors["escalateTo"]


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT24H", timedelta(hours=24)),
        ("P2D", timedelta(days=2)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT12H30M", timedelta(days=1, hours=12, minutes=30)),
        ("PT0.5S", timedelta(milliseconds=500)),
        ("PT1,5S", timedelta(milliseconds=1500)),
        ("-PT1H", timedelta(hours=-1)),
    ],
)
def test_parse_duration_accepts_fixed_length_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_format_duration_round_trips(amount: timedelta) -> None:
    assert parse_duration(format_duration(amount)) == amount


# --- settings ----------------------------------------------------------------------------------


def test_settings_default_to_24_hours_and_no_escalation_target() -> None:
    assert ApprovalSettings.from_environ({}) == ApprovalSettings(
        timedelta(hours=24), timedelta(hours=24), None
    )


def test_settings_are_read_from_the_environment_mapping() -> None:
    settings = ApprovalSettings.from_environ({
        "APPROVAL_TIMEOUT": "PT30S",
        "ESCALATION_TIMEOUT": "P2D",
        "ESCALATE_TO": " cfo@contoso.com ",
    })
    assert settings == ApprovalSettings(timedelta(seconds=30), timedelta(days=2), "cfo@contoso.com")


def test_unusable_settings_raise_naming_each_setting() -> None:
    with pytest.raises(SettingsError) as caught:
        ApprovalSettings.from_environ({"APPROVAL_TIMEOUT": "1 day", "ESCALATION_TIMEOUT": "PT0S"})
    assert "APPROVAL_TIMEOUT" in str(caught.value)
    assert "ESCALATION_TIMEOUT" in str(caught.value)


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


def test_an_orchestration_input_naming_the_requester_as_approver_still_replays() -> None:
    # Started before the rule, or on the Durable HTTP API: the orchestrator must not fail on
    # replay; only the starters refuse it (and nobody can decide it: see may_decide).
    value = {**VALID_START, "requester": REQUESTER, "approver": "ada@contoso.com", "escalateTo": "head",
             "deadline": "PT1H", "escalationDeadline": "PT1H"}
    assert ApprovalRequest.from_input(value).approver == "ada@contoso.com"
    with pytest.raises(ValidationError) as caught:
        ApprovalRequest.from_input(value, refuse_self_decision=True)
    assert [e.field for e in caught.value.errors] == ["approver"]


def test_start_names_the_self_decision_alongside_other_errors() -> None:
    errors = start_errors({**VALID_START, "approver": "ada@contoso.com", "deadline": "PT0S"})
    assert set(errors) == {"approver", "deadline"}
