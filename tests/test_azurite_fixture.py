"""The `azurite` fixture gives a working, private storage emulator, and cleans up after itself."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueClient

from tests.azurite import AzuriteNotInstalled, running_azurite


def test_queue_round_trips_a_message(azurite: str) -> None:
    queue = QueueClient.from_connection_string(azurite, f"fixture-{uuid.uuid4().hex[:12]}")
    queue.create_queue()

    queue.send_message("hello from the fixture")
    received = list(queue.receive_messages(max_messages=5))

    assert [message.content for message in received] == ["hello from the fixture"]


def test_table_endpoint_stores_and_reads_an_entity(azurite: str) -> None:
    service = TableServiceClient.from_connection_string(azurite)
    table = service.create_table(f"fixture{uuid.uuid4().hex[:12]}")

    table.upsert_entity({"PartitionKey": "p", "RowKey": "r", "value": 42})

    assert table.get_entity("p", "r")["value"] == 42


def test_connection_string_is_exported_as_azure_web_jobs_storage(azurite: str) -> None:
    assert os.environ["AzureWebJobsStorage"] == azurite
    assert "QueueEndpoint=http://127.0.0.1:" in azurite


def test_stops_azurite_when_the_block_exits(tmp_path: Path) -> None:
    with running_azurite(tmp_path) as endpoints:
        socket.create_connection((endpoints.host, endpoints.queue_port), timeout=5).close()

    # Azurite has been waited for, so its listening socket is closed by now.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((endpoints.host, endpoints.queue_port), timeout=5)


def test_missing_azurite_is_an_error_not_a_skip(tmp_path: Path) -> None:
    with pytest.raises(AzuriteNotInstalled, match="make test"):
        with running_azurite(tmp_path, binary=tmp_path / "no-such-azurite"):
            pass
