"""The saved bookkeeping of one orchestration execution, as typed, frozen values.

It is what DTFx keeps in memory while it replays an orchestration: the action leaves recorded
so far (to detect non-determinism), the tasks still open (the completion rule) and the retry
chains the host drives for ``call_*_with_retry``. It is stored as JSON in the instance row;
the JSON layout is stable so that state files written by earlier versions still load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..jsontext import dumps


class TaskKind(StrEnum):
    """What an action leaf schedules; the values are the saved-state spelling."""

    ACTIVITY = "activity"
    SUB_ORCHESTRATION = "suborch"
    TIMER = "timer"
    ENTITY = "entity"
    HTTP = "http"

    @property
    def description(self) -> str:
        """How DTFx's non-determinism messages name a task of this kind."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    TaskKind.ACTIVITY: "an activity task",
    TaskKind.SUB_ORCHESTRATION: "a sub-orchestration task",
    TaskKind.TIMER: "a timer task",
    TaskKind.ENTITY: "an entity operation",
    TaskKind.HTTP: "a durable HTTP request",
}


@dataclass(frozen=True, slots=True)
class RecordedLeaf:
    """An action leaf as first scheduled, at its position in the cumulative action list.

    ``retried``: a ``call_*_with_retry`` (its later attempts are the host's, see RetryChain).
    ``rewound``: its failed attempt was turned into a tombstone by a rewind; the next replay
    schedules it again under the same id (DTFx finds no TaskScheduled for the id any more).
    """

    id: int
    kind: TaskKind
    name: str | None
    canceled: bool = False
    rewound: bool = False
    retried: bool = False


@dataclass(frozen=True, slots=True)
class OpenTask:
    """A task whose completion the execution still waits for (DTFx ``openTasks``).

    ``chain`` links an activity/sub-orchestration attempt or a retry timer to its
    :class:`RetryChain`; ``final`` marks the zero-delay timer DTFx adds after the last failed
    attempt; ``canceled`` a timer the orchestrator cancelled (no longer keeps it running).
    """

    kind: TaskKind
    name: str | None = None
    chain: int | None = None
    retry_timer: bool = False
    final: bool = False
    canceled: bool = False


@dataclass(frozen=True, slots=True)
class RetryChain:
    """One ``call_*_with_retry``: what to schedule again and how many attempts were made."""

    kind: TaskKind
    name: str
    input: str | None
    instance_id: str | None
    first_retry_ms: int
    max_attempts: int
    attempts: int = 1
    #: the sequence id of the latest attempt
    last_attempt_id: int | None = None
    #: the zero-delay timer DTFx adds after the last failed attempt, once scheduled
    final_timer_id: int | None = None
    #: a rewind turned the last failed attempt into a tombstone: run it again under its id
    rewound: bool = False

    def next_attempt(self) -> RetryChain:
        return replace(self, attempts=self.attempts + 1)

    @property
    def exhausted(self) -> bool:
        return self.attempts >= self.max_attempts


@dataclass(frozen=True)
class ExecutionState:
    """Bookkeeping of one execution; see the module docstring."""

    next_id: int = 0
    leaves: tuple[RecordedLeaf, ...] = ()
    open: Mapping[int, OpenTask] = field(default_factory=lambda: MappingProxyType({}))
    chains: tuple[RetryChain, ...] = ()
    #: ExecutionStarted.Generation: how many times the instance continued as new before this execution
    generation: int = 0

    @property
    def has_open_tasks(self) -> bool:
        """DTFx ``HasOpenTasks``: a cancelled timer does not count."""
        return any(not task.canceled for task in self.open.values())

    def open_task(self, task_id: int) -> OpenTask | None:
        return self.open.get(task_id)

    def to_json(self) -> str:
        """The saved form; remembered with this value, so reading it back costs a lookup."""
        text = dumps(
            {
                "next_id": self.next_id,
                "leaves": [_leaf_json(leaf) for leaf in self.leaves],
                "open": {str(task_id): _task_json(task) for task_id, task in self.open.items()},
                "chains": [_chain_json(chain) for chain in self.chains],
                "generation": self.generation,
            }
        )
        _SAVED.remember(text, self)
        return text

    @classmethod
    def from_json(cls, text: str | None) -> ExecutionState:
        if not text:
            return cls()
        known = _SAVED.get(text)
        if known is not None:
            return known
        state = cls._parse(text)
        _SAVED.remember(text, state)
        return state

    @classmethod
    def _parse(cls, text: str) -> ExecutionState:
        raw = json.loads(text)
        return cls(
            next_id=int(raw["next_id"]),
            leaves=tuple(
                RecordedLeaf(
                    int(leaf["id"]),
                    TaskKind(leaf["kind"]),
                    leaf.get("name"),
                    bool(leaf.get("canceled")),
                    bool(leaf.get("rewound")),
                    bool(leaf.get("retried")),
                )
                for leaf in raw["leaves"]
            ),
            open=MappingProxyType({int(key): _task_from_json(value) for key, value in raw["open"].items()}),
            chains=tuple(_chain_from_json(chain) for chain in raw["chains"]),
            generation=int(raw.get("generation", 0)),
        )


class _SavedStates:
    """Recently saved or read states by their JSON text, bounded by the texts' total length.

    An episode saves its state (``to_json``) and the instance's next episode reads the same text
    back (``from_json``); remembering the value skips the parse. Values are immutable, and
    ``from_json(to_json(s)) == s`` for every state the engine builds (a test checks it), so a
    remembered value is exactly what parsing would give. Oldest entries go first.
    """

    def __init__(self, max_chars: int, max_text: int) -> None:
        self._states: dict[str, ExecutionState] = {}
        self._chars = 0
        self._max_chars = max_chars
        self._max_text = max_text

    def get(self, text: str) -> ExecutionState | None:
        return self._states.get(text)

    def remember(self, text: str, state: ExecutionState) -> None:
        if len(text) > self._max_text or text in self._states:
            return
        self._states[text] = state
        self._chars += len(text)
        while self._chars > self._max_chars and self._states:
            oldest = next(iter(self._states))
            del self._states[oldest]
            self._chars -= len(oldest)


#: a few MB of small states: enough for thousands of instances in flight at once
_SAVED = _SavedStates(max_chars=4_000_000, max_text=16_384)


# -- JSON layout (kept as earlier versions wrote it) ---------------------------------------------


def _leaf_json(leaf: RecordedLeaf) -> dict[str, Any]:
    data: dict[str, Any] = {"id": leaf.id, "kind": str(leaf.kind), "name": leaf.name, "canceled": leaf.canceled}
    if leaf.rewound:
        data["rewound"] = True
    if leaf.retried:
        data["retried"] = True
    return data


def _task_json(task: OpenTask) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": str(task.kind), "name": task.name, "chain": task.chain}
    if task.retry_timer:
        data["retry_timer"] = True
        data["final"] = task.final
    if task.canceled:
        data["canceled"] = True
    return data


def _task_from_json(raw: Mapping[str, Any]) -> OpenTask:
    return OpenTask(
        kind=TaskKind(raw["kind"]),
        name=raw.get("name"),
        chain=raw.get("chain"),
        retry_timer=bool(raw.get("retry_timer")),
        final=bool(raw.get("final")),
        canceled=bool(raw.get("canceled")),
    )


def _chain_json(chain: RetryChain) -> dict[str, Any]:
    return {
        "kind": str(chain.kind),
        "name": chain.name,
        "input": chain.input,
        "instance_id": chain.instance_id,
        "first_retry_ms": chain.first_retry_ms,
        "max_attempts": chain.max_attempts,
        "attempts": chain.attempts,
        "last_attempt_id": chain.last_attempt_id,
        "final_timer_id": chain.final_timer_id,
        "rewound": chain.rewound,
    }


def _chain_from_json(raw: Mapping[str, Any]) -> RetryChain:
    return RetryChain(
        kind=TaskKind(raw["kind"]),
        name=raw["name"],
        input=raw.get("input"),
        instance_id=raw.get("instance_id"),
        first_retry_ms=int(raw["first_retry_ms"]),
        max_attempts=int(raw["max_attempts"]),
        attempts=int(raw["attempts"]),
        last_attempt_id=raw.get("last_attempt_id"),
        final_timer_id=raw.get("final_timer_id"),
        rewound=bool(raw.get("rewound")),
    )
