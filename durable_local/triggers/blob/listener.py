"""The blob trigger: each new or changed blob fires once per function (stb ``BlobTriggerExecutor``).

Detection: the container is listed every ``poll_interval_s`` (the extension's container scan
runs every 10 s; its storage-analytics log polling does not exist on Azurite), and at once after
the host's own blob output binding wrote into it. A listed blob matching the path pattern is
identified by its ETag: the first time a function sees a version it records a receipt in the
host's state file (instead of ``azure-webjobs-hosts/blobreceipts/...``), so a version fires once,
also across restarts on the same state file, and a new upload (new ETag) fires again.

Running: the blob's content is passed as the worker's ``BlobConverter`` builds it from the host's
data (a string by default, bytes with ``data_type=BINARY``) and trigger metadata (``BlobTrigger``
= ``container/name``, ``Uri``, ``Properties``, ``Metadata``). A failure is retried at once until
``extensions.blobs.poisonBlobThreshold`` (default 5) attempts; then the receipt is marked
poisoned and the extension's ``BlobTriggerMessage`` JSON goes to ``webjobs-blobtrigger-poison``.
Attempts are counted in the receipt, so a crash mid-run runs the blob again after a restart.

Not reproduced: the host queue ``azure-webjobs-blobtrigger-<hostId>`` between detection and
execution, the 10,000-blob budget per scan and the scan cursor (every poll lists the whole
container), page blobs and append blobs' distinctions (blobs are downloaded whole).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError, ServiceRequestError

from ...services.bindings.storage import blob_service
from ...services.invocation import Datum, blob_datum, decode_argument, is_binary
from ...services.loader import TriggeredFunction
from ...services.store import BlobReceipt, ReceiptState, TriggerStateStore
from ..runner import TriggerRunner
from .paths import BlobPattern

logger = logging.getLogger("durable_local")

#: stc ``HostQueueNames.BlobTriggerPoisonQueue``
POISON_QUEUE = "webjobs-blobtrigger-poison"


def _json(value: Any) -> Datum:
    return Datum(json.dumps(value, default=str), "json")


class FunctionFailed(Exception):
    """The function (or one of its bindings) failed; the runner has logged why."""


class BlobListener:
    """One blob-triggered function. See the module docstring."""

    def __init__(
        self,
        function: TriggeredFunction,
        pattern: BlobPattern,
        connection_string: str,
        store: TriggerStateStore,
        runner: TriggerRunner,
        *,
        poison_threshold: int,
        poll_interval_s: float,
    ) -> None:
        self.function = function
        self.pattern = pattern
        self.connection_string = connection_string
        self.store = store
        self.runner = runner
        self.poison_threshold = poison_threshold
        self.poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._busy = False
        self._task: asyncio.Task[None] | None = None
        self._unreachable_logged = False

    # -- DueSource ---------------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        return None

    @property
    def busy(self) -> bool:
        return self._busy

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"blob {self.function.name}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    def notify(self) -> None:
        """The host just wrote a blob into the container: scan now."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self.scan()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval_s)
            except TimeoutError:
                pass

    # -- scanning ----------------------------------------------------------------------------
    def _list(self) -> list[Any]:
        container = blob_service(self.connection_string).get_container_client(self.pattern.container)
        return list(container.list_blobs(include=["metadata"]))

    async def scan(self) -> int:
        """List the container once and run every blob version not seen yet; returns how many ran."""
        try:
            blobs = await asyncio.to_thread(self._list)
        except ResourceNotFoundError:
            return 0  # a missing container: nothing to find yet (debug log in the extension)
        except ServiceRequestError as err:
            if not self._unreachable_logged:
                logger.warning(
                    "Blob trigger '%s': storage for container '%s' is not reachable (%s); start Azurite (e.g. `npx azurite`).",
                    self.function.name,
                    self.pattern.container,
                    str(err).splitlines()[0][:200],
                )
                self._unreachable_logged = True
            return 0
        except AzureError:
            logger.exception("Blob trigger '%s': listing '%s' failed", self.function.name, self.pattern.container)
            return 0
        self._unreachable_logged = False
        ran = 0
        for blob in blobs:
            if self._stopping:
                break
            parameters = self.pattern.match(self.pattern.container, blob.name)
            if parameters is None:
                continue
            receipt = BlobReceipt(self.function.name, self.pattern.container, blob.name, str(blob.etag))
            self.store.add_blob_receipt(receipt)
            saved = self.store.get_blob_receipt(receipt.function_name, receipt.container, receipt.blob_name, receipt.etag)
            if saved is None or saved.state is not ReceiptState.PENDING:
                continue
            ran += 1
            self._busy = True
            try:
                await self._run_blob(saved, blob, parameters)
            finally:
                self._busy = False
        return ran

    async def _run_blob(self, receipt: BlobReceipt, blob: Any, parameters: dict[str, str]) -> None:
        while receipt.attempts < self.poison_threshold and not self._stopping:
            try:
                content = await asyncio.to_thread(self._download, blob.name, str(blob.etag))
                if content is None:  # deleted or replaced meanwhile: the new version has its own receipt
                    self.store.update_blob_receipt(replace(receipt, state=ReceiptState.DONE))
                    return
                await self._invoke(blob, content, parameters)
            except Exception as err:
                if not isinstance(err, FunctionFailed):
                    logger.exception("Blob trigger '%s': running %s failed", self.function.name, blob.name)
                receipt = replace(receipt, attempts=receipt.attempts + 1)
                self.store.update_blob_receipt(receipt)
                continue
            self.store.update_blob_receipt(replace(receipt, state=ReceiptState.DONE))
            return
        if receipt.attempts >= self.poison_threshold:
            self.store.update_blob_receipt(replace(receipt, state=ReceiptState.POISONED))
            await asyncio.to_thread(self._to_poison, blob)

    def _download(self, name: str, etag: str) -> bytes | None:
        client = blob_service(self.connection_string).get_blob_client(self.pattern.container, name)
        try:
            properties = client.get_blob_properties()
            # Listings and properties quote ETags differently ("0x.." vs 0x..).
            if str(properties.etag).strip('"') != etag.strip('"'):
                return None
            return bytes(client.download_blob().readall())
        except ResourceNotFoundError:
            return None

    async def _invoke(self, blob: Any, content: bytes, parameters: dict[str, str]) -> None:
        path = f"{self.pattern.container}/{blob.name}"
        client = blob_service(self.connection_string).get_blob_client(self.pattern.container, blob.name)
        settings = blob.content_settings
        properties = {
            "ContentLength": blob.size,
            "ContentType": getattr(settings, "content_type", None),
            "ETag": str(blob.etag),
            "LastModified": blob.last_modified.isoformat() if blob.last_modified else None,
            "CreatedOn": blob.creation_time.isoformat() if getattr(blob, "creation_time", None) else None,
            "BlobType": "BlockBlob",
        }
        metadata = {
            "BlobTrigger": Datum(path, "string"),
            "Uri": Datum(client.url, "string"),
            "Properties": _json(properties),
            "Metadata": _json(dict(blob.metadata or {})),
        }
        argument = decode_argument(
            "blobTrigger",
            blob_datum(content, is_binary(self.function.trigger)),
            self.function.annotations.get(self.function.arg_name),
            metadata,
        )
        binding_data = {**parameters, "BlobTrigger": path, "Uri": client.url}
        try:
            await self.runner.run(self.function, argument, binding_data, f"New blob detected(BlockBlob): {path}")
        except Exception as err:  # already logged by the runner
            raise FunctionFailed from err

    def _to_poison(self, blob: Any) -> None:
        """stb ``BlobTriggerMessage`` to ``webjobs-blobtrigger-poison`` (Base64, as the host's queues)."""
        from azure.storage.queue import QueueClient

        message = {
            "Type": "BlobTrigger",
            "FunctionId": f"Host.Functions.{self.function.name}",
            "BlobType": "BlockBlob",
            "ContainerName": self.pattern.container,
            "BlobName": blob.name,
            "ETag": str(blob.etag),
        }
        logger.warning(
            "Blob '%s/%s' failed %d time(s) in '%s'; moving it to queue '%s'.",
            self.pattern.container,
            blob.name,
            self.poison_threshold,
            self.function.name,
            POISON_QUEUE,
        )
        try:
            queue = QueueClient.from_connection_string(self.connection_string, POISON_QUEUE, retry_total=1)
            try:
                queue.create_queue()
            except ResourceExistsError:
                pass
            queue.send_message(base64.b64encode(json.dumps(message).encode()).decode("ascii"))
        except AzureError:
            logger.exception("Blob trigger '%s': writing the poison message failed", self.function.name)

