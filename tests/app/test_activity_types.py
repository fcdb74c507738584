"""A payload built for one activity cannot be sent to another: mypy refuses it.

The orchestrators call notification activities only through ``Activity.call(payload)``
(activities/contracts.py), whose parameter is that activity's own TypedDict. This test type-checks
a small module with the repository's mypy settings: the right payloads pass, each wrong one is an
error naming both types.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .conftest import APP_DIR

PROBE = '''
import azure.durable_functions as df

from activities.contracts import (
    APPROVAL, ESCALATION, NOTIFY_APPROVER, SEND_REMINDER,
    ApprovalInput, EscalationInput, NotifyApproverInput, ReminderInput,
)
from approval.delivery import deliver, schedule


def right(context: df.DurableOrchestrationContext, notice: NotifyApproverInput, escalation: EscalationInput,
          decision: ApprovalInput, reminder: ReminderInput) -> None:
    schedule(context, NOTIFY_APPROVER.call(notice))
    schedule(context, ESCALATION.call(escalation))
    schedule(context, APPROVAL.call(decision))
    deliver(context, SEND_REMINDER.call(reminder), "reminder-1")


def wrong(context: df.DurableOrchestrationContext, notice: NotifyApproverInput, escalation: EscalationInput) -> None:
    schedule(context, NOTIFY_APPROVER.call(escalation))
    deliver(context, SEND_REMINDER.call(notice), "reminder-1")
    schedule(context, ESCALATION.call({"instanceId": "i", "to": "bob"}))
'''


def test_a_payload_sent_to_the_wrong_activity_is_a_type_error(tmp_path: Path) -> None:
    probe = tmp_path / "probe_activity_calls.py"
    probe.write_text(PROBE, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(APP_DIR / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "mypy-cache"), "function_app.py", "approval", "activities", str(probe)],
        cwd=APP_DIR, capture_output=True, text=True, timeout=300, check=False,
    )
    errors = [line for line in completed.stdout.splitlines() if ": error:" in line]
    lines = PROBE.splitlines()
    found = {lines[int(re.search(r":(\d+): error:", line).group(1)) - 1].strip(): line.split(": error: ", 1)[1]
             for line in errors if "probe_activity_calls.py" in line}
    assert all("probe_activity_calls.py" in line for line in errors), completed.stdout
    assert found == {
        "schedule(context, NOTIFY_APPROVER.call(escalation))":
            'Argument 1 to "call" of "Activity" has incompatible type "EscalationInput"; '
            'expected "NotifyApproverInput"  [arg-type]',
        'deliver(context, SEND_REMINDER.call(notice), "reminder-1")':
            'Argument 1 to "call" of "Activity" has incompatible type "NotifyApproverInput"; '
            'expected "ReminderInput"  [arg-type]',
        'schedule(context, ESCALATION.call({"instanceId": "i", "to": "bob"}))':
            'Missing keys ("at", "title", "requester", "approver", "deadline") for TypedDict "EscalationInput"  [typeddict-item]',
    }, completed.stdout
    assert completed.returncode == 1
