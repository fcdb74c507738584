"""The queue listener (stc ``QueueListener`` + ``QueueProcessor``) on Azure Storage queues / Azurite.

Each poll receives up to ``batchSize`` messages (invisible for 10 minutes meanwhile) and runs
them concurrently; the next poll comes as soon as no more than ``newBatchThreshold`` messages are
still running (stc ``QueueListener.WaitForNewBatchThreshold``: ``while (_processing.Count >
_newBatchThreshold) await Task.WhenAny(_processing)``), so at most ``batchSize +
newBatchThreshold`` run at once. An empty poll, a missing queue (the trigger does not create it)
or unreachable storage backs off up to ``maxPollingInterval`` (:mod:`..polling`). Per message:

* ``messageEncoding`` ``base64`` (default) decodes the text; a message that is not valid Base64
  goes to the poison queue as is, with the extension's warning, without running the function
  (stq ``QueueServiceClientProvider``: "Message decoding has failed! Check MessageEncoding
  settings."). The Python ``azure-storage-queue`` client sends raw text by default: set
  ``messageEncoding: none`` in host.json, or send with ``TextBase64EncodePolicy``;
* a message already dequeued more than ``maxDequeueCount`` times goes to poison unrun;
* success deletes it; a failure makes it visible again after ``visibilityTimeout``, or moves
  it to ``<queue>-poison`` (created on demand, same body) once its dequeue count reached
  ``maxDequeueCount``: with the default 5 the function runs five times.

The function gets a ``func.QueueMessage`` built by the worker's ``QueueMessageInConverter``
from the body and the host's trigger metadata (``Id``, ``DequeueCount``, ``InsertionTime``,
``ExpirationTime``, ``NextVisibleTime``, ``PopReceipt``), or the body itself for a ``str`` /
``bytes`` annotation. ``{queueTrigger}`` and the body's top-level JSON properties are binding
data for other bindings' paths. Not reproduced: renewing a message's visibility while a long
function runs (every 5 minutes on Azure).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError, ServiceRequestError

from ...services.bindings.encoding import decode_message, encode_message
from ...services.invocation import Datum, decode_argument, json_properties
from ...services.loader import TriggeredFunction
from ..polling import RandomizedBackoff
from ..runner import TriggerRunner
from .options import QueueOptions, poison_queue_name

logger = logging.getLogger("durable_local")

#: stc ``QueueListener``: messages are received invisible for 10 minutes.
RECEIVE_VISIBILITY_S = 600


def _json_time(moment: datetime | None) -> Datum | None:
    return Datum(json.dumps(moment.isoformat()), "json") if moment is not None else None


class QueueListener:
    """One queue-triggered function. See the module docstring."""

    def __init__(
        self,
        function: TriggeredFunction,
        queue_name: str,
        connection_string: str,
        options: QueueOptions,
        runner: TriggerRunner,
        *,
        max_polling_s: float | None = None,
    ) -> None:
        self.function = function
        self.queue_name = queue_name
        self.connection_string = connection_string
        self.options = options
        self.runner = runner
        self.poison_name = poison_queue_name(queue_name)
        maximum = max_polling_s if max_polling_s is not None else options.max_polling_interval.total_seconds()
        self._backoff = RandomizedBackoff(maximum)
        self._wake = asyncio.Event()
        self._stopping = False
        #: messages being processed (their functions running)
        self._processing: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._unreachable_logged = False
        self._client: Any = None
        self._poison: Any = None

    # -- DueSource ---------------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        return None

    @property
    def busy(self) -> bool:
        return bool(self._processing)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        from azure.storage.queue import QueueClient

        def make(name: str) -> Any:
            return QueueClient.from_connection_string(
                self.connection_string, name, retry_total=1, connection_timeout=3, read_timeout=10
            )

        self._client = make(self.queue_name)
        self._poison = make(self.poison_name) if self.poison_name else None
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"queue {self.function.name}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._processing:  # messages received before the stop finish
            await asyncio.gather(*self._processing, return_exceptions=True)

    def notify(self) -> None:
        """A message was just written to this queue by the host: poll now."""
        self._wake.set()

    # -- polling -----------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            found = await self._poll()
            delay = self._backoff.next_delay(found)
            if found:
                await self._wait_for_new_batch_threshold()
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    def _receive(self) -> list[Any]:
        return list(
            self._client.receive_messages(
                max_messages=self.options.batch_size,
                messages_per_page=self.options.batch_size,
                visibility_timeout=RECEIVE_VISIBILITY_S,
            )
        )

    async def _poll(self) -> bool:
        try:
            messages = await asyncio.to_thread(self._receive)
        except ResourceNotFoundError:
            return False  # the trigger does not create its queue; it waits for it
        except ServiceRequestError as err:
            if not self._unreachable_logged:
                logger.warning(
                    "Queue trigger '%s': storage for queue '%s' is not reachable (%s); start Azurite (e.g. `npx azurite`). "
                    "Polling goes on.",
                    self.function.name,
                    self.queue_name,
                    str(err).splitlines()[0][:200],
                )
                self._unreachable_logged = True
            return False
        except AzureError:
            logger.exception("Queue trigger '%s': receiving from '%s' failed", self.function.name, self.queue_name)
            return False
        self._unreachable_logged = False
        if not messages:
            return False
        loop = asyncio.get_running_loop()
        for message in messages:
            task = loop.create_task(self._process(message), name=f"queue {self.function.name} {message.id}")
            self._processing.add(task)
            task.add_done_callback(self._processed)
        return True

    def _processed(self, task: asyncio.Task[None]) -> None:
        self._processing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "Queue trigger '%s': processing a message failed", self.function.name, exc_info=task.exception()
            )

    async def _wait_for_new_batch_threshold(self) -> None:
        """Until no more than ``newBatchThreshold`` messages are still being processed."""
        while len(self._processing) > self.options.new_batch_threshold:
            await asyncio.wait(set(self._processing), return_when=asyncio.FIRST_COMPLETED)

    # -- one message -------------------------------------------------------------------------
    def _decode(self, text: str) -> bytes | None:
        return decode_message(text, self.options.message_encoding)

    def _encode(self, body: bytes) -> str:
        return encode_message(body, self.options.message_encoding)

    async def _process(self, message: Any) -> None:
        body = self._decode(message.content or "")
        if body is None:
            logger.warning("Message decoding has failed! Check MessageEncoding settings. MessageId=%s.", message.id)
            await asyncio.to_thread(self._to_poison, message, message.content or "")
            return
        if message.dequeue_count > self.options.max_dequeue_count:
            await asyncio.to_thread(self._to_poison, message, self._encode(body))
            return
        try:
            text: str | None = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # the host leaves QueueTrigger out of the binding data then
        datum = Datum(body, "bytes") if text is None or self._binary else Datum(text, "string")
        metadata: dict[str, Datum | None] = {
            "Id": Datum(message.id, "string"),
            "PopReceipt": Datum(message.pop_receipt, "string"),
            "DequeueCount": Datum(str(message.dequeue_count), "json"),
            "InsertionTime": _json_time(message.inserted_on),
            "ExpirationTime": _json_time(message.expires_on),
            "NextVisibleTime": _json_time(message.next_visible_on),
        }
        if text is not None:
            metadata["QueueTrigger"] = Datum(text, "string")
        trigger_metadata = {k: v for k, v in metadata.items() if v is not None}
        binding_data: dict[str, Any] = {**json_properties(text), "QueueTrigger": text, "DequeueCount": message.dequeue_count, "Id": message.id}
        try:
            argument = decode_argument(
                "queueTrigger", datum, self.function.annotations.get(self.function.arg_name), trigger_metadata
            )
            await self.runner.run(self.function, argument, binding_data, f"New queue message detected on '{self.queue_name}'.")
        except Exception:
            await asyncio.to_thread(self._failed, message, self._encode(body))
            return
        await asyncio.to_thread(self._delete, message)

    @property
    def _binary(self) -> bool:
        return str(self.function.trigger.get("dataType") or "").lower() == "binary"

    def _delete(self, message: Any) -> None:
        try:
            self._client.delete_message(message.id, message.pop_receipt)
        except AzureError:
            logger.exception("Queue trigger '%s': deleting message %s failed", self.function.name, message.id)

    def _failed(self, message: Any, encoded: str) -> None:
        """``QueueProcessor.CompleteProcessingMessageAsync`` for a failed invocation."""
        if message.dequeue_count >= self.options.max_dequeue_count:
            self._to_poison(message, encoded)
            return
        try:
            self._client.update_message(
                message.id, message.pop_receipt, visibility_timeout=int(self.options.visibility_timeout.total_seconds())
            )
        except AzureError:
            logger.exception("Queue trigger '%s': releasing message %s failed", self.function.name, message.id)

    def _to_poison(self, message: Any, content: str) -> None:
        if self._poison is None:
            # No poison queue for a poison queue (or a too-long name): the message stays invisible,
            # "to prevent a fast infinite loop" (stc QueueProcessor).
            return
        logger.warning(
            "Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
            self.options.max_dequeue_count,
            self.poison_name,
        )
        try:
            try:
                self._poison.create_queue()
            except ResourceExistsError:
                pass
            self._poison.send_message(content)
            self._client.delete_message(message.id, message.pop_receipt)
        except AzureError:
            logger.exception("Queue trigger '%s': moving message %s to poison failed", self.function.name, message.id)
