"""host.json ``extensions.queues`` and queue names, checked as the storage extension checks them.

Options (stc ``QueuesOptions``): ``batchSize`` 16 (1-32), ``newBatchThreshold``
``batchSize/2 * cores``, ``maxPollingInterval`` 1 minute but **2 seconds in Development**, which
``func start`` always is (stq ``StorageQueuesWebJobsBuilderExtensions``; cli ``StartHostAction``
forces ``AZURE_FUNCTIONS_ENVIRONMENT=Development``), at least 100 ms; ``visibilityTimeout`` 0
(the delay before a failed message is visible again); ``maxDequeueCount`` 5 (at least 1);
``messageEncoding`` ``base64`` or ``none``.

Queue names (stq ``QueueTriggerAttributeBindingProvider``, ``QueueClientExtensions.ValidateQueueName``):
lower-cased first ("must be lowercase. coerce here to be nice"), then 3-63 characters of letters,
digits and single dashes, not starting or ending with a dash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ...services.bindings.encoding import MessageEncoding, parse_message_encoding
from ..timer.timespan import parse_timespan

__all__ = ["MessageEncoding", "QueueOptions", "poison_queue_name", "queue_options", "validate_queue_name"]

MAX_BATCH_SIZE = 32
MIN_POLLING_INTERVAL = timedelta(milliseconds=100)


@dataclass(frozen=True)
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: timedelta = timedelta(seconds=2)
    visibility_timeout: timedelta = timedelta(0)
    max_dequeue_count: int = 5
    message_encoding: MessageEncoding = MessageEncoding.BASE64


def _timespan(raw: Any, key: str) -> timedelta:
    parsed = parse_timespan(str(raw))
    if parsed is None:
        raise ValueError(f"host.json extensions.queues.{key} '{raw}' is not a TimeSpan (use hh:mm:ss, e.g. 00:00:02)")
    return parsed


def queue_options(queues: dict[str, Any]) -> QueueOptions:
    """Parse ``extensions.queues``; ValueError with the extension's wording for a bad value."""
    keys = {k.lower(): v for k, v in queues.items()}
    batch = int(keys.get("batchsize", 16))
    if not 1 <= batch <= MAX_BATCH_SIZE:
        raise ValueError(f"host.json extensions.queues.batchSize {batch}: must be between 1 and {MAX_BATCH_SIZE} (ArgumentOutOfRangeException).")
    threshold = int(keys.get("newbatchthreshold", (batch // 2) * (os.cpu_count() or 1)))
    if threshold < 0:
        raise ValueError(f"host.json extensions.queues.newBatchThreshold {threshold}: must not be negative.")
    polling = _timespan(keys["maxpollinginterval"], "maxPollingInterval") if "maxpollinginterval" in keys else timedelta(seconds=2)
    if polling < MIN_POLLING_INTERVAL:
        raise ValueError("MaxPollingInterval must not be less than 00:00:00.1000000.")
    visibility = _timespan(keys["visibilitytimeout"], "visibilityTimeout") if "visibilitytimeout" in keys else timedelta(0)
    dequeue = int(keys.get("maxdequeuecount", 5))
    if dequeue < 1:
        raise ValueError("MaxDequeueCount must not be less than 1.")
    encoding = parse_message_encoding(keys.get("messageencoding", MessageEncoding.BASE64.value))
    return QueueOptions(batch, threshold, polling, visibility, dequeue, encoding)


def validate_queue_name(name: str) -> str:
    """The lower-cased queue name, or ValueError with the extension's message."""
    if not name:
        raise ValueError("A queue name can't be null or empty")
    name = name.lower()
    if not 3 <= len(name) <= 63:
        raise ValueError(f'A queue name must be from 3 to 63 characters long - "{name}"')
    if name[0] == "-" or name[-1] == "-":
        raise ValueError(f'The dash (-) character may not be the first or last letter - "{name}"')
    if not all(c.isalnum() or c == "-" for c in name):
        raise ValueError(f'A queue name can contain only letters, numbers, and dash(-) characters - "{name}"')
    if "--" in name:
        raise ValueError("A queue name cannot contain consecutive dash(-) characters.")
    return name


def poison_queue_name(name: str) -> str | None:
    """``<queue>-poison``, or None when the queue is a poison queue or the name would be too long."""
    if name.endswith("-poison"):
        return None
    candidate = f"{name}-poison"
    try:
        return validate_queue_name(candidate)
    except ValueError:
        return None
