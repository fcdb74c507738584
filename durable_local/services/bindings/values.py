"""Output binding values as the Python worker hands them to a function: ``func.Out`` objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import azure.functions as func

from ..loader import OutputBinding


class OutValue(func.Out):  # type: ignore[type-arg]  # generic only in the SDK's stubs
    """The worker's ``Out``: holds whatever the function ``set`` (``func.Out`` is abstract)."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


def prepare_outputs(outputs: tuple[OutputBinding, ...]) -> dict[str, OutValue]:
    """One fresh ``func.Out`` per declared output binding, keyed by parameter name."""
    return {binding.name: OutValue() for binding in outputs}


def set_values(outs: Mapping[str, OutValue]) -> dict[str, Any]:
    """The values the function ``set`` on its outputs, by parameter name (unset ones left out)."""
    return {name: out.get() for name, out in outs.items() if out.get() is not None}
