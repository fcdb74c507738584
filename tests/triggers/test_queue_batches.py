"""newBatchThreshold: the queue listener fetches the next batch while the last one is still running."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from durable_local.services.loader import TriggeredFunction, TriggerKind
from durable_local.triggers.queue.listener import QueueListener
from durable_local.triggers.queue.options import queue_options
from tests.faults.conditions import wait_until


@dataclass
class Message:
    id: str
    content: str
    pop_receipt: str = "receipt"
    dequeue_count: int = 1
    inserted_on: datetime = datetime(2026, 3, 1, tzinfo=UTC)
    expires_on: datetime = datetime(2026, 3, 8, tzinfo=UTC)
    next_visible_on: datetime = datetime(2026, 3, 1, 0, 10, tzinfo=UTC)


@dataclass
class Queue:
    """A queue client double: hands out messages in order, records deletes."""

    waiting: list[Message]
    deleted: list[str] = field(default_factory=list)

    def receive_messages(self, *, max_messages: int, messages_per_page: int, visibility_timeout: int) -> list[Message]:
        batch, self.waiting = self.waiting[:max_messages], self.waiting[max_messages:]
        return batch

    def delete_message(self, message_id: str, pop_receipt: str) -> None:
        self.deleted.append(message_id)


class Runner:
    """Runs each message's function until the test releases it; records what ran at each receive."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}
        self.running = 0
        self.most_running = 0

    async def run(self, function: Any, argument: Any, binding_data: Any, reason: str) -> None:
        body = argument.get_body().decode()
        self.started.append(body)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.release.setdefault(body, asyncio.Event()).wait()
        finally:
            self.running -= 1

    def finish(self, *bodies: str) -> None:
        for body in bodies:
            self.release.setdefault(body, asyncio.Event()).set()


async def test_the_next_batch_is_fetched_once_no_more_than_new_batch_threshold_messages_run() -> None:
    import azure.functions as func

    function = TriggeredFunction(
        name="work", kind=TriggerKind.QUEUE, fn=lambda msg: None, arg_name="msg", trigger={},
        annotations={"msg": func.QueueMessage},
    )
    queue = Queue([Message(f"m{i}", base64.b64encode(f"m{i}".encode()).decode()) for i in range(8)])
    runner = Runner()
    listener = QueueListener(
        function, "work", "unused", queue_options({"batchSize": 4, "newBatchThreshold": 1}), runner,
        max_polling_s=0.1,
    )
    listener._client = queue  # the receive loop without storage: start() would build a real client
    listener._task = asyncio.get_running_loop().create_task(listener._run())
    try:
        await wait_until(lambda: runner.started == ["m0", "m1", "m2", "m3"], timeout=5, what="the first batch")
        runner.finish("m0", "m1")
        await wait_until(lambda: runner.running == 2, timeout=5, what="two of the first batch to finish")
        assert runner.started == ["m0", "m1", "m2", "m3"]  # two still run: more than the threshold
        runner.finish("m2")
        # One still runs (m3): not more than newBatchThreshold, so the next batch comes now.
        await wait_until(lambda: len(runner.started) == 8, timeout=5, what="the second batch")
        assert runner.running == 5 and runner.most_running == 5  # batchSize + newBatchThreshold
        runner.finish(*(f"m{i}" for i in range(3, 8)))
        await wait_until(lambda: len(queue.deleted) == 8, timeout=5, what="every message to be deleted")
    finally:
        runner.finish(*(f"m{i}" for i in range(8)))  # nothing left waiting, whatever failed
        await listener.stop()
    assert sorted(queue.deleted) == [f"m{i}" for i in range(8)]
