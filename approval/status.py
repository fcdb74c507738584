"""What an approval instance publishes: its custom status, its output, and the business view.

* :class:`ApprovalState` is the orchestrator's custom status, rewritten at every change (stage,
  current deadline, who may decide, notifications given up, ...). Its keys are spelled once, in
  :class:`StatusKey`; :meth:`ApprovalState.to_json` writes them and :meth:`ApprovalState.from_json`
  reads them back for the HTTP endpoints. It stays far below the extension's 16 KB custom-status
  limit: free-text ``details`` are never copied here, error texts are one line.
* :class:`ApprovalResult` is the orchestration output once the workflow has finished.
* :func:`approval_view` merges both with the runtime status for ``GET /api/approvals/{id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .delivery import NotificationFailure, one_line
from .domain import Decision, Outcome, Stage, accepts, deciders, may_decide
from .durations import format_instant, parse_instant


class StatusKey(StrEnum):
    """Keys of an approval's custom status (``decision`` holds a :class:`DecisionKey` object)."""

    STAGE = "stage"
    TITLE = "title"
    REQUESTER = "requester"
    APPROVER = "approver"
    ESCALATE_TO = "escalateTo"
    ASSIGNEE = "assignee"
    MAY_DECIDE = "mayDecide"
    REQUESTED_AT = "requestedAt"
    DEADLINE = "deadline"
    ESCALATED = "escalated"
    ESCALATED_AT = "escalatedAt"
    DECISION = "decision"
    NOTIFICATION_FAILURES = "notificationFailures"


class DecisionKey(StrEnum):
    """Keys of the recorded decision inside the custom status."""

    OUTCOME = "outcome"
    BY = "by"
    COMMENT = "comment"
    AT = "at"


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
    notification_failures: tuple[NotificationFailure, ...] = ()

    @classmethod
    def awaiting(
        cls, title: str, requester: str, approver: str, escalate_to: str,
        requested_at: datetime, deadline: datetime,
    ) -> ApprovalState:
        """The first stage: the approver is asked and has until ``deadline``."""
        return cls(Stage.AWAITING_APPROVAL, title, requester, approver, escalate_to,
                   assignee=approver, requested_at=requested_at, deadline=deadline)

    @property
    def deciders(self) -> tuple[str, ...]:
        """Who may decide now (the assignee first); empty once the approval has ended."""
        return deciders(self.stage, self.approver, self.escalate_to)

    def may_decide(self, who: str) -> bool:
        """Whether ``who`` may decide now (never the requester); see :func:`~.domain.deciders`."""
        return may_decide(who, self.stage, self.requester, self.approver, self.escalate_to)

    def accepts(self, decision: Decision) -> bool:
        """Whether the orchestrator takes ``decision`` now; see :func:`~.domain.accepts`."""
        return accepts(decision, self.stage, self.requester, self.approver, self.escalate_to)

    def escalate(self, at: datetime, deadline: datetime) -> ApprovalState:
        return replace(self, stage=Stage.ESCALATED, assignee=self.escalate_to, escalated=True,
                       escalated_at=at, deadline=deadline)

    def decide(self, decision: Decision, at: datetime) -> ApprovalState:
        return replace(self, stage=Stage(decision.outcome.value), decision=decision, decided_at=at)

    def expire(self) -> ApprovalState:
        return replace(self, stage=Stage.EXPIRED)

    def gave_up(self, failure: NotificationFailure) -> ApprovalState:
        return replace(self, notification_failures=(*self.notification_failures, failure))

    def to_json(self) -> dict[str, Any]:
        decision = None
        if self.decision is not None and self.decided_at is not None:
            decision = {
                DecisionKey.OUTCOME: self.decision.outcome.value,
                DecisionKey.BY: self.decision.by,
                DecisionKey.COMMENT: self.decision.comment,
                DecisionKey.AT: format_instant(self.decided_at),
            }
        return {
            StatusKey.STAGE: self.stage.value,
            StatusKey.TITLE: self.title,
            StatusKey.REQUESTER: self.requester,
            StatusKey.APPROVER: self.approver,
            StatusKey.ESCALATE_TO: self.escalate_to,
            StatusKey.ASSIGNEE: self.assignee,
            StatusKey.MAY_DECIDE: list(self.deciders),
            StatusKey.REQUESTED_AT: format_instant(self.requested_at),
            StatusKey.DEADLINE: format_instant(self.deadline),
            StatusKey.ESCALATED: self.escalated,
            StatusKey.ESCALATED_AT: format_instant(self.escalated_at) if self.escalated_at else None,
            StatusKey.DECISION: decision,
            StatusKey.NOTIFICATION_FAILURES: [f.to_json() for f in self.notification_failures],
        }

    @classmethod
    def from_json(cls, value: Any) -> ApprovalState | None:
        """The state in a custom status, or ``None`` if there is none (yet) or it is malformed."""
        if not isinstance(value, Mapping):
            return None
        try:
            decided = value.get(StatusKey.DECISION)
            decision = decided_at = None
            if isinstance(decided, Mapping):
                decision = Decision(Outcome(decided[DecisionKey.OUTCOME]), str(decided[DecisionKey.BY]),
                                    decided.get(DecisionKey.COMMENT))
                decided_at = parse_instant(str(decided[DecisionKey.AT]))
            escalated_at = value.get(StatusKey.ESCALATED_AT)
            return cls(
                stage=Stage(value[StatusKey.STAGE]),
                title=str(value[StatusKey.TITLE]),
                requester=str(value[StatusKey.REQUESTER]),
                approver=str(value[StatusKey.APPROVER]),
                escalate_to=str(value[StatusKey.ESCALATE_TO]),
                assignee=str(value[StatusKey.ASSIGNEE]),
                requested_at=parse_instant(str(value[StatusKey.REQUESTED_AT])),
                deadline=parse_instant(str(value[StatusKey.DEADLINE])),
                escalated=bool(value.get(StatusKey.ESCALATED, False)),
                escalated_at=parse_instant(str(escalated_at)) if escalated_at else None,
                decision=decision,
                decided_at=decided_at,
                notification_failures=tuple(
                    NotificationFailure.from_json(f) for f in value.get(StatusKey.NOTIFICATION_FAILURES) or ()
                ),
            )
        except (KeyError, TypeError, ValueError):
            return None


class ResultKey(StrEnum):
    """Keys of an approval's output."""

    INSTANCE_ID = "instanceId"
    TITLE = "title"
    REQUESTER = "requester"
    APPROVER = "approver"
    ESCALATE_TO = "escalateTo"
    OUTCOME = "outcome"
    DECIDED_BY = "decidedBy"
    COMMENT = "comment"
    ESCALATED = "escalated"
    REQUESTED_AT = "requestedAt"
    DECIDED_AT = "decidedAt"
    COMPLETED_AT = "completedAt"
    IGNORED_EVENTS = "ignoredEvents"
    NOTIFICATION_FAILURES = "notificationFailures"


@dataclass(frozen=True)
class ApprovalResult:
    """The orchestration output: how the approval ended.

    ``ignored_events`` counts ``ApprovalDecision`` events that decided nothing: a payload with
    no valid decision, or one whose ``by`` may not decide (see :func:`~.domain.may_decide`).
    """

    instance_id: str
    state: ApprovalState
    completed_at: datetime
    ignored_events: int = 0

    def to_json(self) -> dict[str, Any]:
        state = self.state
        decision = state.decision
        return {
            ResultKey.INSTANCE_ID: self.instance_id,
            ResultKey.TITLE: state.title,
            ResultKey.REQUESTER: state.requester,
            ResultKey.APPROVER: state.approver,
            ResultKey.ESCALATE_TO: state.escalate_to,
            ResultKey.OUTCOME: state.stage.value,
            ResultKey.DECIDED_BY: decision.by if decision else None,
            ResultKey.COMMENT: decision.comment if decision else None,
            ResultKey.ESCALATED: state.escalated,
            ResultKey.REQUESTED_AT: format_instant(state.requested_at),
            ResultKey.DECIDED_AT: format_instant(state.decided_at) if state.decided_at else None,
            ResultKey.COMPLETED_AT: format_instant(self.completed_at),
            ResultKey.IGNORED_EVENTS: self.ignored_events,
            ResultKey.NOTIFICATION_FAILURES: [f.to_json() for f in state.notification_failures],
        }


def failure_reason(runtime_status: str | None, output: Any) -> str | None:
    """A one-line reason for a Failed or Terminated instance, never a traceback.

    The Durable status endpoint keeps the full text (reason and details) in ``output``.
    """
    if runtime_status not in ("Failed", "Terminated") or output is None or isinstance(output, Mapping):
        return None
    return one_line(output if isinstance(output, str) else str(output))


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
    the first episode ran (runtime status ``Pending``) there is no custom status yet and every
    state field is ``null``. A Failed or Terminated instance gets an ``error``: one line.
    """
    state = ApprovalState.from_json(custom_status)
    fields: dict[str, Any] = (
        state.to_json() if state is not None
        else {key: ([] if key in (StatusKey.MAY_DECIDE, StatusKey.NOTIFICATION_FAILURES) else None)
              for key in StatusKey}
    )
    if state is None:
        fields[StatusKey.ESCALATED] = False
    result = output if isinstance(output, Mapping) else {}
    view: dict[str, Any] = {
        "instanceId": instance_id,
        "runtimeStatus": runtime_status,
        **fields,
        ResultKey.OUTCOME: result.get(ResultKey.OUTCOME),
        ResultKey.COMPLETED_AT: result.get(ResultKey.COMPLETED_AT),
        "createdTime": format_instant(created_time) if created_time else None,
        "lastUpdatedTime": format_instant(last_updated_time) if last_updated_time else None,
    }
    reason = failure_reason(runtime_status, output)
    if reason is not None:
        view["error"] = reason
    return view
