"""Values of the approval workflow, each parsed once where it crosses a boundary.

* ``POST /api/approvals`` body          -> :func:`parse_start_request` -> :class:`StartRequest`
* ``POST /api/approvals/{id}/decision``  -> :func:`parse_decision_request` -> :class:`Decision`
* an ``ApprovalDecision`` event payload -> :func:`decision_from_event` (``None`` when invalid)
* the approval orchestration input      -> :meth:`ApprovalRequest.from_input`
* app settings                          -> :meth:`ApprovalSettings.from_environ`

The reminders' values are in :mod:`.reminder_plan`.

Who may decide is a rule of the domain (:func:`deciders`, :func:`accepts`): the approver while
the request awaits approval, the escalation target (the new assignee) once it has escalated. The
requester, always the signed-in caller who started the request, never decides it. Names are
compared case-insensitively (sign-in names and e-mail addresses are).

Pure (no I/O, no clock, no environment reads except in :meth:`ApprovalSettings.from_environ`):
orchestrators use it during replay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, Final

from .durations import format_duration
from .validation import (
    MAX_LONG_TEXT,
    MAX_NAME,
    FieldError,
    Fields,
    check_duration,
    parse_json_body,
)

APPROVAL_ORCHESTRATOR: Final = "approval_orchestrator"
REMINDERS_ORCHESTRATOR: Final = "reminders_orchestrator"
#: Name of the external event carrying a decision (also usable via the Durable HTTP API's
#: ``sendEventPostUri``: ``.../raiseEvent/ApprovalDecision``).
DECISION_EVENT: Final = "ApprovalDecision"

#: Built-in defaults when the APPROVAL_TIMEOUT / ESCALATION_TIMEOUT app settings are unset.
DEFAULT_TIMEOUT: Final = timedelta(hours=24)
#: Upper bound of a deadline: an approval nobody answers for three months is abandoned, not pending.
MAX_DEADLINE: Final = timedelta(days=90)

#: Runtime statuses in which an instance with a given id still blocks a new start with that id
#: (the extension's default ``OverridableExistingInstanceStates = NonRunningStates``).
ACTIVE_RUNTIME_STATUSES: Final = frozenset({"Running", "Pending", "Suspended", "ContinuedAsNew"})

_OWN_REQUEST: Final = "must not be the requester: nobody decides their own request"


class Stage(StrEnum):
    """Where an approval stands; published as ``customStatus.stage``."""

    AWAITING_APPROVAL = "awaiting_approval"
    ESCALATED = "escalated"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def awaits_decision(self) -> bool:
        return self in (Stage.AWAITING_APPROVAL, Stage.ESCALATED)


class Outcome(StrEnum):
    """The decision values a person can send."""

    APPROVED = "approved"
    REJECTED = "rejected"


class SettingsError(RuntimeError):
    """An app setting holds an unusable value (a deployment problem, not a client error)."""


def same_person(a: str, b: str) -> bool:
    """Whether two sign-in names denote the same person (case-insensitive, trimmed)."""
    return a.strip().casefold() == b.strip().casefold()


def deciders(stage: Stage, approver: str, escalate_to: str) -> tuple[str, ...]:
    """Who may decide at ``stage``: the current assignee; nobody once the approval has ended.

    The approver while it awaits approval, the escalation target once it has escalated. (An
    approver's decision sent just as the deadline passed is still taken: :func:`accepts`.)
    """
    if stage is Stage.AWAITING_APPROVAL:
        return (approver,)
    if stage is Stage.ESCALATED:
        return (escalate_to,)
    return ()


def may_decide(who: str, stage: Stage, requester: str, approver: str, escalate_to: str) -> bool:
    """Whether ``who`` may decide now: one of :func:`deciders`, and never the requester.

    The decision endpoint's rule: it refuses (403) anyone else before raising an event.
    """
    if same_person(who, requester):
        return False
    return any(same_person(who, name) for name in deciders(stage, approver, escalate_to))


def accepts(decision: Decision, stage: Stage, requester: str, approver: str, escalate_to: str) -> bool:
    """Whether an orchestrator at ``stage`` takes ``decision``: the orchestrator's rule.

    Someone who may decide now (:func:`may_decide`) decides. One more decision is taken after the
    escalation: the approver's, if the decision endpoint validated it while the request still
    awaited approval (``decision.stage``). That is the race at the deadline: the endpoint answered
    202 before the escalation was recorded, and dropping the decision would break that promise.
    An approver's decision validated later (the endpoint refuses it) or not by the endpoint at all
    (an event raised directly on the Durable HTTP API carries no stage) is not taken once the
    request has escalated.
    """
    if may_decide(decision.by, stage, requester, approver, escalate_to):
        return True
    return (stage is Stage.ESCALATED and decision.stage is Stage.AWAITING_APPROVAL
            and same_person(decision.by, approver) and not same_person(decision.by, requester))


# ---------------------------------------------------------------------------------------------
# Settings and the start request


@dataclass(frozen=True)
class ApprovalSettings:
    """Defaults taken from app settings by the HTTP starter (never by an orchestrator)."""

    approval_timeout: timedelta = DEFAULT_TIMEOUT
    escalation_timeout: timedelta = DEFAULT_TIMEOUT
    escalate_to: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ApprovalSettings:
        """Read APPROVAL_TIMEOUT, ESCALATION_TIMEOUT, ESCALATE_TO; raise :class:`SettingsError`."""
        errors: list[FieldError] = []

        def timeout(name: str) -> timedelta:
            raw = environ.get(name, "").strip()
            found = check_duration(raw, name, errors, maximum=MAX_DEADLINE) if raw else None
            return found or DEFAULT_TIMEOUT

        approval_timeout = timeout("APPROVAL_TIMEOUT")
        escalation_timeout = timeout("ESCALATION_TIMEOUT")
        if errors:
            raise SettingsError("; ".join(f"app setting {e.field} {e.message}" for e in errors))
        escalate_to = environ.get("ESCALATE_TO", "").strip() or None
        return cls(approval_timeout, escalation_timeout, escalate_to)


#: Fields of the approval orchestration input.
_INPUT_FIELDS: Final = frozenset(
    {"title", "requester", "approver", "escalateTo", "deadline", "escalationDeadline", "details"}
)
#: Fields of a ``POST /api/approvals`` body: the requester is the signed-in caller, not a field.
_BODY_FIELDS: Final = (_INPUT_FIELDS - {"requester"}) | {"instanceId"}

#: ``requester`` used to be a body field; it is refused with this reason (the caller requests).
REQUESTER_REFUSED: Final = (
    "not accepted: the requester is the signed-in caller (App Service Authentication), never a body field"
)


@dataclass(frozen=True)
class ApprovalRequest:
    """The approval orchestration input: every default already resolved by the starter."""

    title: str
    requester: str
    approver: str
    escalate_to: str
    deadline: timedelta
    escalation_deadline: timedelta
    details: str | None = None

    def to_input(self) -> dict[str, Any]:
        """The JSON input passed to ``client.start_new``."""
        value: dict[str, Any] = {
            "title": self.title,
            "requester": self.requester,
            "approver": self.approver,
            "escalateTo": self.escalate_to,
            "deadline": format_duration(self.deadline),
            "escalationDeadline": format_duration(self.escalation_deadline),
        }
        if self.details is not None:
            value["details"] = self.details
        return value

    @classmethod
    def from_input(
        cls, value: Any, *, refuse_self_decision: bool = False, caller: str | None = None
    ) -> ApprovalRequest:
        """Parse an orchestration input; raise :class:`ValidationError` naming every bad field.

        Unlike the HTTP body, nothing is optional here except ``details``: an orchestrator
        cannot read app settings, so an input without them is refused instead of guessed.
        ``refuse_self_decision`` also refuses a requester named as approver or escalation target,
        and ``caller`` a requester who is not that signed-in caller; the starters ask for both,
        the orchestrator for neither: an instance started before those rules (or on the Durable
        HTTP API) must still replay, and it never accepts the requester's decision anyway.
        """
        fields = Fields(value, _INPUT_FIELDS, what="input")
        request = cls._build(fields, None, refuse_self_decision=refuse_self_decision, caller=caller,
                             requester_from_caller=False)
        fields.raise_if_invalid()
        assert request is not None
        return request

    @classmethod
    def _build(
        cls, fields: Fields, settings: ApprovalSettings | None, *, refuse_self_decision: bool,
        caller: str | None, requester_from_caller: bool,
    ) -> ApprovalRequest | None:
        title = fields.text("title", required=True)
        if requester_from_caller:
            requester = caller
        else:
            requester = fields.text("requester", required=True, max_length=MAX_NAME)
            if caller is not None and requester is not None and not same_person(requester, caller):
                fields.add("requester", f"must be the signed-in caller ({caller}): nobody requests in another's name")
        approver = fields.text("approver", required=True, max_length=MAX_NAME)
        escalate_to = fields.text("escalateTo", required=False, max_length=MAX_NAME)
        if fields.omitted("escalateTo"):
            if settings is not None and settings.escalate_to:
                escalate_to = settings.escalate_to
            elif settings is not None:
                fields.require("escalateTo", "is required: no ESCALATE_TO app setting is configured")
            else:
                fields.require("escalateTo")
        if refuse_self_decision and requester and approver and same_person(requester, approver):
            fields.add("approver", _OWN_REQUEST)
        if refuse_self_decision and requester and escalate_to and same_person(requester, escalate_to):
            fields.add("escalateTo", _OWN_REQUEST + (
                " (ESCALATE_TO names the requester: give another escalateTo)"
                if fields.omitted("escalateTo") else ""))
        deadline = fields.duration(
            "deadline", default=settings.approval_timeout if settings else None,
            maximum=MAX_DEADLINE,
        )
        escalation_deadline = fields.duration(
            "escalationDeadline", default=settings.escalation_timeout if settings else None,
            maximum=MAX_DEADLINE,
        )
        details = fields.text("details", required=False, max_length=MAX_LONG_TEXT)
        if fields.errors:
            return None
        assert title and requester and approver and escalate_to and deadline and escalation_deadline
        return cls(title, requester, approver, escalate_to, deadline, escalation_deadline, details)


@dataclass(frozen=True)
class StartRequest:
    """A validated ``POST /api/approvals`` body, requested by the signed-in caller."""

    request: ApprovalRequest
    instance_id: str | None = None


def parse_start_request(body: bytes, settings: ApprovalSettings, requester: str) -> StartRequest:
    """Validate a start body made by the signed-in caller ``requester``; fill omitted fields from ``settings``.

    Raises :class:`ValidationError` naming every invalid field (malformed JSON, a non-object
    body, wrong types, empty strings, unknown fields, a ``requester`` field
    (:data:`REQUESTER_REFUSED`), bad durations, a bad ``instanceId``, an approver or escalation
    target who is the requester).
    """
    fields = Fields(parse_json_body(body), _BODY_FIELDS, refused={"requester": REQUESTER_REFUSED})
    request = ApprovalRequest._build(fields, settings, refuse_self_decision=True, caller=requester,
                                     requester_from_caller=True)
    instance_id = fields.instance_id()
    fields.raise_if_invalid()
    assert request is not None
    return StartRequest(request, instance_id)


# ---------------------------------------------------------------------------------------------
# Decisions

#: ``by`` used to be a body field; it is refused with this reason (the caller is the decider).
BY_REFUSED: Final = (
    "not accepted: the decider is the signed-in caller (App Service Authentication), never a body field"
)


@dataclass(frozen=True)
class Decision:
    """What a person decided; the payload of the ``ApprovalDecision`` event.

    ``stage`` is the stage at which the decision endpoint checked that ``by`` may decide, so
    the orchestrator knows a decision validated before an escalation it has since recorded
    (:func:`accepts`); ``None`` when nothing validated it (an event raised directly).
    """

    outcome: Outcome
    by: str
    comment: str | None = None
    stage: Stage | None = None

    def validated_at(self, stage: Stage) -> Decision:
        """This decision, as checked by the decision endpoint at ``stage``."""
        return replace(self, stage=stage)

    def to_event(self) -> dict[str, Any]:
        """The event payload (a JSON object; see :func:`decision_from_event` for the quirks)."""
        value: dict[str, Any] = {"decision": self.outcome.value, "by": self.by}
        if self.comment is not None:
            value["comment"] = self.comment
        if self.stage is not None:
            value["stage"] = self.stage.value
        return value


def _outcome(fields: Fields) -> Outcome | None:
    raw = fields.data.get("decision")
    if raw is None:
        fields.require("decision")
    elif raw not in {o.value for o in Outcome}:
        fields.add("decision", "must be 'approved' or 'rejected'")
    else:
        return Outcome(raw)
    return None


def parse_decision_request(body: bytes, by: str) -> Decision:
    """Validate a decision body ``{"decision", "comment"?}`` made by the caller ``by``.

    Raises :class:`ValidationError` naming every invalid field; a ``by`` field is refused
    (:data:`BY_REFUSED`).
    """
    fields = Fields(parse_json_body(body), frozenset({"decision", "comment"}),
                    refused={"by": BY_REFUSED})
    outcome = _outcome(fields)
    comment = fields.text("comment", required=False, max_length=MAX_LONG_TEXT)
    fields.raise_if_invalid()
    assert outcome is not None
    return Decision(outcome, by, comment)


def decision_from_event(payload: Any) -> Decision | None:
    """The decision carried by an ``ApprovalDecision`` event, or ``None`` if it carries none.

    The payload is ``{"decision", "by", "comment"?, "stage"?}``; its shape depends on who raised
    it (SDK issue #295):

    * ``curl``/HTTP ``sendEventPostUri`` with the JSON object as body -> a ``dict``;
    * ``DurableOrchestrationClient.raise_event(..., {...})`` -> the client ``json.dumps`` the
      value and the extension stores it as a JSON *string*, so the orchestrator gets a ``str``
      holding JSON text.

    Both are accepted. Anything else (no payload, a malformed or incomplete object, a ``stage``
    that is not one awaiting a decision) yields ``None``: the orchestrator ignores it
    deterministically instead of failing. Whether ``by`` may decide is the orchestrator's
    question (:func:`accepts`).
    """
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    fields = Fields(payload, frozenset({"decision", "by", "comment", "stage"}), what="event")
    outcome = _outcome(fields)
    by = fields.text("by", required=True, max_length=MAX_NAME)
    comment = fields.text("comment", required=False, max_length=MAX_LONG_TEXT)
    stage = fields.data.get("stage")
    if stage is not None and stage not in (Stage.AWAITING_APPROVAL.value, Stage.ESCALATED.value):
        return None
    if fields.errors or outcome is None or by is None:
        return None
    return Decision(outcome, by, comment, Stage(stage) if stage is not None else None)
