"""Running entity batches: queued requests in, one call to the entity function, one commit.

One batch per entity at a time (the dispatcher never runs two work items of one instance at once),
all its queued requests in arrival order up to ``maxEntityOperationBatchSize``. Requests queued
while a batch runs wait for the next one. A batch whose function call fails as a whole (an
exception out of the SDK's ``Entity.handle``, an unusable reply) is abandoned and retried under
the back-off policy with nothing committed, as the extension's ``EntityMiddleware`` abandons the
work item; a failing *operation* is data: its caller gets the error, later operations still run.

Logging follows the extension's trace lines (ext ``EndToEndTraceHelper``: inputs and outputs
redacted as ``(Redacted N characters)`` unless host.json ``tracing.traceInputsAndOutputs``) and
the Functions host's ``Executing``/``Executed`` lines around the invocation.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from ...protocol import EXTENSION_VERSION
from ...records import Message
from ...services.clock import Clock
from ...services.loader import Registry
from ...services.store import Store
from ...workers.calls import EntityCall, FunctionRunner
from ..entities import BatchReplyError, EntityBatch, EntityId, OperationOutcome, Request
from .policy import DispatcherOptions
from .work_items import WorkItemRunner

logger = logging.getLogger("durable_local")


class EntityRunner(WorkItemRunner):
    """Runs the queued requests of an entity as one batch; see the module docstring."""

    kind = "entity batch"

    def __init__(
        self, store: Store, registry: Registry, clock: Clock, options: DispatcherOptions, runner: FunctionRunner
    ) -> None:
        super().__init__(store, registry, clock, options, runner)
        self._sequence = 0
        #: batches committed (a benchmark figure)
        self.batches = 0

    async def _run(self, instance_id: str) -> bool:
        now = self.clock.now()
        messages = self.store.fetch_messages(instance_id, now)
        if not messages:
            return False
        entity_id = EntityId.parse(instance_id)
        requests, ignored = _requests(messages, self.options.entity_batch_size)
        for message in ignored:
            logger.info("%s: dropped message %d: entities take only operation requests", instance_id, message.id)
        batch = EntityBatch(entity_id, self.store.get_entity(instance_id), requests, dropped=ignored)
        current = batch.current
        exists, state = (current.exists, current.state) if current is not None else (False, None)
        function = self.registry.entities.get(entity_id.name)
        function_name = function.function_name if function is not None else entity_id.name
        invocation = uuid.uuid4()
        started = time.perf_counter()
        outcomes: list[OperationOutcome] = []
        if not requests:
            pass  # nothing to run (ext: an empty batch calls no function)
        elif function is None or self.registry.is_disabled(function.function_name):
            # ext: a disabled (or no longer registered) entity fails each operation; its callers
            # see the error (TaskEntityShim.ExecuteBatch), the orchestration decides what follows.
            outcomes = [_unavailable(function_name, request) for request in requests]
        else:
            logger.info("Executing 'Functions.%s' (Reason='(null)', Id=%s)", function_name, invocation)
            reply = await self.runner.run_entity(EntityCall(entity_id.name, batch.request_json()))
            if reply.error is not None or reply.text is None:
                raise BatchReplyError(f"entity function '{function_name}' failed: {reply.error}")
            exists, state, outcomes = batch.outcomes(reply.text)
        self.store.commit_entity_batch(batch.commit(now, exists, state, outcomes))
        self.batches += 1
        if not requests:
            return True
        self._log(entity_id, outcomes)
        failed = any(o.failed for o in outcomes)
        logger.log(
            logging.ERROR if failed else logging.INFO,
            "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms)",
            function_name,
            "Failed" if failed else "Succeeded",
            invocation,
            (time.perf_counter() - started) * 1000,
        )
        if self.on_commit is not None:
            self.on_commit()
        return True

    def _log(self, entity_id: EntityId, outcomes: list[OperationOutcome]) -> None:
        for outcome in outcomes:
            self._sequence += 1
            request = outcome.request
            tail = (
                f"HubName: {self.options.hub_name}. AppName: . SlotName: . "
                f"ExtensionVersion: {EXTENSION_VERSION}. SequenceNumber: {self._sequence}."
            )
            if outcome.failed:
                logger.warning(
                    "%s: Function '%s (Entity)' failed '%s' operation %s after %dms with exception %s. Input: %s. IsReplay: False. %s",
                    entity_id.instance_id,
                    entity_id.name,
                    request.operation,
                    request.request_id,
                    outcome.duration_ms,
                    _redacted(outcome.result),
                    _redacted(request.input_text),
                    tail,
                )
            else:
                logger.info(
                    "%s: Function '%s (Entity)' completed '%s' operation %s in %dms. IsReplay: False. Input: %s. Output: %s. %s",
                    entity_id.instance_id,
                    entity_id.name,
                    request.operation,
                    request.request_id,
                    outcome.duration_ms,
                    _redacted(request.input_text),
                    _redacted(outcome.result),
                    tail,
                )


def _requests(messages: list[Message], limit: int) -> tuple[list[Request], list[Message]]:
    """The first ``limit`` operation requests in arrival order, and any other messages."""
    requests: list[Request] = []
    ignored: list[Message] = []
    for message in messages:
        if message.event.get("Name") == "op" and len(requests) < limit:
            requests.append(Request.from_message(message))
        elif message.event.get("Name") != "op":
            ignored.append(message)
    return requests, ignored


def _unavailable(function_name: str, request: Request) -> OperationOutcome:
    """An operation fails when no entity function of that name is (any longer) registered or enabled."""
    message = f"The function '{function_name}' doesn't exist, is disabled, or is not an entity function."
    return OperationOutcome(request, True, json.dumps(message), 0)


def _redacted(text: str | None) -> str:
    """ext ``SanitizeString``: ``(Redacted N characters)``, N the length of the raw string."""
    return f"(Redacted {len(text or '')} characters)"
