"""Validation of start bodies, durations and settings (decisions and reminders: test_domain_decisions.py)."""

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
    SettingsError,
    parse_decision_request,
    parse_start_request,
)
from approval.durations import format_duration, parse_duration
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
