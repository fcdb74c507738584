"""Values of the approval workflow, each parsed once where it crosses a boundary.

* ``POST /api/approvals`` body          -> :func:`parse_start_request` -> :class:`StartRequest`
* ``POST /api/approvals/{id}/decision``  -> :func:`parse_decision_request` -> :class:`Decision`
* an ``ApprovalDecision`` event payload -> :func:`decision_from_event` (``None`` when invalid)
* the approval orchestration input      -> :meth:`ApprovalRequest.from_input`
* app settings                          -> :meth:`ApprovalSettings.from_environ`

The reminders' values are in :mod:`.reminder_plan`.

Who may decide is a rule of the domain (:func:`deciders`): the approver while the request awaits
approval; once escalated, the escalation target (the new assignee) and still the approver. The
requester never decides their own request. Names are compared case-insensitively (sign-in names
and e-mail addresses are).

Pure (no I/O, no clock, no environment reads except in :meth:`ApprovalSettings.from_environ`):
orchestrators use it during replay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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
    """Who may decide at ``stage``, the current assignee first; nobody once it has ended.

    After escalation the approver keeps the right to decide: a decision the approver sent just
    as the deadline passed was accepted (202) before the escalation was recorded, and must not
    be dropped; the escalation adds a decider rather than disowning the approver.
    """
    if stage is Stage.AWAITING_APPROVAL:
        return (approver,)
    if stage is Stage.ESCALATED:
        return (escalate_to,) if same_person(escalate_to, approver) else (escalate_to, approver)
    return ()


def may_decide(who: str, stage: Stage, requester: str, approver: str, escalate_to: str) -> bool:
    """Whether ``who`` may decide now: one of :func:`deciders`, and never the requester."""
    if same_person(who, requester):
        return False
    return any(same_person(who, name) for name in deciders(stage, approver, escalate_to))


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


_START_FIELDS: Final = frozenset(
    {"title", "requester", "approver", "escalateTo", "deadline", "escalationDeadline", "details",
     "instanceId"}
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
    def from_input(cls, value: Any, *, refuse_self_decision: bool = False) -> ApprovalRequest:
        """Parse an orchestration input; raise :class:`ValidationError` naming every bad field.

        Unlike the HTTP body, nothing is optional here except ``details``: an orchestrator
        cannot read app settings, so an input without them is refused instead of guessed.
        ``refuse_self_decision`` also refuses a requester named as approver or escalation target;
        the starters ask for it, the orchestrator does not: an instance started before that rule
        (or on the Durable HTTP API) must still replay, and it never accepts the requester's
        decision anyway.
        """
        fields = Fields(value, _START_FIELDS - {"instanceId"}, what="input")
        request = cls._build(fields, None, refuse_self_decision=refuse_self_decision)
        fields.raise_if_invalid()
        assert request is not None
        return request

    @classmethod
    def _build(
        cls, fields: Fields, settings: ApprovalSettings | None, *, refuse_self_decision: bool
    ) -> ApprovalRequest | None:
        title = fields.text("title", required=True)
        requester = fields.text("requester", required=True, max_length=MAX_NAME)
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
    """A validated ``POST /api/approvals`` body."""

    request: ApprovalRequest
    instance_id: str | None = None


def parse_start_request(body: bytes, settings: ApprovalSettings) -> StartRequest:
    """Validate a start body, filling omitted fields from ``settings``.

    Raises :class:`ValidationError` naming every invalid field (malformed JSON, a non-object
    body, wrong types, empty strings, unknown fields, bad durations, a bad ``instanceId``, an
    approver or escalation target who is the requester).
    """
    fields = Fields(parse_json_body(body), _START_FIELDS)
    request = ApprovalRequest._build(fields, settings, refuse_self_decision=True)
    instance_id = fields.instance_id()
    fields.raise_if_invalid()
    assert request is not None
    return StartRequest(request, instance_id)


# ---------------------------------------------------------------------------------------------
# Decisions

#: ``by`` used to be a body field; it is refused with this reason (the caller is the decider).
BY_REFUSED: Final = (
    "not accepted: the decider is the signed-in caller (App Service Authentication's "
    "X-MS-CLIENT-PRINCIPAL-NAME header), never a body field"
)


@dataclass(frozen=True)
class Decision:
    """What a person decided; the payload of the ``ApprovalDecision`` event."""

    outcome: Outcome
    by: str
    comment: str | None = None

    def to_event(self) -> dict[str, Any]:
        """The event payload (a JSON object; see :func:`decision_from_event` for the quirks)."""
        value: dict[str, Any] = {"decision": self.outcome.value, "by": self.by}
        if self.comment is not None:
            value["comment"] = self.comment
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

    The payload is ``{"decision", "by", "comment"?}``; its shape depends on who raised it
    (SDK issue #295):

    * ``curl``/HTTP ``sendEventPostUri`` with the JSON object as body -> a ``dict``;
    * ``DurableOrchestrationClient.raise_event(..., {...})`` -> the client ``json.dumps`` the
      value and the extension stores it as a JSON *string*, so the orchestrator gets a ``str``
      holding JSON text.

    Both are accepted. Anything else (no payload, a malformed or incomplete object) yields
    ``None``: the orchestrator ignores it deterministically instead of failing. Whether ``by``
    may decide is the orchestrator's question (:func:`may_decide`).
    """
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    fields = Fields(payload, frozenset({"decision", "by", "comment"}), what="event")
    outcome = _outcome(fields)
    by = fields.text("by", required=True, max_length=MAX_NAME)
    comment = fields.text("comment", required=False, max_length=MAX_LONG_TEXT)
    if fields.errors or outcome is None or by is None:
        return None
    return Decision(outcome, by, comment)
