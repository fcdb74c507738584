"""The approval orchestrator, ``approval_orchestrator``.

Flow (input: :class:`~approval.domain.ApprovalRequest` as JSON, every default resolved):

1. publish ``stage=awaiting_approval`` and call ``NotifyApprover``;
2. wait for an ``ApprovalDecision`` event from someone who may decide until
   ``requestedAt + deadline``;
3. decision first -> cancel the timer, call ``Approval`` (tell the requester), finish
   ``approved``/``rejected``;
4. deadline first -> publish ``stage=escalated``, call ``Escalation`` (tell ``escalateTo``) and
   wait again until ``escalatedAt + escalationDeadline``; a decision finishes
   ``approved``/``rejected`` with ``escalated: true``, a second timeout finishes ``expired``.

The output is :class:`~approval.status.ApprovalResult`; the custom status is
:class:`~approval.status.ApprovalState`.

Notifications are retried under the app's one policy (:mod:`approval.delivery`). One that is
still failing after the last attempt does not fail the approval: the decision can still arrive
(through the endpoint or the Durable HTTP API), so the failure is recorded in the custom status
and the output and the workflow goes on.

Only a decision whose ``by`` may decide counts (:func:`~approval.domain.accepts`: the approver
while the request awaits approval, the escalation target once it has escalated, never the
requester; after the escalation also the approver's decision the endpoint validated while the
request still awaited approval, the race at the deadline). The decision endpoint checks the
signed-in caller before raising the event and records the stage it checked in the payload; this
check repeats the rule for events raised directly on the Durable HTTP API (defence in depth),
and counts any other event as ignored.

The code is a deterministic generator: time comes only from ``context.current_utc_datetime``,
nothing reads the environment, the clock, random numbers or I/O; logging is guarded by
``context.is_replaying``. Three SDK quirks shape the waiting code (azure-functions-durable 1.7.0):

* **#573, long timers cannot be cancelled.** On Azure Storage the SDK turns a timer more than
  6 days away into a ``LongTimerTask`` whose ``cancel()`` flags only the parent action; the
  emitted child timer stays un-cancelled and DTFx keeps the instance ``Running`` until it fires.
  So no timer here is ever longer than :data:`MAX_TIMER` (5 days): a long deadline is reached by
  a chain of short timers, each cancelled for real when a decision wins.
* **#507, early events are replayed into every later wait.** An event that arrives while no
  ``wait_for_external_event`` task with its name is open is buffered by the SDK and never
  removed: every later wait with that name receives it again. :class:`DecisionListener` therefore
  creates one wait task and keeps it open from the very first ``yield`` until a payload arrives
  (it is raced against the notification activities too, and re-used across timer chunks and
  across the escalation stage), so no decision is ever buffered. A new wait task is only created
  right after an invalid payload, in the same replay step, before any further event is read.
* **#295, payload encoding.** The payload is a ``dict`` when raised over HTTP with a JSON body
  and a ``str`` of JSON text when raised by the Python client; both are accepted
  (:func:`~approval.domain.decision_from_event`), anything else is ignored and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any, Final

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskBase

from activities.contracts import (
    APPROVAL,
    ESCALATION,
    NOTIFY_APPROVER,
    ActivityCall,
    ApprovalInput,
    EscalationInput,
    NotificationSummary,
    NotifyApproverInput,
    Step,
)

from . import bp
from .delivery import NotificationFailure, failure, schedule
from .domain import APPROVAL_ORCHESTRATOR, DECISION_EVENT, ApprovalRequest, Decision, decision_from_event
from .durations import as_utc, format_instant
from .status import ApprovalResult, ApprovalState

logger = logging.getLogger(__name__)

#: Longest single durable timer. Below the Azure Storage provider's 6-day
#: ``maximumShortTimerDuration``, so the SDK never creates a LongTimerTask (SDK issue #573).
MAX_TIMER: Final = timedelta(days=5)

#: What an orchestrator generator yields, receives and returns.
Orchestration = Generator[TaskBase, Any, Any]


def now(context: df.DurableOrchestrationContext) -> datetime:
    """The replay-safe current time as an aware UTC datetime."""
    return as_utc(context.current_utc_datetime)


class DecisionListener:
    """Owns the single open ``wait_for_external_event(ApprovalDecision)`` task of an instance.

    Invariant: until a valid decision has been received, :attr:`task` is either still waiting
    or has just completed and is handed to :meth:`settle` before the orchestrator yields again.
    Every ``yield`` while a decision is outstanding must include :attr:`task` (see the module
    docstring on SDK issue #507).
    """

    def __init__(self, context: df.DurableOrchestrationContext, state: ApprovalState) -> None:
        self._context = context
        #: The current state: who may decide depends on its stage (the orchestrator updates it).
        self.state = state
        self.task: TaskBase = context.wait_for_external_event(DECISION_EVENT)
        self.decision: Decision | None = None
        self.decided_at: datetime | None = None
        self.ignored = 0

    def settle(self) -> None:
        """Consume :attr:`task` if it completed: keep a valid decision, re-arm after anything else."""
        if self.decision is not None or not self.task.is_completed:
            return
        decision = decision_from_event(self.task.result)
        if decision is None or not self.state.accepts(decision):
            self.ignored += 1
            if not self._context.is_replaying:
                reason = ("the payload holds no valid decision" if decision is None
                          else f"{decision.by!r} may not decide at stage {self.state.stage.value} "
                               f"(validated at {decision.stage.value if decision.stage else 'no stage'}; "
                               f"may: {', '.join(self.state.deciders)})")
                logger.warning("%s: ignored %s event #%d: %s",
                               self._context.instance_id, DECISION_EVENT, self.ignored, reason)
            self.task = self._context.wait_for_external_event(DECISION_EVENT)
            return
        self.decision = decision
        self.decided_at = now(self._context)


def notify_while_listening(
    context: df.DurableOrchestrationContext,
    listener: DecisionListener,
    call: ActivityCall,
    step: Step,
) -> Generator[TaskBase, Any, NotificationSummary | NotificationFailure]:
    """Send a notification (with retries) while the decision wait stays open.

    Returns its summary, or the failure once the retries ran out. A decision that arrives
    meanwhile is kept by ``listener``; the notification still runs to its end, since DTFx
    completes an instance only when no task is open.
    """
    task = schedule(context, call)
    while listener.decision is None and not task.is_completed:
        yield context.task_any([task, listener.task])
        listener.settle()
    try:
        summary: NotificationSummary = yield task
    except Exception as err:
        return failure(context, call, step, task, err)
    return summary


def wait_for_decision(
    context: df.DurableOrchestrationContext,
    listener: DecisionListener,
    deadline: datetime,
) -> Orchestration:
    """Return the decision received before ``deadline``, or ``None`` once it has passed.

    The one open wait task is raced against successive timers of at most :data:`MAX_TIMER`
    (the chain reaches any deadline without a LongTimerTask, SDK issue #573), re-using tasks
    across ``task_any`` calls as the SDK's E4_SMSPhoneVerification sample does. A timer that
    loses to a decision is cancelled; DTFx completes an instance only when no timer is open.
    """
    timer: TaskBase | None = None
    fire_at: datetime | None = None
    while listener.decision is None:
        if timer is None or timer.is_completed:
            # Compare with the fire time, not the clock: the episode that handles TimerFired may
            # be stamped a little before or after it, and the deadline must end the chain exactly.
            if fire_at is not None and fire_at >= deadline:
                return None
            fire_at = min(deadline, now(context) + MAX_TIMER)
            timer = context.create_timer(fire_at)
        yield context.task_any([listener.task, timer])
        listener.settle()
    if timer is not None and not timer.is_completed:
        timer.cancel()
    return listener.decision


@bp.orchestration_trigger(context_name="context", orchestration=APPROVAL_ORCHESTRATOR)
def approval_orchestrator(context: df.DurableOrchestrationContext) -> Orchestration:
    """Run one approval from request to outcome; see the module docstring for the flow.

    An invalid input (e.g. one without the deadlines the approval starter resolves from app
    settings, started directly on the Durable HTTP API) fails the instance with a message
    naming every invalid field.
    """
    request = ApprovalRequest.from_input(context.get_input())
    instance_id = context.instance_id
    requested_at = now(context)
    state = ApprovalState.awaiting(
        request.title, request.requester, request.approver, request.escalate_to,
        requested_at, requested_at + request.deadline,
    )
    context.set_custom_status(state.to_json())
    listener = DecisionListener(context, state)

    def publish(new_state: ApprovalState) -> ApprovalState:
        listener.state = new_state
        context.set_custom_status(new_state.to_json())
        return new_state

    request_notice: NotifyApproverInput = {
        "instanceId": instance_id,
        "to": request.approver,
        "at": format_instant(requested_at),
        "title": request.title,
        "requester": request.requester,
        "deadline": format_instant(state.deadline),
        "details": request.details,
    }
    sent = yield from notify_while_listening(
        context, listener, NOTIFY_APPROVER.call(request_notice), Step.NOTIFY_APPROVER)
    if isinstance(sent, NotificationFailure):
        state = publish(state.gave_up(sent))
    decision = yield from wait_for_decision(context, listener, state.deadline)

    if decision is None:
        escalated_at = now(context)
        state = publish(state.escalate(escalated_at, escalated_at + request.escalation_deadline))
        if not context.is_replaying:
            logger.info("%s: no decision by %s, escalating to %s",
                        instance_id, format_instant(escalated_at), request.escalate_to)
        escalation_notice: EscalationInput = {
            "instanceId": instance_id,
            "to": request.escalate_to,
            "at": format_instant(escalated_at),
            "title": request.title,
            "requester": request.requester,
            "approver": request.approver,
            "deadline": format_instant(state.deadline),
        }
        sent = yield from notify_while_listening(
            context, listener, ESCALATION.call(escalation_notice), Step.ESCALATION)
        if isinstance(sent, NotificationFailure):
            state = publish(state.gave_up(sent))
        decision = yield from wait_for_decision(context, listener, state.deadline)

    if decision is None:
        state = state.expire()
    else:
        assert listener.decided_at is not None
        # Published before the activity runs, so the decision endpoint answers 409 from now on.
        state = publish(state.decide(decision, listener.decided_at))
        decision_notice: ApprovalInput = {
            "instanceId": instance_id,
            "to": request.requester,
            "at": format_instant(now(context)),
            "title": request.title,
            "outcome": decision.outcome.value,
            "by": decision.by,
            "comment": decision.comment,
            "escalated": state.escalated,
        }
        call = APPROVAL.call(decision_notice)
        told = schedule(context, call)
        try:
            yield told
        except Exception as err:
            state = state.gave_up(failure(context, call, Step.DECISION, told, err))
    context.set_custom_status(state.to_json())
    if not context.is_replaying:
        logger.info("%s: finished %s", instance_id, state.stage.value)
    return ApprovalResult(instance_id, state, now(context), listener.ignored).to_json()
