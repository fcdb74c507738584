"""The custom status round-trips, and the business views show who may decide and one-line reasons.

How notifications are retried is tested by behaviour, in test_storage_outage.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from approval.delivery import NotificationFailure, one_line
from approval.domain import Decision, Outcome
from approval.reminder_status import reminder_view
from approval.status import ApprovalState, StatusKey, approval_view

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: What a failed orchestration's output looks like when an uncaught activity failure ended it:
#: the SDK's ``Exception("<Reason> \n <Details>")``, the details being a traceback.
FAILED_OUTPUT = (
    "Orchestrator function 'approval_orchestrator' failed: Activity function 'NotifyApprover' failed: "
    "BindingError: could not write \n Traceback (most recent call last):\n  File \"x.py\", line 1\nBindingError: boom"
)


def escalated_state() -> ApprovalState:
    state = ApprovalState.awaiting("Laptop", "ada", "bob", "head", AT, AT + timedelta(hours=1))
    failure = NotificationFailure("i1:notify-approver", "NotifyApprover", "bob", 5, "boom", AT)
    return state.gave_up(failure).escalate(AT + timedelta(hours=1), AT + timedelta(hours=2))


def test_the_custom_status_round_trips_through_its_json() -> None:
    state = escalated_state()
    assert ApprovalState.from_json(state.to_json()) == state
    decided = state.decide(Decision(Outcome.APPROVED, "head", "ok"), AT + timedelta(hours=1, minutes=5))
    assert ApprovalState.from_json(decided.to_json()) == decided
    assert set(state.to_json()) == set(StatusKey)


def test_a_malformed_custom_status_is_no_state() -> None:
    assert ApprovalState.from_json(None) is None
    assert ApprovalState.from_json({"stage": "nonsense"}) is None
    assert ApprovalState.from_json({**escalated_state().to_json(), "deadline": "soon"}) is None


def test_the_view_shows_who_may_decide_and_the_failed_notifications() -> None:
    view = approval_view("i1", "Running", escalated_state().to_json(), None)
    assert (view["stage"], view["assignee"], view["mayDecide"]) == ("escalated", "head", ["head"])
    assert [f["notification"] for f in view["notificationFailures"]] == ["i1:notify-approver"]
    assert "error" not in view


def test_the_view_of_a_failed_instance_gives_one_line_never_a_traceback() -> None:
    view = approval_view("i1", "Failed", escalated_state().to_json(), FAILED_OUTPUT)
    assert view["error"] == ("Orchestrator function 'approval_orchestrator' failed: Activity function "
                             "'NotifyApprover' failed: BindingError: could not write")
    assert reminder_view("r1", "Failed", None, FAILED_OUTPUT)["error"] == view["error"]


def test_the_view_before_the_first_episode_has_empty_fields() -> None:
    view = approval_view("i1", "Pending", None, None)
    assert (view["stage"], view["escalated"], view["mayDecide"], view["notificationFailures"]) == (None, False, [], [])


def test_one_line_cuts_long_errors() -> None:
    cut = one_line("start " + "x" * 500 + " Connection refused")
    assert len(cut) == 400 and cut.startswith("start x") and cut.endswith("x Connection refused") and "…" in cut
    assert one_line("\n\n  second line  \nthird") == "second line"
    assert one_line(ValueError()) == "ValueError"
