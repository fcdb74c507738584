"""The dashboard's local-only route for an entity's recent operations, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host
from tests.browser.support import PANTRY_APP, WEBHOOK, serve_dashboard

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def signal(host: TestHost, path: str, body: str | None = None) -> None:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    async with host.http.post(host.url(f"{WEBHOOK}/entities/{path}"), data=body, headers=headers) as reply:
        assert reply.status == 202, await reply.text()


async def get(host: TestHost, url: str, **headers: str) -> tuple[int, Any]:
    async with host.http.get(url, headers=headers) as reply:
        return reply.status, await reply.json()


async def test_operations_are_listed_newest_first_with_caller_kind_outcome_and_duration() -> None:
    async with run_host(PANTRY_APP, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        await signal(host, "Shelf/flour?op=stock", '"5"')  # as the Python client sends 5
        await host.idle()
        await host.advance(timedelta(minutes=1))
        baker = await host.start("bake", {"item": "flour", "amount": 9})
        assert (await host.wait_for(baker)).runtime_status == "Completed"
        await host.advance(timedelta(minutes=1))
        baker2 = await host.start("bake", {"item": "flour", "amount": 2})
        assert (await host.wait_for(baker2)).runtime_status == "Completed"

        status, body = await get(host, url + "api/entities/Shelf/flour/operations")
    assert status == 200
    assert body["entityId"] == {"name": "shelf", "key": "flour"}
    operations = body["operations"]
    assert [(o["operation"], o["kind"], o["succeeded"], o["caller"]) for o in operations] == [
        ("count", "call", True, baker2),
        ("take", "call", True, baker2),
        ("take", "call", False, baker),
        ("stock", "signal", True, None),
    ]
    count, _, refused, stocked = operations
    assert count["result"] == 3 and count["error"] is None
    # the entity's str(exc), decoded from the JSON text the SDK reports
    assert refused["error"] == "only 5 left, 9 wanted" and refused["result"] is None
    assert stocked["at"] == "2026-01-05T09:00:00.000Z"
    assert refused["at"] == "2026-01-05T09:01:00.000Z"
    assert all(isinstance(o["durationMs"], int) and o["durationMs"] >= 0 for o in operations)


async def test_limit_caps_the_list_and_bad_limits_get_a_json_400() -> None:
    async with run_host(PANTRY_APP, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        for amount in ("1", "2", "3"):
            await signal(host, "Shelf/eggs?op=stock", f'"{amount}"')
        await host.idle()
        status, body = await get(host, url + "api/entities/shelf/eggs/operations?limit=2")
        assert status == 200 and len(body["operations"]) == 2
        for bad in ("0", "101", "many", "-1"):
            status, body = await get(host, url + f"api/entities/shelf/eggs/operations?limit={bad}")
            assert status == 400, bad
            assert body["error"] == "bad_request" and "limit must be" in body["message"], body


async def test_an_entity_without_operations_has_an_empty_list_and_dollar_is_the_empty_key() -> None:
    async with run_host(PANTRY_APP, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        status, body = await get(host, url + "api/entities/shelf/never/operations")
        assert (status, body) == (200, {"entityId": {"name": "shelf", "key": "never"}, "operations": []})
        await signal(host, "Label/$?op=write", '"\\"hello\\""')
        await host.idle()
        status, body = await get(host, url + "api/entities/label/$/operations")
    assert status == 200
    assert body["entityId"] == {"name": "label", "key": ""}
    assert [o["operation"] for o in body["operations"]] == ["write"]


async def test_operations_ask_for_the_management_key_when_keys_are_enforced() -> None:
    keys = {"durabletask_extension": "system-secret", "default": "function-secret"}
    async with run_host(PANTRY_APP, function_keys=keys) as host, serve_dashboard(host) as url:
        route = url + "api/entities/shelf/flour/operations"
        assert (await get(host, route))[0] == 401
        assert (await get(host, route, **{"x-functions-key": "function-secret"}))[0] == 401
        status, body = await get(host, route, **{"x-functions-key": "system-secret"})
        assert (status, body["operations"]) == (200, [])


async def test_info_lists_the_apps_entity_names_as_registered() -> None:
    async with run_host(PANTRY_APP, clock=ManualClock(START)) as host, serve_dashboard(host) as url:
        status, info = await get(host, url + "api/info")
    assert status == 200
    assert info["entities"] == ["label", "shelf"]
    assert info["orchestrators"] == ["bake", "restock"]
