"""How the orchestrators send notifications: one retry policy, and failures kept as data.

Every notification activity is called with :func:`schedule`, i.e. ``call_activity_with_retry``
with :data:`NOTIFICATION_RETRY`, the one retry policy of the app (its numbers are justified in
the README, section *Retries*). What it calls is an :class:`~activities.contracts.ActivityCall`
made by ``Activity.call``, which type-checks the payload against the activity. When the last
attempt fails, the orchestrator does not fail: the approval goes on (the decision can still
arrive) and the reminders continue. The failure is kept as a :class:`NotificationFailure` in the
custom status and in the output: which notification (its queue message id), which activity,
for whom, how many attempts the orchestrator saw (:func:`attempts_made`), the last error.

The Python SDK's ``RetryOptions`` carry only a first interval and a maximum number of attempts
(no backoff coefficient, no retry timeout: ``azure-functions-durable`` 1.7
``models/RetryOptions.py``), so the attempts are evenly spaced.

Deterministic, like the orchestrators that use it: times come from the orchestration context.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TypedDict

import azure.durable_functions as df
from azure.durable_functions.models.Task import RetryAbleTask, TaskBase

from activities.contracts import ActivityCall, NotificationSummary, notification_id

from .durations import as_utc, format_instant, parse_instant

logger = logging.getLogger(__name__)

#: Longest ``lastError`` kept: one line, long enough for a storage error's whole reason, short
#: enough that three of them keep the custom status well below its 16 KB limit.
MAX_ERROR_TEXT: Final = 400


@dataclass(frozen=True)
class RetryPolicy:
    """Evenly spaced attempts: the first, then a retry every ``interval`` up to ``max_attempts``."""

    interval: timedelta
    max_attempts: int

    def options(self) -> df.RetryOptions:
        """The SDK's ``RetryOptions`` for ``call_activity_with_retry``."""
        return df.RetryOptions(
            first_retry_interval_in_milliseconds=int(self.interval.total_seconds() * 1000),
            max_number_of_attempts=self.max_attempts,
        )

    @property
    def span(self) -> timedelta:
        """From the first attempt to the last: the longest storage outage that is ridden out."""
        return self.interval * (self.max_attempts - 1)


#: The app's only retry policy (README, *Retries*): five attempts a minute apart ride out four
#: minutes of storage trouble before a notification is given up.
NOTIFICATION_RETRY: Final = RetryPolicy(interval=timedelta(minutes=1), max_attempts=5)


class NotificationFailureJson(TypedDict):
    notification: str
    activity: str
    to: str
    attempts: int
    lastError: str
    failedAt: str


@dataclass(frozen=True)
class NotificationFailure:
    """A notification given up after every attempt failed.

    ``notification`` is the id its queue message would have had (``<instanceId>:<step>``).
    """

    notification: str
    activity: str
    to: str
    attempts: int
    last_error: str
    failed_at: datetime

    def to_json(self) -> NotificationFailureJson:
        return {
            "notification": self.notification,
            "activity": self.activity,
            "to": self.to,
            "attempts": self.attempts,
            "lastError": self.last_error,
            "failedAt": format_instant(self.failed_at),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> NotificationFailure:
        """Inverse of :meth:`to_json`; raises ``KeyError``/``ValueError``/``TypeError`` if malformed."""
        return cls(
            notification=str(value["notification"]),
            activity=str(value["activity"]),
            to=str(value["to"]),
            attempts=int(value["attempts"]),
            last_error=str(value["lastError"]),
            failed_at=parse_instant(str(value["failedAt"])),
        )


def one_line(error: BaseException | str, limit: int = MAX_ERROR_TEXT) -> str:
    """The first non-empty line of an error, at most ``limit`` characters.

    A failed activity reaches the orchestrator as ``Exception("<Reason> \\n <Details>")``
    (SDK ``TaskOrchestrationExecutor.set_task_value``): the reason is the first line, the
    details hold the traceback, which a business view never shows. A longer line keeps its
    start (what failed) and its end (the root cause, e.g. ``Connection refused``).
    """
    text = str(error)
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if not line:
        line = type(error).__name__ if isinstance(error, BaseException) else "unknown error"
    if len(line) <= limit:
        return line
    head = (limit - 1) // 2
    return line[:head] + "…" + line[len(line) - (limit - 1 - head):]


def schedule(context: df.DurableOrchestrationContext, call: ActivityCall) -> TaskBase:
    """Make notification ``call`` (``Activity.call(payload)``) under :data:`NOTIFICATION_RETRY`."""
    task: TaskBase = context.call_activity_with_retry(call.activity, NOTIFICATION_RETRY.options(), call.payload)
    return task


def attempts_made(task: TaskBase) -> int:
    """How many attempts of a task made by :func:`schedule` the orchestrator has seen.

    Replay-safe: the SDK's ``RetryAbleTask`` counts them from history (``num_attempts``:
    1 for the first attempt, one more each time a retry timer fires and the activity is
    scheduled again; azure-functions-durable 1.7 ``models/Task.py``), so a replay counts the
    same. Any other task ran once.
    """
    return int(task.num_attempts) if isinstance(task, RetryAbleTask) else 1


def failure(
    context: df.DurableOrchestrationContext, call: ActivityCall, step: str, task: TaskBase, error: BaseException
) -> NotificationFailure:
    """The record of notification ``step`` given up: ``task``, made by :func:`schedule` for ``call``,
    failed with ``error``."""
    record = NotificationFailure(
        notification=notification_id(context.instance_id, step),
        activity=call.activity,
        to=call.to,
        attempts=attempts_made(task),
        last_error=one_line(error),
        failed_at=as_utc(context.current_utc_datetime),
    )
    if not context.is_replaying:
        logger.warning(
            "%s: gave up notification %s (%s to %s) after %d attempts: %s",
            context.instance_id, record.notification, record.activity, record.to, record.attempts, record.last_error,
        )
    return record


def deliver(
    context: df.DurableOrchestrationContext, call: ActivityCall, step: str
) -> Generator[TaskBase, Any, NotificationSummary | NotificationFailure]:
    """Send one notification and wait for it: its summary, or the failure once retries ran out."""
    task = schedule(context, call)
    try:
        summary: NotificationSummary = yield task
    except Exception as err:
        return failure(context, call, step, task, err)
    return summary
