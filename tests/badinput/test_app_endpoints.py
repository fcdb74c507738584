"""The approval app's HTTP endpoints answer hostile requests with a JSON 4xx and change nothing.

Property-based (Hypothesis, derandomized: the same examples every run) requests to every app
endpoint on one local host per module (see conftest.py): arbitrary and malformed bodies, wrong
content types, ids with ``/ \\ # ?`` and control characters (percent-encoded), unknown query
parameters; plus the fixed worst cases: 10,000-level nesting, bodies of a few MB and
10,000-character ids. The rules each answer must follow are in ``probing.probe``.

Sizes: 25 examples per property by default, 300 with ``DURABLE_LOCAL_FULL=1``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from approval.domain import parse_decision_request
from approval.identity import PRINCIPAL_HEADER, PRINCIPAL_NAME_HEADER
from approval.validation import ValidationError
from durable_local.testing import TestHost

from .probing import APPROVER, REQUESTER, Known, probe, segment
from .strategies import HOSTILE_BODIES, LONG_IDS, PROPERTY, bodies, content_types, nasty_text, params

AS_APPROVER = {PRINCIPAL_NAME_HEADER: APPROVER}
AS_REQUESTER = {PRINCIPAL_NAME_HEADER: REQUESTER}

header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)

pytestmark = [pytest.mark.fault, pytest.mark.asyncio(loop_scope="module")]

ROLES = ["awaiting", "completed", "failed", "terminated"]
instance_ids = st.one_of(st.sampled_from(ROLES).map(lambda role: ("role", role)), nasty_text.map(lambda t: ("id", t)))


def resolve(known: Known, target: tuple[str, str]) -> str:
    kind, value = target
    return known.by_role(value) if kind == "role" else value


def is_decision(body: bytes) -> bool:
    try:
        parse_decision_request(body, APPROVER)
    except (ValidationError, RecursionError):
        return False
    return True


#: Who the request claims to be: nobody, the approver, the requester, a stranger, or junk in
#: either App Service Authentication header.
callers = st.one_of(
    st.none(),
    st.sampled_from([APPROVER, REQUESTER, "mallory@contoso.com"]).map(lambda name: {PRINCIPAL_NAME_HEADER: name}),
    header_text.map(lambda text: {PRINCIPAL_HEADER: text}),
    header_text.map(lambda text: {PRINCIPAL_NAME_HEADER: text}),
)


@PROPERTY
@given(body=bodies, content_type=content_types, query=params)
async def test_start_approval_answers_every_body_without_a_server_error(
    host: TestHost, known: Known, body: bytes, content_type: str | None, query: list[tuple[str, str]]
) -> None:
    await probe(host, "POST", "/api/approvals", body=body, content_type=content_type, params=query, headers=AS_REQUESTER)


@PROPERTY
@given(
    fields=st.dictionaries(
        st.sampled_from(["title", "requester", "approver", "escalateTo", "deadline", "escalationDeadline", "details", "instanceId", "colour"]),
        st.one_of(nasty_text, st.integers(), st.none(), st.booleans(), st.sampled_from(["PT0S", "-PT1H", "P1Y", "P91D", "PT1H", "x" * 3000])),
    )
)
async def test_start_approval_rejects_invalid_fields_with_a_json_400_naming_them(
    host: TestHost, known: Known, fields: dict
) -> None:
    answer = await probe(host, "POST", "/api/approvals", body=json.dumps(fields).encode(), content_type="application/json",
                         headers=AS_REQUESTER)
    assert answer.status in (202, 400, 409), answer
    if answer.status == 400:
        assert answer.json()["errors"], answer


@PROPERTY
@given(target=instance_ids, body=bodies, content_type=content_types, query=params, caller=callers)
async def test_decision_answers_every_id_body_and_caller_without_a_server_error(
    host: TestHost, known: Known, target: tuple[str, str], body: bytes, content_type: str | None,
    query: list[tuple[str, str]], caller: dict[str, str] | None,
) -> None:
    instance_id = resolve(known, target)
    # A valid decision by the approver would end the shared awaiting instance; that path has
    # its own tests.
    assume(not (instance_id == known.awaiting and caller == {PRINCIPAL_NAME_HEADER: APPROVER} and is_decision(body)))
    answer = await probe(
        host, "POST", f"/api/approvals/{segment(instance_id)}/decision", body=body, content_type=content_type,
        params=query, headers=caller,
    )
    assert answer.status != 202, answer
    if caller is None:
        # Without an identity nothing is decided: 401, or the host's 404/405 for a path that
        # reaches no decision function (an empty id).
        assert (answer.status, answer.json()["error"]) in (
            (401, "unauthenticated"), (404, "not_found"), (405, "method_not_allowed")), answer


@PROPERTY
@given(target=instance_ids, query=params)
async def test_approval_view_answers_every_id_without_a_server_error(
    host: TestHost, known: Known, target: tuple[str, str], query: list[tuple[str, str]]
) -> None:
    await probe(host, "GET", f"/api/approvals/{segment(resolve(known, target))}", params=query)


@PROPERTY
@given(name=st.one_of(nasty_text, st.sampled_from(["approval_orchestrator", "reminders_orchestrator", "NotifyApprover", "start_approval"])),
       body=bodies, content_type=content_types)
async def test_generic_starter_answers_every_name_and_body_without_a_server_error(
    host: TestHost, known: Known, name: str, body: bytes, content_type: str | None
) -> None:
    await probe(host, "POST", f"/api/orchestrators/{segment(name)}", body=body, content_type=content_type,
                headers=AS_REQUESTER)


# -- fixed worst cases ----------------------------------------------------------------------

POST_ENDPOINTS = {
    "start": "/api/approvals",
    "decision": "/api/approvals/known-awaiting/decision",
    # The generic starter checks the input of the app's own orchestrators, a 3 MB one included.
    "generic-starter": "/api/orchestrators/reminders_orchestrator",
    "reminders": "/api/reminders",
}


@pytest.mark.parametrize("body", list(HOSTILE_BODIES.values()), ids=list(HOSTILE_BODIES))
@pytest.mark.parametrize("path", list(POST_ENDPOINTS.values()), ids=list(POST_ENDPOINTS))
async def test_app_endpoints_reject_deep_nesting_and_megabyte_bodies_with_a_json_4xx(
    host: TestHost, known: Known, path: str, body: bytes
) -> None:
    answer = await probe(host, "POST", path, body=body, content_type="application/json", headers=AS_APPROVER)
    assert 400 <= answer.status < 500


@pytest.mark.parametrize("instance_id", list(LONG_IDS.values()), ids=list(LONG_IDS))
@pytest.mark.parametrize(("method", "template"), [("GET", "/api/approvals/{}"), ("POST", "/api/approvals/{}/decision")], ids=["view", "decision"])
async def test_app_endpoints_answer_10000_character_ids_with_a_json_4xx(
    host: TestHost, known: Known, method: str, template: str, instance_id: str
) -> None:
    body = b'{"decision": "approved"}' if method == "POST" else None
    answer = await probe(host, method, template.format(segment(instance_id)), body=body, content_type="application/json",
                         headers=AS_APPROVER)
    assert 400 <= answer.status < 500


async def test_start_approval_rejects_a_10000_character_instance_id_in_the_body(host: TestHost, known: Known) -> None:
    body = {"title": "t", "approver": "b", "instanceId": "z" * 10_000}
    answer = await probe(host, "POST", "/api/approvals", body=json.dumps(body).encode(), content_type="application/json",
                         headers=AS_REQUESTER)
    assert answer.status == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["instanceId"]


SPECIAL = {"slash": "/", "backslash": "\\", "hash": "#", "question": "?", "newline": "\n", "nul": "\x00",
           "escape": "\x1b", "del": "\x7f", "percent": "%", "plus": "+", "space": " ", "at": "@"}
SPECIAL_ROUTES = {
    "view": ("GET", "/api/approvals/{}"),
    "decision": ("POST", "/api/approvals/{}/decision"),
    "generic-starter": ("POST", "/api/orchestrators/{}"),
}


@pytest.mark.parametrize("char", list(SPECIAL.values()), ids=list(SPECIAL))
@pytest.mark.parametrize("route", list(SPECIAL_ROUTES.values()), ids=list(SPECIAL_ROUTES))
async def test_app_endpoints_answer_ids_and_names_with_special_characters_with_a_json_4xx(
    host: TestHost, known: Known, route: tuple[str, str], char: str
) -> None:
    method, template = route
    body = b'{"decision": "approved"}' if method == "POST" else None
    answer = await probe(host, method, template.format(segment(f"probe{char}id")), body=body, content_type="application/json",
                         headers=AS_APPROVER)
    assert 400 <= answer.status < 500


@pytest.mark.parametrize(("name", "char"), list(SPECIAL.items()), ids=list(SPECIAL))
async def test_start_approval_rejects_instance_ids_the_extension_rejects(host: TestHost, known: Known, name: str, char: str) -> None:
    # Distinct ids per case: the SDK sends ids unquoted, so "a+b" arrives (and is stored) as "a b".
    instance_id = f"start{char}{name}" if char != "@" else "@start"
    body = {"title": "t", "approver": "b", "instanceId": instance_id}
    answer = await probe(host, "POST", "/api/approvals", body=json.dumps(body).encode(), content_type="application/json",
                         headers=AS_REQUESTER)
    if char in "/\\#?\n\x00\x1b\x7f@":
        assert answer.status == 400 and [e["field"] for e in answer.json()["errors"]] == ["instanceId"], answer
    else:
        assert answer.status == 202, answer
