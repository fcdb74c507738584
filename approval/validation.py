"""Checking JSON objects field by field, reporting every problem at once.

:class:`Fields` reads one JSON object (a request body, an event payload, an orchestration
input) and collects a :class:`FieldError` per invalid field instead of stopping at the first,
so a 400 answer can name every one of them; :class:`ValidationError` carries the collection.

Pure (no I/O, no clock, no environment): orchestrators use it during replay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from .durations import format_duration, parse_duration

#: Default length limits: one-line texts, free texts, e-mail-like names (RFC 3696: 320).
MAX_TEXT: Final = 200
MAX_LONG_TEXT: Final = 2000
MAX_NAME: Final = 320
MAX_INSTANCE_ID: Final = 256


@dataclass(frozen=True)
class FieldError:
    """One invalid field; ``field`` is the JSON name the client sent (``body``: the whole body)."""

    field: str
    message: str


class ValidationError(ValueError):
    """A request, event or input is invalid; ``errors`` names every invalid field."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


def json_type(value: Any) -> str:
    """How a JSON value's type is named in messages (``a string``, ``an object``, ``null``)."""
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


class Fields:
    """Collects every problem of one JSON object instead of stopping at the first.

    ``null`` counts as omitted. When the value is not an object at all, that is the only error
    reported (per-field messages would be noise). ``refused`` maps field names that are known
    but not accepted to the reason given instead of "unknown field".
    """

    def __init__(
        self,
        value: Any,
        allowed: frozenset[str],
        *,
        what: str = "body",
        refused: Mapping[str, str] | None = None,
    ) -> None:
        self.errors: list[FieldError] = []
        self.is_object = isinstance(value, Mapping)
        self.data: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        if not self.is_object:
            self.errors.append(FieldError(what, f"must be a JSON object, not {json_type(value)}"))
        for name in sorted(set(self.data) - allowed):
            self.errors.append(FieldError(name, (refused or {}).get(name, "unknown field")))

    def omitted(self, name: str) -> bool:
        return self.data.get(name) is None

    def add(self, name: str, message: str) -> None:
        """Record a problem found by the caller (a rule spanning several fields)."""
        self.errors.append(FieldError(name, message))

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
            self.errors.append(FieldError(name, f"must be a string, not {json_type(value)}"))
            return None
        if not value.strip():
            self.errors.append(FieldError(name, "must not be empty"))
            return None
        if len(value) > max_length:
            self.errors.append(FieldError(name, f"must be at most {max_length} characters"))
            return None
        return value.strip()

    def duration(
        self, name: str, *, default: timedelta | None, maximum: timedelta
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
            self.errors.append(FieldError(name, f"must be an integer, not {json_type(value)}"))
            return None
        if not minimum <= value <= maximum:
            self.errors.append(FieldError(name, f"must be between {minimum} and {maximum}"))
            return None
        return value

    def instance_id(self, name: str = "instanceId") -> str | None:
        """An optional instance id following the extension's rules (:func:`check_instance_id`)."""
        value = self.data.get(name)
        if value is None:
            return None
        problems = check_instance_id(value, name)
        self.errors.extend(problems)
        return None if problems else str(value)

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def check_duration(
    raw: str, name: str, errors: list[FieldError], *, maximum: timedelta
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
        return [FieldError(field, f"must be a string, not {json_type(value)}")]
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
