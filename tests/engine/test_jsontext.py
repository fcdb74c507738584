"""The host's JSON encoder writes exactly what ``json.dumps`` writes (stored texts stay unchanged)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from durable_local.engine import history as h
from durable_local.jsontext import dumps
from durable_local.protocol import EventType

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
_json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_any_json_value_is_encoded_byte_for_byte_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value)


def test_enum_members_non_ascii_text_and_special_floats_match_json_dumps() -> None:
    value = {
        "EventType": EventType.TASK_COMPLETED,
        "text": "Grüße \u2603 \ud83d\ude00 \"quoted\" \\ \n",
        "floats": [math.nan, math.inf, -math.inf, 1e300, -0.0, 0.1],
        "nested": {"a": [1, {"b": None}]},
        "big": 10**30,
    }
    assert dumps(value) == json.dumps(value)
    assert dumps("top-level string") == json.dumps("top-level string")


def test_a_value_json_cannot_hold_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": object()})


def test_history_events_are_stored_as_json_dumps_would_write_them() -> None:
    from datetime import UTC, datetime

    event = h.task_scheduled(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 3, "SayHello", '"Tokyo"')
    assert h.played_text(event) == json.dumps({**event, "IsPlayed": True})
    assert json.loads(event["Input"] or "null") == ['"Tokyo"']
