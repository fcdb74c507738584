"""Reading the SDK's OrchestratorState reply: its action leaves and its custom status. Pure.

The extension's rules for the reply's shape (``OutOfProcOrchestrationShim``, protocol notes 1.7):
schema V2/V3 replies hold one cumulative action list whose compound actions (WhenAll/WhenAny)
are walked depth-first; ``customStatus`` is limited to 16 KB of UTF-16
(``MessagePayloadDataConverter``). What the leaves mean as durable work is :mod:`.actions`.
"""

from __future__ import annotations

from typing import Any

from ..jsontext import dumps
from ..protocol import ActionType

#: ``MessagePayloadDataConverter.Serialize(value, maxSizeInKB: 16)`` as used by SetCustomStatus.
CUSTOM_STATUS_LIMIT_BYTES = 16 * 1024


class UnsupportedAction(Exception):
    """The reply asks for something the extension would reject; the orchestration fails."""


def flatten_actions(actions: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Depth-first leaves of the schema V2/V3 action list, WaitForExternalEvent excluded."""
    if len(actions) > 1:
        # ext: ReplayOOProcOrchestration throws when a V2/V3 reply has more than one inner list.
        raise ValueError(f"schema V2/V3 replies hold exactly one action list, got {len(actions)}")
    leaves: list[dict[str, Any]] = []

    def walk(action: dict[str, Any]) -> None:
        kind = action.get("actionType")
        if kind in (ActionType.WHEN_ALL, ActionType.WHEN_ANY):
            for child in action.get("compoundActions") or []:
                walk(child)
        elif kind != ActionType.WAIT_FOR_EXTERNAL_EVENT:
            leaves.append(action)

    for action in actions[0] if actions else []:
        walk(action)
    return leaves


def custom_status_json(reply: dict[str, Any]) -> str | None:
    """The reply's custom status as stored JSON text, or None when the reply sets none.

    Raises :class:`UnsupportedAction` with the extension's message above 16 KB of UTF-16
    (``ext: DurableOrchestrationContext.SetCustomStatus`` -> ``MessagePayloadDataConverter``).
    """
    if "customStatus" not in reply:
        return None
    text = dumps(reply["customStatus"])
    size = len(text.encode("utf-16-le"))
    if size > CUSTOM_STATUS_LIMIT_BYTES:
        raise UnsupportedAction(
            "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. "
            f"The current payload size is {size / 1024:.2f} KB."
        )
    return text


__all__ = ["CUSTOM_STATUS_LIMIT_BYTES", "UnsupportedAction", "custom_status_json", "flatten_actions"]
