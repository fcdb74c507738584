"""Output bindings the local host writes itself: Azure Storage queues, tables and blobs.

A function declares ``@app.queue_output(arg_name="msg", queue_name="q", connection="...")`` or
``@app.table_output(...)``; the worker passes it a ``func.Out`` and the Functions host writes
whatever was ``set`` after the function returns. :class:`OutputBindings` plays the host's part:
:meth:`~OutputBindings.flush` writes the values with the official SDKs (``azure-storage-queue``,
``azure-data-tables``).

Behaviour mirrored from the Functions storage extensions:

* the connection setting is resolved by :mod:`.connections`;
* the queue or table is created when missing;
* queue messages are encoded as host.json ``extensions.queues.messageEncoding`` says (Base64 by
  default; the text as is with ``none``), the same encoding as the app's queue triggers use
  (:mod:`.encoding`); one message per ``str``/``bytes`` value and one per item of a list;
* table values are JSON (``str``) or dicts, one entity or a list of them; ``PartitionKey`` and
  ``RowKey`` come from the entity or from the binding's ``partitionKey``/``rowKey``; entities are
  upserted (replace), as the Azure.Data.Tables-based extension does;
* blob values are what the worker's ``BlobConverter.encode`` accepts (``str`` as UTF-8, bytes,
  a file-like object); ``path`` may hold binding expressions (``{name}``, ``{rand-guid}``),
  resolved from the invocation's binding data; the container is created when missing.

Any failure (no setting, malformed value, storage unreachable, SDK error) raises
:class:`~durable_local.errors.BindingError` naming the binding, the queue/table and the setting —
never the connection string — so the invocation fails (an activity's failure reaches the
orchestrator as TaskFailed). Clients use short timeouts and one retry: an unreachable Azurite
fails in seconds. Clients are cached per (connection string, queue/table).

Storage that cannot be reached at all (connection refused: Azurite still starting) is retried
with back-off for ``retry_for_s`` seconds before the invocation fails, instead of failing the
first call of a host started before Azurite — but only until that storage has answered once:
an outage after that fails the invocation in seconds, leaving retries to the app (a Durable
retry policy), as a storage client's own short retries do on Azure. :meth:`OutputBindings.stop_retrying`
(called when the host stops) ends every such wait at once with a :class:`BindingError`, so Ctrl+C
does not wait out the retry window. Every successful write is reported to the
``on_write`` callbacks, so the host's own queue and blob listeners look at once (the storage
extensions' ``SharedQueueWatcher`` / ``IBlobWrittenWatcher`` fast path).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from azure.core.exceptions import AzureError, ResourceExistsError, ServiceRequestError

from ...errors import BindingError
from ..invocation.expressions import resolve_expressions
from ..loader import OutputBinding
from . import storage
from .connections import DEFAULT_CONNECTION_SETTING, resolve_connection_string
from .encoding import MessageEncoding, encode_message

logger = logging.getLogger(__name__)

#: Seconds to wait for a TCP connection / a response; storage errors are retried once.
CONNECTION_TIMEOUT = 3
READ_TIMEOUT = 10


def _endpoint(url: str) -> str:
    """A client URL without its query string (a SAS token must never reach a message)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:300]


def queue_messages(value: Any, encoding: MessageEncoding = MessageEncoding.BASE64) -> list[str]:
    """The message texts for an ``Out`` value, as the Functions queue binding writes them."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    messages = []
    for item in items:
        if isinstance(item, func.QueueMessage):
            item = item.get_body()
        if isinstance(item, str):
            item = item.encode("utf-8")
        if not isinstance(item, (bytes, bytearray)):
            raise TypeError(
                f"a queue message must be str, bytes or func.QueueMessage (or a list of them), "
                f"not {type(item).__name__}; serialize it first, e.g. json.dumps(value)"
            )
        messages.append(encode_message(bytes(item), encoding))
    return messages


def table_entities(value: Any, binding: OutputBinding) -> list[dict[str, Any]]:
    """The entities for an ``Out`` value: JSON text or dicts, one or a list."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as err:
            raise TypeError(f"table output must be JSON: {err}") from err
    rows = value if isinstance(value, list) else [value]
    entities = []
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError(f"a table entity must be a JSON object, not {type(row).__name__}")
        entity = dict(row)
        for key, setting in (("PartitionKey", "partitionKey"), ("RowKey", "rowKey")):
            if entity.get(key) is None and binding.settings.get(setting) is not None:
                entity[key] = binding.settings[setting]
            if entity.get(key) is None:
                raise TypeError(f"the entity has no {key} and the binding sets no '{setting}'")
            entity[key] = str(entity[key])
        entities.append(entity)
    return entities


def blob_bytes(value: Any) -> bytes:
    """The bytes a blob output writes for ``value`` (worker ``BlobConverter.encode``)."""
    if callable(getattr(value, "read", None)):
        value = value.read()
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(
        f'unable to encode outgoing TypedData: unsupported type "blob" for Python type "{type(value).__name__}"'
    )


class StorageUnreachable(BindingError):
    """The storage endpoint refused or dropped the connection (retried while storage comes up)."""

    def __init__(self, message: str, connection_string: str) -> None:
        super().__init__(message)
        self.connection_string = connection_string


#: ``on_write`` callback: (binding type, connection string, queue name or blob path) of a write.
WriteListener = Callable[[str, str, str], None]


class OutputBindings:
    """Prepares ``func.Out`` objects and writes their values after an invocation."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        retry_for_s: float = 30.0,
        retry_max_delay_s: float = 5.0,
        message_encoding: MessageEncoding = MessageEncoding.BASE64,
    ) -> None:
        self._environ = environ if environ is not None else os.environ
        #: host.json ``extensions.queues.messageEncoding`` of the app (``TriggerListeners`` sets it
        #: from the app's host.json, as the extension's one ``QueuesOptions`` serves both sides)
        self.message_encoding = message_encoding
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        #: how long to keep retrying storage that cannot be reached (0: fail at once)
        self.retry_for_s = retry_for_s
        self.retry_max_delay_s = retry_max_delay_s
        #: connection strings a write has succeeded on: they are up, not coming up
        self._reached: set[str] = set()
        #: called on the event loop after each successful write
        self.on_write: list[WriteListener] = []
        #: set by stop_retrying (host shutdown); waits in the retry loop end at once
        self._stopping = False
        self._waiters: set[asyncio.Future[bool]] = set()

    def stop_retrying(self) -> None:
        """The host is stopping: end every storage retry wait now (the write fails), retry no more."""
        self._stopping = True
        for waiter in list(self._waiters):
            _resolve(waiter, False)

    def allow_retrying(self) -> None:
        """A host (re)starts with these bindings: retry storage that comes up again."""
        self._stopping = False

    async def _pause(self, delay: float) -> bool:
        """Sleep ``delay`` seconds; False (at once) when :meth:`stop_retrying` is or was called."""
        if self._stopping:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.add(waiter)
        timer = loop.call_later(delay, _resolve, waiter, True)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiters.discard(waiter)

    async def flush(
        self,
        outputs: tuple[OutputBinding, ...],
        values: Mapping[str, Any],
        binding_data: Mapping[str, Any] | None = None,
    ) -> None:
        """Write the value set on each output (by parameter name); raise :class:`BindingError` on the first failure.

        Storage calls are blocking SDK calls and run in a worker thread. ``binding_data`` fills
        binding expressions in blob paths.
        """
        for binding in outputs:
            value = values.get(binding.name)
            if value is None:
                continue
            deadline = time.monotonic() + self.retry_for_s
            attempt = 0
            while True:
                try:
                    written = await asyncio.to_thread(self._write, binding, value, binding_data or {})
                    self._reached.add(written[0])
                    break
                except StorageUnreachable as err:
                    if err.connection_string in self._reached or time.monotonic() >= deadline:
                        raise BindingError(str(err)) from err
                    delay = min(self.retry_max_delay_s, 0.25 * 2**attempt, max(0.0, deadline - time.monotonic()))
                    attempt += 1
                    if self._stopping:
                        raise BindingError(f"{err} (not retried: the host is stopping)") from err
                    logger.warning("%s; retrying in %.1fs (is the storage emulator running? start Azurite, e.g. `npx azurite`)", err, delay)
                    if not await self._pause(delay):
                        raise BindingError(f"{err} (not retried: the host is stopping)") from err
            for listener in list(self.on_write):
                listener(binding.type, *written)

    def _write(self, binding: OutputBinding, value: Any, binding_data: Mapping[str, Any]) -> tuple[str, str]:
        """Write one value; returns (connection string, queue name or ``container/blob``)."""
        setting = binding.settings.get("connection") or DEFAULT_CONNECTION_SETTING
        kind = binding.type
        key = {"queue": "queueName", "table": "tableName", "blob": "path"}.get(kind, "")
        target = str(binding.settings.get(key) or "")
        context = f"Output binding '{binding.name}' ({kind} '{target}', connection setting '{setting}')"
        client = None
        connection_string = ""
        try:
            if kind not in ("queue", "table", "blob"):
                raise TypeError(f"binding type '{kind}' is not supported by the local host")
            connection_string = resolve_connection_string(setting, self._environ)
            if kind == "blob":
                path = resolve_expressions(target, binding_data)
                container, name = storage.split_blob_path(path)
                data = blob_bytes(value)
                storage.write_blob(connection_string, container, name, data)
                logger.info("%s: wrote %d byte(s) to %s", context, len(data), path)
                return connection_string, path
            if kind == "queue":
                messages = queue_messages(value, self.message_encoding)
                client = self._client(kind, connection_string, target)
                self._ready(kind, connection_string, target, client)
                for message in messages:
                    client.send_message(message)
                logger.info("%s: wrote %d message(s)", context, len(messages))
            else:
                entities = table_entities(value, binding)
                client = self._client(kind, connection_string, target)
                self._ready(kind, connection_string, target, client)
                for entity in entities:
                    client.upsert_entity(entity)
                logger.info("%s: wrote %d entity(ies)", context, len(entities))
            return connection_string, target
        except (BindingError, TypeError) as err:
            raise BindingError(f"{context} failed: {err}") from err
        except ValueError as err:  # malformed connection string, invalid queue or table name, blob path
            raise BindingError(f"{context} failed: {_short(err)}") from err
        except AzureError as err:
            self._forget(kind, target)
            where = _endpoint(client.url) if client is not None else "the storage service"
            message = f"{context} failed: could not write to {where}: {_short(err)}"
            if isinstance(err, ServiceRequestError):
                raise StorageUnreachable(message, connection_string) from err
            raise BindingError(message) from err

    def _forget(self, kind: str, target: str) -> None:
        """Drop cached clients of a failing target, so the next call re-creates the queue/table."""
        with self._lock:
            for key in [k for k in self._clients if k[0] == kind and k[2] == target]:
                del self._clients[key]

    def _client(self, kind: str, connection_string: str, name: str) -> Any:
        """A cached client, or a new one (no I/O yet: :meth:`_ready` creates the queue/table)."""
        with self._lock:
            client = self._clients.get((kind, connection_string, name))
        if client is None:
            make = _make_queue_client if kind == "queue" else _make_table_client
            client = make(connection_string, name)
        return client

    def _ready(self, kind: str, connection_string: str, name: str, client: Any) -> None:
        """Create the queue/table of a client not used yet (the bindings do too), then cache it."""
        key = (kind, connection_string, name)
        with self._lock:
            if self._clients.get(key) is client:
                return
        try:
            client.create_queue() if kind == "queue" else client.create_table()
        except ResourceExistsError:
            pass
        with self._lock:
            self._clients[key] = client


def _resolve(waiter: asyncio.Future[bool], value: bool) -> None:
    if not waiter.done():
        waiter.set_result(value)


def _make_queue_client(connection_string: str, queue: str) -> Any:
    from azure.storage.queue import LinearRetry, QueueClient

    return QueueClient.from_connection_string(
        connection_string,
        queue,
        # backoff is seconds passed to time.sleep; the SDK annotates it int but takes a float
        retry_policy=LinearRetry(backoff=0.5, random_jitter_range=0, retry_total=1),  # type: ignore[arg-type]
        connection_timeout=CONNECTION_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


def _make_table_client(connection_string: str, table: str) -> Any:
    from azure.data.tables import TableClient

    return TableClient.from_connection_string(
        connection_string,
        table_name=table,
        retry_total=1,
        retry_backoff_factor=0.5,
        connection_timeout=CONNECTION_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )
