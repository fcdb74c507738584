"""The saved execution state reads back as exactly the value that was saved."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from durable_local.engine.state import ExecutionState, OpenTask, RecordedLeaf, RetryChain, TaskKind, _SavedStates

_ids = st.integers(min_value=0, max_value=10_000)
_names = st.none() | st.text(max_size=12)
_kinds = st.sampled_from(list(TaskKind))

_leaves = st.builds(RecordedLeaf, _ids, _kinds, _names, st.booleans(), st.booleans(), st.booleans())


@st.composite
def _open_tasks(draw: st.DrawFn) -> OpenTask:
    retry_timer = draw(st.booleans())
    return OpenTask(
        kind=draw(_kinds),
        name=draw(_names),
        chain=draw(st.none() | _ids),
        retry_timer=retry_timer,
        # the engine sets ``final`` only on a retry timer (ActionRecorder._on_retry_failure)
        final=retry_timer and draw(st.booleans()),
        canceled=draw(st.booleans()),
    )


_chains = st.builds(
    RetryChain,
    kind=_kinds,
    name=st.text(max_size=12),
    input=st.none() | st.text(max_size=20),
    instance_id=st.none() | st.text(max_size=12),
    first_retry_ms=_ids,
    max_attempts=st.integers(min_value=1, max_value=10),
    attempts=st.integers(min_value=1, max_value=10),
    last_attempt_id=st.none() | _ids,
    final_timer_id=st.none() | _ids,
    rewound=st.booleans(),
)

_states = st.builds(
    ExecutionState,
    next_id=_ids,
    leaves=st.tuples(*[_leaves] * 3) | st.lists(_leaves, max_size=6).map(tuple),
    open=st.dictionaries(_ids, _open_tasks(), max_size=5).map(MappingProxyType),
    chains=st.lists(_chains, max_size=3).map(tuple),
    generation=st.integers(min_value=0, max_value=5),
)


@settings(max_examples=200, deadline=None)
@given(_states)
def test_a_saved_state_parses_back_to_an_equal_value(state: ExecutionState) -> None:
    assert ExecutionState._parse(state.to_json()) == state


@settings(max_examples=50, deadline=None)
@given(_states)
def test_reading_back_a_state_just_saved_gives_an_equal_value_without_parsing(state: ExecutionState) -> None:
    text = state.to_json()
    parse = ExecutionState.__dict__["_parse"]  # the classmethod itself, restored below

    def no_parse(text: str) -> ExecutionState:
        raise AssertionError("parsed a state that was just saved")

    ExecutionState._parse = no_parse  # type: ignore[method-assign,assignment]
    try:
        read = ExecutionState.from_json(text)
    finally:
        setattr(ExecutionState, "_parse", parse)  # noqa: B010
    assert read == state


def test_a_state_saved_by_an_earlier_version_is_parsed() -> None:
    text = (
        '{"next_id": 2, "leaves": [{"id": 0, "kind": "activity", "name": "A", "canceled": false}],'
        ' "open": {"1": {"kind": "timer", "name": null, "chain": null}}, "chains": []}'
    )
    state = ExecutionState.from_json(text)
    assert state == ExecutionState(
        next_id=2,
        leaves=(RecordedLeaf(0, TaskKind.ACTIVITY, "A"),),
        open=MappingProxyType({1: OpenTask(TaskKind.TIMER)}),
        generation=0,
    )
    assert ExecutionState.from_json(text) is state  # the second read is the remembered value


def test_remembered_states_are_bounded_by_their_total_text_length() -> None:
    saved = _SavedStates(max_chars=100, max_text=40)
    states = [ExecutionState(next_id=i) for i in range(10)]
    for i, state in enumerate(states):
        saved.remember(f"{i:030d}", state)  # 30 characters each: three fit
    assert [saved.get(f"{i:030d}") for i in range(10)] == [None] * 7 + states[7:]
    saved.remember("x" * 41, states[0])  # longer than max_text: not kept
    assert saved.get("x" * 41) is None
