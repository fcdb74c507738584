"""Queue and blob triggers on Azurite, and the blob and table bindings around them."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

from durable_local.testing import run_host
from durable_local.triggers import TriggerOptions
from tests.faults.conditions import wait_until
from tests.triggers.conftest import APPS, input_of, instances_of, wait_for_instances

APP = APPS / "storage"
#: short polling so tests wait on conditions, not on the production intervals
FAST = TriggerOptions(blob_poll_interval_s=0.1, queue_max_polling_s=0.1)


class Names:
    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.orders = f"orders-{suffix}"
        self.failing = f"failing-{suffix}"
        self.uploads = f"uploads-{suffix}"
        self.customers = f"customers{suffix}"


@pytest.fixture
def names(azurite: str, monkeypatch: pytest.MonkeyPatch) -> Names:
    """Fresh queue/container/table names, given to the app through its %SETTINGS%."""
    found = Names()
    monkeypatch.setenv("ORDERS_QUEUE", found.orders)
    monkeypatch.setenv("FAILING_QUEUE", found.failing)
    monkeypatch.setenv("UPLOADS", found.uploads)
    monkeypatch.setenv("CUSTOMERS_TABLE", found.customers)
    monkeypatch.setenv("STORAGE_HUB", "StorageHub")
    return found


def queue(azurite: str, name: str) -> QueueClient:
    client = QueueClient.from_connection_string(azurite, name)
    try:
        client.create_queue()
    except Exception:  # already there
        pass
    return client


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def count(client: QueueClient) -> int:
    try:
        return int(client.get_queue_properties().approximate_message_count)
    except Exception:  # the poison queue does not exist yet
        return 0


async def test_a_queue_message_starts_an_orchestration_and_is_deleted(azurite: str, names: Names) -> None:
    orders = queue(azurite, names.orders)
    async with run_host(APP, trigger_options=FAST) as host:
        orders.send_message(b64(json.dumps({"orderId": 42})))
        [started] = await wait_for_instances(host, "process_order", 1)
        await wait_until(lambda: count(orders) == 0, timeout=10, what="the message to be deleted")
        assert host.host.hub_name == "StorageHub"  # host.json hubName "%STORAGE_HUB%"
    request = input_of(started)
    assert request["order"] == {"orderId": 42}
    assert request["dequeueCount"] == 1 and request["id"]
    assert json.loads(started.output)["checked"] is True


async def test_a_failing_message_lands_in_the_poison_queue_after_five_dequeues(azurite: str, names: Names) -> None:
    failing = queue(azurite, names.failing)
    poison = QueueClient.from_connection_string(azurite, f"{names.failing}-poison")
    async with run_host(APP, trigger_options=FAST) as host:
        attempts = host.host.registry.module.FAILED_ATTEMPTS
        attempts.clear()
        failing.send_message(b64("order 7"))
        await wait_until(lambda: count(poison) == 1, timeout=20, what="the message in the poison queue")
        assert attempts == [1, 2, 3, 4, 5]
        # moved = sent to poison, then deleted from the queue
        await wait_until(lambda: count(failing) == 0, timeout=10, what="the original message to be deleted")
    [moved] = poison.receive_messages()
    assert base64.b64decode(moved.content) == b"order 7"  # same body, same encoding


async def test_a_message_that_is_not_base64_goes_to_poison_without_running(azurite: str, names: Names) -> None:
    orders = queue(azurite, names.orders)
    poison = QueueClient.from_connection_string(azurite, f"{names.orders}-poison")
    async with run_host(APP, trigger_options=FAST) as host:
        orders.send_message("plain text, not base64!")  # the Python client's default: no encoding
        await wait_until(lambda: count(poison) == 1, timeout=10, what="the undecodable message in poison")
        assert await instances_of(host, "process_order") == []
    [moved] = poison.receive_messages()
    assert moved.content == "plain text, not base64!"


def _blobs(azurite: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(azurite)


def _upload(azurite: str, container: str, name: str, text: str) -> None:
    client = _blobs(azurite).get_container_client(container)
    try:
        client.create_container()
    except Exception:  # already there
        pass
    client.upload_blob(name, text.encode(), overwrite=True)


async def test_a_blob_upload_starts_exactly_one_orchestration_even_after_a_restart(
    azurite: str, names: Names, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite"
    _upload(azurite, "templates", "header.txt", "HEADER:")
    _upload(azurite, names.uploads, "report.txt", "hello")
    async with run_host(APP, trigger_options=FAST, state=state) as host:
        [first] = await wait_for_instances(host, "process_order", 1)
        # A second upload is seen by a later scan, which lists report.txt again: no second start.
        _upload(azurite, names.uploads, "notes/second.txt", "two")
        started = await wait_for_instances(host, "process_order", 2)
        assert len(started) == 2
    async with run_host(APP, trigger_options=FAST, state=state) as host:
        _upload(azurite, names.uploads, "third.txt", "three")
        started = await wait_for_instances(host, "process_order", 3)
        # the receipts survived the restart: neither earlier blob started again
        assert sorted(input_of(i)["blob"] for i in started) == sorted(
            f"{names.uploads}/{n}" for n in ("report.txt", "notes/second.txt", "third.txt")
        )
        # a changed blob is a new version: it fires once more
        _upload(azurite, names.uploads, "report.txt", "hello again")
        started = await wait_for_instances(host, "process_order", 4)
    assert input_of(first) == {"blob": f"{names.uploads}/report.txt", "length": 5, "text": "hello"}
    # (the manual clock stands still, so creation times cannot order the instances)
    assert sorted(input_of(i)["text"] for i in started) == ["hello", "hello again", "three", "two"]


async def test_blob_input_and_output_bindings_read_and_write_blobs(azurite: str, names: Names) -> None:
    _upload(azurite, "templates", "header.txt", "HEADER:")
    _upload(azurite, names.uploads, "letter.txt", "dear ana")
    async with run_host(APP, trigger_options=FAST) as host:
        await wait_for_instances(host, "process_order", 1)
        # on_upload's blob output is written after the function returns (header from its blob input)
        written = _blobs(azurite).get_blob_client("processed", "letter.txt")
        await wait_until(written.exists, timeout=10, what="processed/letter.txt")
        assert written.download_blob().readall() == b"HEADER:DEAR ANA"
        # an HTTP function reads it back through a blob input whose path takes {name} from the route
        response = await host.http.get(host.url("/api/processed/letter.txt"))
        assert (response.status, await response.text()) == (200, "HEADER:DEAR ANA")
        missing = await host.http.get(host.url("/api/processed/nothing-here.txt"))
        assert (missing.status, await missing.text()) == (404, "no such document")  # a missing blob is None


async def test_table_input_reads_one_entity_by_keys_from_the_route(azurite: str, names: Names) -> None:
    from azure.data.tables import TableClient

    table = TableClient.from_connection_string(azurite, table_name=names.customers)
    table.create_table()
    table.upsert_entity({"PartitionKey": "customers", "RowKey": "c1", "Name": "Ana"})
    async with run_host(APP, trigger_options=FAST) as host:
        response = await host.http.get(host.url("/api/customers/c1"))
        assert (response.status, await response.json()) == (200, {"name": "Ana", "key": "c1"})
        # the Tables extension throws for a missing entity: the invocation fails before user code
        missing = await host.http.get(host.url("/api/customers/nobody"))
        assert missing.status == 500
        assert "Input binding 'row'" in (await missing.json())["error"]
