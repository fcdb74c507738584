"""The fast wire-type lookups answer exactly as the enums do, errors included."""

from __future__ import annotations

from typing import Any

import pytest

from durable_local.protocol import ActionType, EventType, action_type, event_type


@pytest.mark.parametrize("value", [0, 5, 12, 20, True, 0.0, 1.0, 99, -1, "5", None, [1], 2**70, 5.5])
def test_lookups_give_the_enum_member_or_the_enums_error(value: Any) -> None:
    for lookup, enum in ((event_type, EventType), (action_type, ActionType)):
        try:
            expected: Any = enum(value)
        except ValueError as err:
            with pytest.raises(ValueError, match=str(err).replace("[", r"\[").replace("]", r"\]")):
                lookup(value)
        else:
            assert lookup(value) is expected
