"""The Durable management API answers hostile requests like the extension, with JSON 4xx bodies.

Property-based (Hypothesis, derandomized) requests to every route under
``/runtime/webhooks/durabletask``: start, status, list, purge (one and many), raiseEvent,
terminate, suspend, resume, rewind, restart and unknown routes, with hostile ids, event names
and reasons (``/ \\ # ?``, control characters; percent-encoded), arbitrary bodies and content
types, and unknown or malformed query parameters; plus the fixed worst cases (10,000-level
nesting, bodies of a few MB, 10,000-character ids, reasons and event names). The rules each
answer must follow are in ``probing.probe``; the documented exceptions are the empty-body 404
of ``GET instances/{id}``, the 500 of ``returnInternalServerErrorOnFailure=true`` on a Failed
instance, and the extension's 500 for a suspend or resume the instance's state does not allow.

Sizes: 25 examples per property by default, 300 with ``DURABLE_LOCAL_FULL=1``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from approval.domain import decision_from_event
from durable_local.frontends.http.status import parse_bool
from durable_local.testing import TestHost

from .probing import API, Known, probe, segment
from .strategies import HOSTILE_BODIES, LONG_IDS, PROPERTY, bodies, content_types, nasty_text, params

pytestmark = [pytest.mark.fault, pytest.mark.asyncio(loop_scope="module")]

ORCHESTRATORS = ["approval_orchestrator", "reminders_orchestrator"]
#: Targets: one of the known instances by role, or a hostile id.
targets = st.one_of(
    st.sampled_from(["awaiting", "completed", "failed", "terminated"]).map(lambda role: ("role", role)),
    nasty_text.map(lambda text: ("id", text)),
)
finished_targets = st.one_of(
    st.sampled_from(["completed", "failed", "terminated"]).map(lambda role: ("role", role)),
    nasty_text.map(lambda text: ("id", text)),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)


def resolve(known: Known, target: tuple[str, str]) -> str:
    kind, value = target
    return known.by_role(value) if kind == "role" else value


def first(query: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in query if key == name), None)


def is_decision(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return decision_from_event(payload) is not None


@PROPERTY
@given(name=st.one_of(nasty_text, st.sampled_from(ORCHESTRATORS)), instance_id=st.one_of(st.none(), nasty_text),
       body=bodies, content_type=content_types, query=params)
async def test_start_answers_every_name_id_and_body_without_a_server_error(
    host: TestHost, known: Known, name: str, instance_id: str | None, body: bytes, content_type: str | None,
    query: list[tuple[str, str]],
) -> None:
    # A known id would replace a finished fixture instance (the extension allows it).
    assume(instance_id not in (known.completed, known.failed, known.terminated, known.awaiting))
    path = f"{API}/orchestrators/{segment(name)}" + (f"/{segment(instance_id)}" if instance_id is not None else "")
    await probe(host, "POST", path, body=body, content_type=content_type, params=query)


@PROPERTY
@given(target=targets, query=params)
async def test_status_answers_every_id_and_query_as_the_extension_does(
    host: TestHost, known: Known, target: tuple[str, str], query: list[tuple[str, str]]
) -> None:
    instance_id = resolve(known, target)
    documented_500 = instance_id == known.failed and parse_bool(first(query, "returnInternalServerErrorOnFailure"), False)
    answer = await probe(
        host, "GET", f"{API}/instances/{segment(instance_id)}", params=query,
        allow_5xx=frozenset({500}) if documented_500 else frozenset(), empty_404=True,
    )
    if documented_500:
        assert answer.status == 500


@PROPERTY
@given(query=params, token=st.one_of(st.none(), header_text))
async def test_list_answers_every_filter_and_continuation_token_without_a_server_error(
    host: TestHost, known: Known, query: list[tuple[str, str]], token: str | None
) -> None:
    headers = {"x-ms-continuation-token": token} if token is not None else None
    await probe(host, "GET", f"{API}/instances", params=query, headers=headers)


@PROPERTY
@given(instance_id=nasty_text, query=params)
async def test_purge_answers_every_id_without_a_server_error(
    host: TestHost, known: Known, instance_id: str, query: list[tuple[str, str]]
) -> None:
    assume(instance_id not in (known.completed, known.failed, known.terminated, known.awaiting))
    await probe(host, "DELETE", f"{API}/instances/{segment(instance_id)}", params=query)


@PROPERTY
@given(query=params)
async def test_purge_many_answers_every_filter_without_a_server_error(
    host: TestHost, known: Known, query: list[tuple[str, str]]
) -> None:
    await probe(host, "DELETE", f"{API}/instances", params=query)


@PROPERTY
@given(target=targets, event=st.one_of(nasty_text, st.just("ApprovalDecision")), body=bodies, content_type=content_types)
async def test_raise_event_answers_every_id_name_body_and_content_type_without_a_server_error(
    host: TestHost, known: Known, target: tuple[str, str], event: str, body: bytes, content_type: str | None
) -> None:
    instance_id = resolve(known, target)
    # A valid decision would end the shared awaiting instance.
    assume(not (instance_id == known.awaiting and event == "ApprovalDecision" and is_decision(body)))
    path = f"{API}/instances/{segment(instance_id)}/raiseEvent/{segment(event)}"
    await probe(host, "POST", path, body=body, content_type=content_type)


@PROPERTY
@given(
    operation=st.sampled_from(["terminate", "suspend", "resume", "rewind", "restart"]),
    target=finished_targets,
    reason=st.one_of(st.none(), nasty_text),
    query=params,
    body=st.one_of(st.none(), bodies),
)
async def test_lifecycle_operations_answer_every_id_and_reason_without_a_server_error(
    host: TestHost, known: Known, operation: str, target: tuple[str, str], reason: str | None,
    query: list[tuple[str, str]], body: bytes | None,
) -> None:
    instance_id = resolve(known, target)
    if operation == "restart" and target[0] == "role":
        # Restarting under the same id would replace a fixture instance.
        assume(parse_bool(first(query, "restartWithNewInstanceId"), True))
    full_query = ([("reason", reason)] if reason is not None else []) + query
    answer = await probe(
        host, "POST", f"{API}/instances/{segment(instance_id)}/{operation}", params=full_query, body=body,
        # suspend/resume outside their states: the extension's InvalidOperationException (500)
        allow_5xx=frozenset({500}) if operation in ("suspend", "resume") else frozenset(),
    )
    if answer.status == 500:
        assert json.loads(answer.body)["ExceptionType"] == "System.InvalidOperationException", answer
    if operation == "rewind" and answer.status == 202:
        # The rewound instance replays and fails again on its bad input: wait for that, so the
        # next example finds the fixture Failed again.
        await host.wait_for(known.failed, "Failed")


@PROPERTY
@given(segments=st.lists(nasty_text, min_size=1, max_size=5), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
async def test_unknown_management_routes_answer_a_json_404(
    host: TestHost, known: Known, segments: list[str], method: str
) -> None:
    assume(segments[0].lower() not in ("instances", "orchestrators", "entities", "taskhub"))
    answer = await probe(host, method, API + "/" + "/".join(segment(s) for s in segments))
    assert answer.status == 404


# -- fixed worst cases ----------------------------------------------------------------------

BODY_TARGETS = {
    "start": f"{API}/orchestrators/reminders_orchestrator",
    "start-unknown-orchestrator": f"{API}/orchestrators/no_such_orchestrator",
    "raise-event": f"{API}/instances/known-awaiting/raiseEvent/Probe",
}


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
@pytest.mark.parametrize("path", list(BODY_TARGETS.values()), ids=list(BODY_TARGETS))
async def test_management_api_rejects_deep_nesting_and_megabyte_bodies_with_a_json_4xx(
    host: TestHost, known: Known, path: str, body: bytes
) -> None:
    answer = await probe(host, "POST", path, body=body, content_type="application/json")
    if body is HOSTILE_BODIES["huge-json"] and path != BODY_TARGETS["start-unknown-orchestrator"]:
        assert answer.status == 202  # 3 MB of valid JSON is a valid input or event payload
    else:
        assert 400 <= answer.status < 500


LONG_ID_ROUTES = {
    "status": ("GET", f"{API}/instances/{{}}"),
    "purge": ("DELETE", f"{API}/instances/{{}}"),
    "start": ("POST", f"{API}/orchestrators/reminders_orchestrator/{{}}"),
    "raise-event": ("POST", f"{API}/instances/{{}}/raiseEvent/Probe"),
    "terminate": ("POST", f"{API}/instances/{{}}/terminate"),
    "restart": ("POST", f"{API}/instances/{{}}/restart"),
}


@pytest.mark.parametrize("instance_id", list(LONG_IDS.values()), ids=list(LONG_IDS))
@pytest.mark.parametrize("route", list(LONG_ID_ROUTES.values()), ids=list(LONG_ID_ROUTES))
async def test_management_api_answers_overlong_ids_with_a_json_4xx(
    host: TestHost, known: Known, route: tuple[str, str], instance_id: str
) -> None:
    method, template = route
    answer = await probe(
        host, method, template.format(segment(instance_id)), body=b"{}", content_type="application/json", empty_404=method == "GET"
    )
    assert 400 <= answer.status < 500


@pytest.mark.parametrize("text", list(LONG_IDS.values()), ids=list(LONG_IDS))
async def test_overlong_event_names_and_reasons_are_answered_without_a_server_error(host: TestHost, known: Known, text: str) -> None:
    await probe(host, "POST", f"{API}/instances/{known.completed}/raiseEvent/{segment(text)}", body=b"1", content_type="application/json")
    await probe(host, "POST", f"{API}/instances/{known.completed}/terminate", params=[("reason", text)])


SPECIAL = {"slash": "/", "backslash": "\\", "hash": "#", "question": "?", "newline": "\n", "nul": "\x00",
           "escape": "\x1b", "del": "\x7f", "percent": "%", "plus": "+", "space": " ", "at": "@"}
SPECIAL_ROUTES = {
    "status": ("GET", f"{API}/instances/{{}}"),
    "purge": ("DELETE", f"{API}/instances/{{}}"),
    "start": ("POST", f"{API}/orchestrators/reminders_orchestrator/{{}}"),
    "raise-event-id": ("POST", f"{API}/instances/{{}}/raiseEvent/Probe"),
    "raise-event-name": ("POST", f"{API}/instances/known-completed/raiseEvent/{{}}"),
    "terminate": ("POST", f"{API}/instances/{{}}/terminate"),
    "suspend": ("POST", f"{API}/instances/{{}}/suspend"),
    "resume": ("POST", f"{API}/instances/{{}}/resume"),
    "rewind": ("POST", f"{API}/instances/{{}}/rewind"),
    "restart": ("POST", f"{API}/instances/{{}}/restart"),
}


@pytest.mark.parametrize("char", list(SPECIAL.values()), ids=list(SPECIAL))
@pytest.mark.parametrize("route", list(SPECIAL_ROUTES.values()), ids=list(SPECIAL_ROUTES))
async def test_management_api_answers_ids_and_event_names_with_special_characters(
    host: TestHost, known: Known, route: tuple[str, str], char: str
) -> None:
    method, template = route
    # "@x" would be a valid start id only without the leading "@"; "a b" etc. are valid ids.
    text = f"probe{char}id" if char != "@" else "@probe"
    answer = await probe(
        host, method, template.format(segment(text)), body=b"{}", content_type="application/json",
        empty_404=method == "GET",
    )
    assert answer.status < 500


EDGE_QUERIES = {
    "time-before-year-1": [("createdTimeFrom", "0001-01-01T00:00:00+01:00")],
    "time-after-year-9999": [("createdTimeFrom", "2020-01-01T00:00:00Z"), ("createdTimeTo", "9999-12-31T23:59:59-01:00")],
    "time-garbage": [("createdTimeFrom", "2026-13-45")],
    "status-unknown": [("createdTimeFrom", "2020-01-01T00:00:00Z"), ("runtimeStatus", "Running,Bogus")],
    "top-huge": [("top", "9999999999999999999999")],
    "top-negative": [("top", "-1")],
    "prefix-controls": [("instanceIdPrefix", "\x00\x1f%")],
}


@pytest.mark.parametrize("query", list(EDGE_QUERIES.values()), ids=list(EDGE_QUERIES))
@pytest.mark.parametrize("method", ["GET", "DELETE"], ids=["list", "purge-many"])
async def test_list_and_purge_many_answer_out_of_range_filters_without_a_server_error(
    host: TestHost, known: Known, method: str, query: list[tuple[str, str]]
) -> None:
    # Purging with a valid filter would delete the fixture instances; every filter here is
    # invalid or matches nothing old enough... except the year-9999 one, which is checked
    # on list only.
    if method == "DELETE" and query is EDGE_QUERIES["time-after-year-9999"]:
        query = [("createdTimeFrom", "9000-01-01T00:00:00Z"), ("createdTimeTo", "9999-12-31T23:59:59-01:00")]
    if method == "DELETE" and query in (EDGE_QUERIES["top-huge"], EDGE_QUERIES["top-negative"], EDGE_QUERIES["prefix-controls"]):
        query = [*query, ("createdTimeFrom", "9000-01-01T00:00:00Z")]
    await probe(host, method, f"{API}/instances", params=query)


SURROGATE_TARGETS = {
    "start": f"{API}/orchestrators/reminders_orchestrator",
    "raise-event": f"{API}/instances/known-awaiting/raiseEvent/Probe",
}


@pytest.mark.parametrize("body", [b'"\\ud800"', b'{"recipient": "\\udfff"}'], ids=["string", "object"])
@pytest.mark.parametrize("path", list(SURROGATE_TARGETS.values()), ids=list(SURROGATE_TARGETS))
async def test_json_with_a_lone_surrogate_escape_is_not_a_server_error(
    host: TestHost, known: Known, path: str, body: bytes
) -> None:
    # Valid JSON text (RFC 8259 allows the escape; .NET strings hold it): accept it or refuse it
    # with a 400, but never fail storing it.
    await probe(host, "POST", path, body=body, content_type="application/json")
