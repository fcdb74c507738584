"""Values of the approval workflow and their validation.

Everything that crosses a boundary is parsed here, once, into a frozen dataclass:

* ``POST /api/approvals`` body        -> :func:`parse_start_request` -> :class:`StartRequest`
* ``POST /api/approvals/{id}/decision`` -> :func:`parse_decision_request` -> :class:`Decision`
* an ``ApprovalDecision`` event payload -> :func:`decision_from_event` (``None`` when invalid)
* the approval orchestration input     -> :meth:`ApprovalRequest.from_input`
* the reminder orchestration input     -> :meth:`ReminderPlan.from_input`
* app settings                         -> :meth:`ApprovalSettings.from_environ`

Validation never stops at the first problem: a :class:`ValidationError` carries one
:class:`FieldError` per invalid field, so a 400 response can name every one of them.

Durations are ISO 8601 durations restricted to units of fixed length (weeks, days, hours,
minutes, seconds: ``PT30S``, ``PT24H``, ``P2D``, ``P1W``, ``P1DT12H``). Years and months are
rejected because their length depends on the calendar.

This module is pure (no I/O, no clock, no environment reads except in
:meth:`ApprovalSettings.from_environ`), so orchestrators may use it during replay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

APPROVAL_ORCHESTRATOR: Final = "approval_orchestrator"
REMINDERS_ORCHESTRATOR: Final = "reminders_orchestrator"
#: Name of the external event carrying a decision (also usable via the Durable HTTP API's
#: ``sendEventPostUri``: ``.../raiseEvent/ApprovalDecision``).
DECISION_EVENT: Final = "ApprovalDecision"

#: Built-in defaults when the APPROVAL_TIMEOUT / ESCALATION_TIMEOUT app settings are unset.
DEFAULT_TIMEOUT: Final = timedelta(hours=24)
#: Upper bound of a deadline: an approval nobody answers for three months is abandoned, not pending.
MAX_DEADLINE: Final = timedelta(days=90)
#: Reminders: defaults reproduce the Microsoft Learn exercise (ten reminders, one a day).
DEFAULT_REMINDER_COUNT: Final = 10
MAX_REMINDER_COUNT: Final = 30
DEFAULT_REMINDER_INTERVAL: Final = timedelta(days=1)
#: Reminder timers are never longer than this, so the SDK never splits them into a
#: LongTimerTask (it does so above ``maximumShortTimerDuration`` = 6 days on Azure Storage).
MAX_REMINDER_INTERVAL: Final = timedelta(days=6)

MAX_TEXT: Final = 200
MAX_LONG_TEXT: Final = 2000
MAX_INSTANCE_ID: Final = 256

#: Runtime statuses in which an instance with a given id still blocks a new start with that id
#: (the extension's default ``OverridableExistingInstanceStates = NonRunningStates``).
ACTIVE_RUNTIME_STATUSES: Final = frozenset({"Running", "Pending", "Suspended", "ContinuedAsNew"})


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


@dataclass(frozen=True)
class FieldError:
    """One invalid field; ``field`` is the JSON name the client sent (``body``: the whole body)."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationError(ValueError):
    """A request, event or input is invalid; ``errors`` names every invalid field."""

    def __init__(self, errors: list[FieldError] | tuple[FieldError, ...]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def to_json(self) -> dict[str, Any]:
        """The 400 response body."""
        return {
            "error": "invalid_request",
            "message": "The request is invalid: " + ", ".join(e.field for e in self.errors),
            "errors": [e.to_json() for e in self.errors],
        }


class SettingsError(RuntimeError):
    """An app setting holds an unusable value (a deployment problem, not a client error)."""


# ---------------------------------------------------------------------------------------------
# Durations and instants

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P"
    r"(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_CALENDAR_UNITS = re.compile(r"^[-+]?P(?:\d+Y)|^[-+]?P(?:[^T]*\d+M)")


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration of fixed-length units; raise ``ValueError`` with a reason.

    The sign is kept (``-PT1H`` is a negative timedelta): range checks belong to the caller.
    """
    value = text.strip()
    if _CALENDAR_UNITS.match(value):
        raise ValueError("years and months have no fixed length; use days or weeks (e.g. P30D)")
    match = _DURATION.match(value)
    units = ("weeks", "days", "hours", "minutes", "seconds")
    if match is None or all(match[unit] is None for unit in units):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT30S, PT24H or P2D")
    parts = match.groupdict()
    try:
        amount = timedelta(
            weeks=int(parts["weeks"] or 0),
            days=int(parts["days"] or 0),
            hours=int(parts["hours"] or 0),
            minutes=int(parts["minutes"] or 0),
            seconds=float((parts["seconds"] or "0").replace(",", ".")),
        )
    except OverflowError as err:
        raise ValueError(f"{text!r} is too long") from err
    return -amount if parts["sign"] == "-" else amount


def format_duration(amount: timedelta) -> str:
    """The canonical ISO 8601 form of a non-negative duration: ``P2D``, ``PT30S``, ``P1DT12H``."""
    total = amount.total_seconds()
    if total < 0:
        raise ValueError("negative durations have no canonical form here")
    days, rest = divmod(amount, timedelta(days=1))
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes, rest = divmod(rest, timedelta(minutes=1))
    seconds = f"{rest.total_seconds():.6f}".rstrip("0").rstrip(".")
    date_part = f"{days}D" if days else ""
    time_part = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds != "0" else "")
    )
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive value is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, e.g. ``2026-01-01T09:30:00Z``."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """Inverse of :func:`format_instant`."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


# ---------------------------------------------------------------------------------------------
# Field checking


class _Fields:
    """Collects every problem of one JSON object instead of stopping at the first.

    ``null`` counts as omitted. When the value is not an object at all, that is the only
    error reported (per-field messages would be noise).
    """

    def __init__(self, value: Any, allowed: frozenset[str], *, what: str = "body") -> None:
        self.errors: list[FieldError] = []
        self.is_object = isinstance(value, Mapping)
        self.data: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        if not self.is_object:
            self.errors.append(FieldError(what, f"must be a JSON object, not {_json_type(value)}"))
        for name in sorted(set(self.data) - allowed):
            self.errors.append(FieldError(name, "unknown field"))

    def omitted(self, name: str) -> bool:
        return self.data.get(name) is None

    def require(self, name: str, reason: str = "is required") -> None:
        if self.is_object:
            self.errors.append(FieldError(name, reason))

    def text(self, name: str, *, required: bool, max_length: int = MAX_TEXT) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.require(name)
            return None
        if not isinstance(value, str):
            self.errors.append(FieldError(name, f"must be a string, not {_json_type(value)}"))
            return None
        if not value.strip():
            self.errors.append(FieldError(name, "must not be empty"))
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, f"must be at most {max_length} characters"))
            return None
        return value.strip()

    def duration(
        self, name: str, *, default: timedelta | None, maximum: timedelta = MAX_DEADLINE
    ) -> timedelta | None:
        if self.omitted(name):
            if default is None:
                self.require(name)
            return default
        raw = self.text(name, required=True, max_length=64)
        return None if raw is None else check_duration(raw, name, self.errors, maximum=maximum)

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(FieldError(name, f"must be an integer, not {_json_type(value)}"))
            return None
        if not minimum <= value <= maximum:
            self.errors.append(FieldError(name, f"must be between {minimum} and {maximum}"))
            return None
        return value


def check_duration(
    raw: str, name: str, errors: list[FieldError], *, maximum: timedelta = MAX_DEADLINE
) -> timedelta | None:
    """Parse ``raw`` as a positive duration of at most ``maximum``; add problems to ``errors``."""
    try:
        amount = parse_duration(raw)
    except ValueError as err:
        errors.append(FieldError(name, str(err)))
        return None
    if amount <= timedelta(0):
        errors.append(FieldError(name, "must be a positive duration"))
        return None
    if amount > maximum:
        errors.append(FieldError(name, f"must be at most {format_duration(maximum)}"))
        return None
    return amount


def check_instance_id(value: Any, field: str = "instanceId") -> list[FieldError]:
    """The Durable extension's instance id rules (``DurableClient.ValidateInstanceId``).

    Non-empty string, at most 256 characters, no ``/ \\ # ?``, no control characters and no
    leading ``@`` (reserved for entity ids).
    """
    if not isinstance(value, str):
        return [FieldError(field, f"must be a string, not {_json_type(value)}")]
    problems = []
    if not value:
        problems.append("must not be empty")
    if len(value) > MAX_INSTANCE_ID:
        problems.append(f"must be at most {MAX_INSTANCE_ID} characters")
    if value.startswith("@"):
        problems.append("must not start with '@'")
    if any(ch in value for ch in "/\\#?"):
        problems.append("must not contain '/', '\\', '#' or '?'")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value):
        problems.append("must not contain control characters")
    return [FieldError(field, "; ".join(problems))] if problems else []


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def parse_json_body(body: bytes) -> Any:
    """Decode an HTTP body as JSON; an empty or malformed body is a :class:`ValidationError`."""
    if not body or not body.strip():
        raise ValidationError([FieldError("body", "a JSON object is required")])
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as err:
        raise ValidationError([FieldError("body", f"malformed JSON: {err}")]) from err
    except RecursionError as err:  # json's decoder recurses once per nesting level
        raise ValidationError([FieldError("body", "malformed JSON: nested too deeply")]) from err


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
            return (check_duration(raw, name, errors) if raw else None) or DEFAULT_TIMEOUT

        approval_timeout = timeout("APPROVAL_TIMEOUT")
        escalation_timeout = timeout("ESCALATION_TIMEOUT")
        if errors:
            raise SettingsError("; ".join(f"app setting {e.field} {e.message}" for e in errors))
        escalate_to = environ.get("ESCALATE_TO", "").strip() or None
        return cls(approval_timeout, escalation_timeout, escalate_to)


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
    def from_input(cls, value: Any) -> ApprovalRequest:
        """Parse an orchestration input; raise :class:`ValidationError` naming every bad field.

        Unlike the HTTP body, nothing is optional here except ``details``: an orchestrator
        cannot read app settings, so an instance started without them (e.g. through the
        generic starter) fails with a message instead of guessing.
        """
        fields = _Fields(value, _START_FIELDS - {"instanceId"}, what="input")
        request = cls._build(fields, None)
        if fields.errors:
            raise ValidationError(fields.errors)
        assert request is not None
        return request

    @classmethod
    def _build(cls, fields: _Fields, settings: ApprovalSettings | None) -> ApprovalRequest | None:
        title = fields.text("title", required=True)
        requester = fields.text("requester", required=True, max_length=320)
        approver = fields.text("approver", required=True, max_length=320)
        escalate_to = fields.text("escalateTo", required=False, max_length=320)
        if fields.omitted("escalateTo"):
            if settings is not None and settings.escalate_to:
                escalate_to = settings.escalate_to
            elif settings is not None:
                fields.require(
                    "escalateTo", "is required: no ESCALATE_TO app setting is configured"
                )
            else:
                fields.require("escalateTo")
        deadline = fields.duration(
            "deadline", default=settings.approval_timeout if settings else None
        )
        escalation_deadline = fields.duration(
            "escalationDeadline", default=settings.escalation_timeout if settings else None
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


_START_FIELDS: Final = frozenset(
    {"title", "requester", "approver", "escalateTo", "deadline", "escalationDeadline", "details",
     "instanceId"}
)


def parse_start_request(body: bytes, settings: ApprovalSettings) -> StartRequest:
    """Validate a start body, filling omitted fields from ``settings``.

    Raises :class:`ValidationError` naming every invalid field (malformed JSON, a non-object
    body, wrong types, empty strings, unknown fields, bad durations, a bad ``instanceId``).
    """
    fields = _Fields(parse_json_body(body), _START_FIELDS)
    request = ApprovalRequest._build(fields, settings)
    instance_id = fields.data.get("instanceId")
    if instance_id is not None:
        fields.errors.extend(check_instance_id(instance_id))
    if fields.errors or request is None:
        raise ValidationError(fields.errors)
    return StartRequest(request, instance_id)


# ---------------------------------------------------------------------------------------------
# Decisions


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

    @classmethod
    def from_json(cls, value: Any, *, what: str = "body") -> Decision:
        fields = _Fields(value, frozenset({"decision", "by", "comment"}), what=what)
        raw = fields.data.get("decision")
        outcome: Outcome | None = None
        if raw is None:
            fields.require("decision")
        elif raw not in {o.value for o in Outcome}:
            fields.errors.append(FieldError("decision", "must be 'approved' or 'rejected'"))
        else:
            outcome = Outcome(raw)
        by = fields.text("by", required=True, max_length=320)
        comment = fields.text("comment", required=False, max_length=MAX_LONG_TEXT)
        if fields.errors or outcome is None or by is None:
            raise ValidationError(fields.errors or [FieldError(what, "is not a decision")])
        return cls(outcome, by, comment)


def parse_decision_request(body: bytes) -> Decision:
    """Validate a decision body; raise :class:`ValidationError` naming every invalid field."""
    return Decision.from_json(parse_json_body(body))


def decision_from_event(payload: Any) -> Decision | None:
    """The decision carried by an ``ApprovalDecision`` event, or ``None`` if it carries none.

    The payload shape depends on who raised the event (SDK issue #295):

    * ``curl``/HTTP ``sendEventPostUri`` with the JSON object as body -> a ``dict``;
    * ``DurableOrchestrationClient.raise_event(..., {...})`` -> the client ``json.dumps`` the
      value and the extension stores it as a JSON *string*, so the orchestrator gets a ``str``
      holding JSON text.

    Both are accepted. Anything else (no payload, a malformed or incomplete object) yields
    ``None``: the orchestrator ignores it deterministically instead of failing.
    """
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            return None
    try:
        return Decision.from_json(payload, what="event")
    except ValidationError:
        return None


# ---------------------------------------------------------------------------------------------
# Reminders


@dataclass(frozen=True)
class ReminderPlan:
    """Input of the reminder orchestrator: ``count`` reminders, one every ``interval``."""

    recipient: str
    message: str
    subject: str = "Reminder"
    interval: timedelta = DEFAULT_REMINDER_INTERVAL
    count: int = DEFAULT_REMINDER_COUNT

    @classmethod
    def from_input(cls, value: Any) -> ReminderPlan:
        """Parse the orchestration input; raise :class:`ValidationError` naming every bad field.

        ``interval`` (ISO 8601, at most P6D so every reminder timer is a plain durable timer) and
        ``count`` (1..30) are overridable for demos; defaults are P1D and 10.
        """
        fields = _Fields(
            value, frozenset({"recipient", "message", "subject", "interval", "count"}), what="input"
        )
        recipient = fields.text("recipient", required=True, max_length=320)
        message = fields.text("message", required=True, max_length=MAX_LONG_TEXT)
        subject = fields.text("subject", required=False) or "Reminder"
        interval = fields.duration(
            "interval", default=DEFAULT_REMINDER_INTERVAL, maximum=MAX_REMINDER_INTERVAL
        )
        count = fields.integer(
            "count", default=DEFAULT_REMINDER_COUNT, minimum=1, maximum=MAX_REMINDER_COUNT
        )
        if fields.errors or not (recipient and message and interval and count):
            raise ValidationError(fields.errors or [FieldError("input", "is not a reminder plan")])
        return cls(recipient, message, subject, interval, count)

    def to_input(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "message": self.message,
            "subject": self.subject,
            "interval": format_duration(self.interval),
            "count": self.count,
        }
