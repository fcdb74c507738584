"""Management API handlers for Durable entities (``entities/{name?}/{key?}``).

Behaviour of ``ext: HttpApiHandler`` (``HandleGetEntityRequestAsync``,
``HandlePostEntityOperationRequestAsync``, ``HandleListEntitiesRequestAsync``):

=====================================  =========================================================
``GET entities/{name}/{key}``          200 + the state as JSON; 404 with an empty body otherwise
``POST entities/{name}/{key}?op=X``    202; 400 for unknown entity names, bad keys or bad JSON
``DELETE entities/{name}/{key}``       the same as POST with operation ``delete``
``GET entities[/{name}]``              200 + list; ``x-ms-continuation-token`` always present
=====================================  =========================================================

A key of ``$`` means the empty key. A JSON body (``application/json``) becomes the operation's
input after a parse and a compact re-serialization (``ConvertToJToken``); any other body is
taken as text (the docs say 400; the code accepts it); no body means no input. Unparsable list
filters are ignored, as ``DateTime.TryParse``/``int.TryParse`` do there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web

from ...engine.entities import EntityId, newtonsoft_time
from ...records import EntityQuery, EntityRecord
from .api_support import CONTINUATION_HEADER, HandlerBase, compact_json
from .responses import error_response, json_response

#: ext ``HttpApiHandler.EmptyEntityKeySymbol``
EMPTY_KEY = "$"
#: default page size of ``GET entities`` (``int.TryParse`` fallback in the extension)
DEFAULT_TOP = 100


class EntityHandlers(HandlerBase):
    """``entities/...`` routes; see the module docstring."""

    async def route(self, request: web.Request, segments: list[str]) -> web.StreamResponse | None:
        """Answer ``entities/...`` (``segments`` without the ``entities`` head); None: no such route."""
        method = request.method
        if len(segments) > 2:
            return None
        if method == "GET" and len(segments) < 2:
            return await self.list_entities(request, segments[0] if segments else None)
        if not segments:
            return None
        entity = _entity_id(segments[0], segments[1] if len(segments) == 2 else "")
        if method == "GET":
            return await self.get_entity(entity)
        if method == "POST":
            return await self.signal(request, entity, request.query.get("op") or "")
        if method == "DELETE":
            return await self.signal(request, entity, "delete")
        return None

    async def get_entity(self, entity: EntityId) -> web.StreamResponse:
        record = await self.host.read_entity(entity)
        if record is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            status=HTTPStatus.OK, body=_state_json(record).encode("utf-8"), content_type="application/json", charset="utf-8"
        )

    async def signal(self, request: web.Request, entity: EntityId, operation: str) -> web.StreamResponse:
        body = await request.read()
        input_text: str | None = None
        if body:
            text = body.decode("utf-8", errors="replace")
            if request.content_type.lower() == "application/json":
                try:
                    input_text = compact_json(json.loads(text))
                except (ValueError, RecursionError) as err:
                    return error_response(HTTPStatus.BAD_REQUEST, f"Could not parse JSON content: {err}")
            else:
                # RequestMessage.SetInput of a plain string: JSON-serialized once.
                input_text = json.dumps(text, ensure_ascii=False)
        await self.host.signal_entity(entity, operation, input_text)
        return web.Response(status=HTTPStatus.ACCEPTED)

    async def list_entities(self, request: web.Request, name: str | None) -> web.StreamResponse:
        query = request.query
        fetch_state = _try_bool(query.get("fetchState"), False)
        condition = EntityQuery(
            instance_id_prefix=f"@{name.lower()}@" if name else None,
            last_operation_from=_try_datetime(query.get("lastOperationTimeFrom")),
            # ext: the upper bound defaults to now (the host clock's "now": times are stamped by it)
            last_operation_to=_try_datetime(query.get("lastOperationTimeTo")) or self.host.clock.now(),
            # ext over DTFx native entity queries: without state, entities reported existing;
            # with state, every entity that has a stored state (deleted ones keep "null").
            require_exists=not fetch_state,
            require_state=fetch_state,
            top=_try_int(query.get("top")) or DEFAULT_TOP,
            continuation_token=request.headers.get(CONTINUATION_HEADER) or None,
        )
        records, token = await self.host.list_entities(condition)
        payload = [_list_item(record, fetch_state) for record in records]
        return json_response(payload, headers={CONTINUATION_HEADER: token or ""})


def _entity_id(name: str, key: str) -> EntityId:
    return EntityId.of(name, "" if key == EMPTY_KEY else key)


def _state_json(record: EntityRecord) -> str:
    """The stored state as the response body (``JToken.Parse`` then serialized compactly)."""
    if record.state is None:
        return "null"
    try:
        return compact_json(json.loads(record.state))
    except ValueError:
        return json.dumps(record.state)


def _list_item(record: EntityRecord, fetch_state: bool) -> dict[str, Any]:
    """ext ``DurableEntityStatus``: ``state`` is null unless ``fetchState=true``."""
    return {
        "entityId": {"name": record.name, "key": record.key},
        "lastOperationTime": newtonsoft_time(record.last_operation_at),
        "state": json.loads(_state_json(record)) if fetch_state else None,
    }


def _try_bool(text: str | None, default: bool) -> bool:
    lowered = (text or "").strip().lower()
    return {"true": True, "false": False}.get(lowered, default)


def _try_int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _try_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
