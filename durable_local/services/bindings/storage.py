"""Blob and table access for bindings: clients with short timeouts, blob reads and writes, table reads.

Blocking SDK calls (``azure-storage-blob``, ``azure-data-tables``); callers run them in a thread.
Clients use short timeouts and one retry so an unreachable Azurite is reported in seconds; the
output bindings retry around them while storage comes up (:mod:`.outputs`).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

CONNECTION_TIMEOUT = 3
READ_TIMEOUT = 10

_lock = threading.Lock()
_blob_services: dict[str, Any] = {}


def blob_service(connection_string: str) -> Any:
    """A cached ``BlobServiceClient`` for a connection string."""
    from azure.storage.blob import BlobServiceClient

    with _lock:
        client = _blob_services.get(connection_string)
        if client is None:
            client = BlobServiceClient.from_connection_string(
                connection_string,
                retry_total=1,
                retry_backoff_factor=0.5,
                connection_timeout=CONNECTION_TIMEOUT,
                read_timeout=READ_TIMEOUT,
            )
            _blob_services[connection_string] = client
        return client


def split_blob_path(path: str) -> tuple[str, str]:
    """``container/blob/name`` -> (container, blob name); ValueError with the extension's wording."""
    container, slash, name = path.partition("/")
    if not slash or not container or not name or "\\" in container:
        raise ValueError(f"Invalid blob path specified : '{path}'. Blob identifiers must be in the format 'container/blob'.")
    return container, name


def read_blob(connection_string: str, container: str, name: str) -> bytes | None:
    """The blob's content, or None when the container or blob does not exist (the binding gives None)."""
    client = blob_service(connection_string).get_blob_client(container, name)
    try:
        return bytes(client.download_blob().readall())
    except ResourceNotFoundError:
        return None


def write_blob(connection_string: str, container: str, name: str, data: bytes) -> None:
    """Create the container if missing (stb ``GetBlobAsync`` for write access), then overwrite the blob."""
    service = blob_service(connection_string)
    try:
        service.create_container(container)
    except ResourceExistsError:
        pass
    service.get_blob_client(container, name).upload_blob(data, overwrite=True)


def _entity_json(entity: Any) -> dict[str, Any]:
    """An entity as the Tables extension serializes it: properties plus PartitionKey, RowKey, Timestamp."""
    row: dict[str, Any] = {}
    metadata = getattr(entity, "metadata", {}) or {}
    for key, value in dict(entity).items():
        row[key] = value.isoformat() if isinstance(value, datetime) else value
    stamp = metadata.get("timestamp")
    if stamp is not None:
        row["Timestamp"] = stamp.isoformat() if isinstance(stamp, datetime) else str(stamp)
    return row


def read_table(
    connection_string: str, table: str, *, partition_key: str | None, row_key: str | None, filter: str | None, take: int | None
) -> str:
    """The table input's JSON: one entity for ``partitionKey`` + ``rowKey``, else an array (tbl ``TablesExtensionConfigProvider``).

    A missing single entity raises ``ResourceNotFoundError``: the extension's ``GetEntityAsync``
    throws too, so the invocation fails before user code (MicrosoftDocs/azure-docs#84258).
    """
    from azure.data.tables import TableClient

    client = TableClient.from_connection_string(
        connection_string, table_name=table, retry_total=1, connection_timeout=CONNECTION_TIMEOUT, read_timeout=READ_TIMEOUT
    )
    with client:
        if partition_key is not None and row_key is not None:
            return json.dumps(_entity_json(client.get_entity(partition_key, row_key)))
        clauses = []
        if partition_key is not None:
            clauses.append("PartitionKey eq '" + partition_key.replace("'", "''") + "'")
        if filter:
            clauses.append(filter)
        query = " and ".join(f"({c})" if len(clauses) > 1 else c for c in clauses)
        entities = client.query_entities(query) if query else client.list_entities()
        rows = []
        for entity in entities:
            rows.append(_entity_json(entity))
            if take and len(rows) >= take:
                break
        return json.dumps(rows)
