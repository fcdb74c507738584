"""Sending bad requests to a running host and judging the answers.

:func:`probe` sends one request and checks the rules every answer must follow:

* no 5xx, except where the real host answers one too (``allow_5xx``: the status API's
  ``returnInternalServerErrorOnFailure=true`` on a Failed instance; 501 where the local host
  documents a feature it leaves out);
* every 4xx carries a JSON object saying what was wrong (``message``/``Message``/
  ``ExceptionMessage``), except the empty-body 404 of ``GET .../instances/{id}`` for an unknown
  instance, which the SDK relies on (``empty_404``);
* a rejected (4xx) request changed nothing: every row of the store is the same before and
  after it, with the host idle both times.

Paths are given already percent-encoded (:func:`segment`) and sent as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from durable_local.testing import TestHost

API = "/runtime/webhooks/durabletask"
REQUESTER, APPROVER, HEAD = "ada@contoso.com", "bob@contoso.com", "head-of-department@contoso.com"
#: Each table with its key, so two reads list the rows in the same order.
_TABLES = {"instances": "instance_id", "history": "instance_id, seq", "messages": "id", "activities": "id"}


def segment(text: str) -> str:
    """``text`` percent-encoded as one path segment (``/ \\ # ?`` and controls included)."""
    return quote(text, safe="")


@dataclass(frozen=True)
class Known:
    """Instances every test can aim at, one per interesting state."""

    awaiting: str
    completed: str
    failed: str
    terminated: str

    def by_role(self, role: str) -> str:
        return getattr(self, role)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


def store_rows(host: TestHost) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the host's store (the in-memory database is only reachable through it)."""
    db = host.host.store._db
    return {table: [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY {key}")] for table, key in _TABLES.items()}


async def send(
    host: TestHost,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    params: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    query = ("?" + urlencode(params, quote_via=quote)) if params else ""
    url = URL(host.base_url + path + query, encoded=True)
    sent_headers = dict(headers or {})
    if content_type is not None:
        sent_headers["Content-Type"] = content_type
    async with host.http.request(
        method, url, data=body, headers=sent_headers, skip_auto_headers=("Content-Type",),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as reply:
        return Answer(reply.status, await reply.read(), reply.headers.get("Content-Type", ""))


def error_message(answer: Answer) -> str | None:
    """The text a 4xx body gives as its reason, or None if it gives none."""
    try:
        payload = answer.json()
    except ValueError:
        return None
    if isinstance(payload, str):  # the extension's rewind 404 is a JSON string
        return payload if payload.strip() else None
    if not isinstance(payload, dict):
        return None
    for key in ("message", "ExceptionMessage", "Message"):
        if isinstance(payload.get(key), str) and payload[key].strip():
            return payload[key]
    return None


async def probe(
    host: TestHost,
    method: str,
    path: str,
    *,
    allow_5xx: frozenset[int] = frozenset(),
    empty_404: bool = False,
    **request: Any,
) -> Answer:
    """Send one request and assert the rules in the module docstring; returns the answer."""
    await host.idle()
    before = store_rows(host)
    answer = await send(host, method, path, **request)
    await host.idle()
    shown = f"{method} {path[:200]} -> {answer.status} {answer.body[:300]!r}"
    assert answer.status < 500 or answer.status in allow_5xx, shown
    if 400 <= answer.status < 500:
        if not (empty_404 and answer.status == 404 and answer.body == b""):
            assert "json" in answer.content_type, f"4xx without a JSON body: {shown}"
            assert error_message(answer), f"4xx JSON body says nothing about the problem: {shown}"
        assert store_rows(host) == before, f"a rejected request changed the state: {shown}"
    return answer


async def create_known_instances(host: TestHost) -> Known:
    """An approval awaiting a decision, one approved, one Failed (bad input) and one Terminated."""

    async def start_approval(instance_id: str) -> None:
        body = {"title": "probe", "approver": APPROVER, "instanceId": instance_id}
        async with host.http.post(host.url("/api/approvals"), json=body,
                                  headers={"X-MS-CLIENT-PRINCIPAL-NAME": REQUESTER}) as reply:
            assert reply.status == 202, await reply.text()

    for instance_id in ("known-awaiting", "known-completed", "known-terminated"):
        await start_approval(instance_id)
    await host.idle()
    async with host.http.post(
        host.url("/api/approvals/known-completed/decision"), json={"decision": "approved"},
        headers={"X-MS-CLIENT-PRINCIPAL-NAME": APPROVER},
    ) as reply:
        assert reply.status == 202, await reply.text()
    async with host.http.post(host.url(f"{API}/instances/known-terminated/terminate?reason=probe")) as reply:
        assert reply.status == 202, await reply.text()
    # The approval orchestrator fails an instance whose input is not an approval request (the
    # app's starters refuse such input; the Durable HTTP API checks nothing).
    async with host.http.post(host.url(f"{API}/orchestrators/approval_orchestrator"), json={"title": 7}) as reply:
        assert reply.status == 202, await reply.text()
        failed = (await reply.json())["id"]
    await host.idle()
    known = Known("known-awaiting", "known-completed", failed, "known-terminated")
    expected = {"awaiting": "Running", "completed": "Completed", "failed": "Failed", "terminated": "Terminated"}
    for role, runtime in expected.items():
        status = await host.status(known.by_role(role))
        assert status is not None and str(status.runtime_status) == runtime, (role, status)
    return known
