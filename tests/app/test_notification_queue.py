"""The notifications of one escalated approval, read back from Azurite's queue.

The Functions queue binding base64-encodes messages (host.json ``messageEncoding: base64``), so
the test reads raw message text and decodes it itself, as a consumer written against the binding
would.
"""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient

from activities.contracts import NOTIFICATION_QUEUE
from durable_local.services.clock import ManualClock
from durable_local.testing import run_host

from .api_client import ApprovalClient

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def queued_messages(connection_string: str, instance_id: str) -> list[dict[str, Any]]:
    """Every message of ``instance_id`` in the notification queue, decoded, oldest first."""
    queue = QueueClient.from_connection_string(connection_string, NOTIFICATION_QUEUE)
    messages = []
    # Peek shows at most 32 messages; receive with a short visibility timeout sees them all
    # and leaves them in the queue for anyone else.
    for message in queue.receive_messages(messages_per_page=32, visibility_timeout=1):
        decoded = json.loads(base64.b64decode(message.content).decode("utf-8"))
        if decoded["instanceId"] == instance_id:
            messages.append(decoded)
    return sorted(messages, key=lambda m: m["at"])


@pytest.mark.azurite
async def test_an_escalated_approval_queues_request_escalation_and_decision_messages(
    app_dir: Path, azurite: str, approval_settings: dict[str, str]
) -> None:
    queue = QueueClient.from_connection_string(azurite, NOTIFICATION_QUEUE)
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()

    async with run_host(app_dir, clock=ManualClock(START), state=":memory:") as host:
        api = ApprovalClient(host)
        instance_id = (await api.start(title="Laptop", deadline="PT4H",
                                       escalationDeadline="PT8H"))["id"]
        await host.advance(timedelta(hours=4))
        assert (await api.view(instance_id))["stage"] == "escalated"
        await host.advance(timedelta(hours=1))
        assert (await api.decide(instance_id, "approved",
                                 approval_settings["ESCALATE_TO"], "OK")).status == 202
        result = await api.result(instance_id)

    messages = queued_messages(azurite, instance_id)
    assert [(m["id"], m["type"], m["to"]) for m in messages] == [
        (f"{instance_id}:notify-approver", "approval_requested", "bob@contoso.com"),
        (f"{instance_id}:escalation", "escalation", approval_settings["ESCALATE_TO"]),
        (f"{instance_id}:decision", "decision", "ada@contoso.com"),
    ]
    for message in messages:
        assert set(message) == {"id", "type", "instanceId", "to", "subject", "text", "at"}
    request, escalation, decision = messages
    assert request["subject"] == "Approval requested: Laptop"
    # "at" is the orchestrator's replay-safe time, so it shows virtual time, not the wall clock.
    assert request["at"].startswith("2026-03-02T08:00:00")
    assert escalation["at"].startswith("2026-03-02T12:00:00")
    assert decision["at"].startswith("2026-03-02T13:00:00")
    assert decision["text"] == (
        f"Your request 'Laptop' was approved by {approval_settings['ESCALATE_TO']} "
        "after escalation. Comment: OK")
    assert result["decidedAt"].startswith("2026-03-02T13:00:00")
