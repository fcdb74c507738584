"""What an approval instance publishes: its custom status, its output, and the business view.

* :class:`ApprovalState` is the orchestrator's custom status, rewritten at every stage change
  (``stage``, the current ``deadline``, the ``assignee`` expected to decide, ...). It stays far
  below the extension's 16 KB custom-status limit: free-text ``details`` are never copied here.
* :class:`ApprovalResult` is the orchestration output once the workflow has finished.
* :func:`approval_view` merges both with the runtime status for ``GET /api/approvals/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .models import ApprovalRequest, Decision, Stage, format_instant


@dataclass(frozen=True)
class ApprovalState:
    """The custom status of an approval instance (all instants are UTC)."""

    stage: Stage
    title: str
    requester: str
    approver: str
    escalate_to: str
    assignee: str
    requested_at: datetime
    deadline: datetime
    escalated: bool = False
    escalated_at: datetime | None = None
    decision: Decision | None = None
    decided_at: datetime | None = None

    @classmethod
    def awaiting(cls, request: ApprovalRequest, requested_at: datetime) -> ApprovalState:
        """The first stage: the approver is asked and has until ``requested_at + deadline``."""
        return cls(
            stage=Stage.AWAITING_APPROVAL,
            title=request.title,
            requester=request.requester,
            approver=request.approver,
            escalate_to=request.escalate_to,
            assignee=request.approver,
            requested_at=requested_at,
            deadline=requested_at + request.deadline,
        )

    def escalate(self, at: datetime, deadline: datetime) -> ApprovalState:
        return replace(
            self, stage=Stage.ESCALATED, assignee=self.escalate_to, escalated=True,
            escalated_at=at, deadline=deadline,
        )

    def decide(self, decision: Decision, at: datetime) -> ApprovalState:
        return replace(self, stage=Stage(decision.outcome.value), decision=decision, decided_at=at)

    def expire(self) -> ApprovalState:
        return replace(self, stage=Stage.EXPIRED)

    def to_json(self) -> dict[str, Any]:
        decision = None
        if self.decision is not None and self.decided_at is not None:
            decision = {
                "outcome": self.decision.outcome.value,
                "by": self.decision.by,
                "comment": self.decision.comment,
                "at": format_instant(self.decided_at),
            }
        return {
            "stage": self.stage.value,
            "title": self.title,
            "requester": self.requester,
            "approver": self.approver,
            "escalateTo": self.escalate_to,
            "assignee": self.assignee,
            "requestedAt": format_instant(self.requested_at),
            "deadline": format_instant(self.deadline),
            "escalated": self.escalated,
            "escalatedAt": format_instant(self.escalated_at) if self.escalated_at else None,
            "decision": decision,
        }


@dataclass(frozen=True)
class ApprovalResult:
    """The orchestration output: how the approval ended.

    ``ignored_events`` counts ``ApprovalDecision`` events whose payload held no valid decision.
    """

    instance_id: str
    state: ApprovalState
    completed_at: datetime
    ignored_events: int = 0

    def to_json(self) -> dict[str, Any]:
        state = self.state
        decision = state.decision
        return {
            "instanceId": self.instance_id,
            "title": state.title,
            "requester": state.requester,
            "approver": state.approver,
            "escalateTo": state.escalate_to,
            "outcome": state.stage.value,
            "decidedBy": decision.by if decision else None,
            "comment": decision.comment if decision else None,
            "escalated": state.escalated,
            "requestedAt": format_instant(state.requested_at),
            "decidedAt": format_instant(state.decided_at) if state.decided_at else None,
            "completedAt": format_instant(self.completed_at),
            "ignoredEvents": self.ignored_events,
        }


def stage_of(custom_status: Any) -> Stage | None:
    """The ``stage`` published in a custom status, or ``None`` if there is none (yet)."""
    value = custom_status.get("stage") if isinstance(custom_status, dict) else None
    try:
        return Stage(value) if isinstance(value, str) else None
    except ValueError:
        return None


def approval_view(
    instance_id: str,
    runtime_status: str | None,
    custom_status: Any,
    output: Any,
    created_time: datetime | None = None,
    last_updated_time: datetime | None = None,
) -> dict[str, Any]:
    """The business view of one approval instance.

    ``custom_status`` and ``output`` are the decoded JSON values from the status query. Before
    the first episode ran (runtime status ``Pending``) there is no custom status yet and the
    stage is ``null``. For a ``Failed`` or ``Terminated`` instance the output is the reason
    text, returned as ``error``.
    """
    state = custom_status if isinstance(custom_status, dict) else {}
    result = output if isinstance(output, dict) else None
    view: dict[str, Any] = {
        "instanceId": instance_id,
        "runtimeStatus": runtime_status,
        "stage": state.get("stage"),
        "title": state.get("title"),
        "requester": state.get("requester"),
        "approver": state.get("approver"),
        "escalateTo": state.get("escalateTo"),
        "assignee": state.get("assignee"),
        "requestedAt": state.get("requestedAt"),
        "deadline": state.get("deadline"),
        "escalated": bool(state.get("escalated", False)),
        "escalatedAt": state.get("escalatedAt"),
        "decision": state.get("decision"),
        "outcome": result.get("outcome") if result else None,
        "completedAt": result.get("completedAt") if result else None,
        "createdTime": format_instant(created_time) if created_time else None,
        "lastUpdatedTime": format_instant(last_updated_time) if last_updated_time else None,
    }
    if runtime_status in ("Failed", "Terminated") and output is not None and result is None:
        view["error"] = output if isinstance(output, str) else str(output)
    return view
