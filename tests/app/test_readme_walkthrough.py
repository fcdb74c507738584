"""The README's curl walk-through, executed exactly as written, with its outputs checked.

The section *Walk-through with curl* of README.md is a sequence of ```bash blocks, each followed
by a ```text block with what it prints (a block without one prints nothing). This test pastes
the blocks, unchanged and in order, into one bash session, as a reader would, against the app on
the local host (a free port, ``BASE`` pointing at it) and compares each block's output with the
README's. The settings are local.settings.json.example's. The notification queue is a private
Azurite's, filled first with an earlier run's messages (the walk-through's own ids among them,
more than a peek's 32), as a reader's persistent ``.azurite/`` would be: the README's queue
listing must print this run's messages only.

Time is virtual. Where the README waits for a deadline or for reminders, the test moves the
host's clock once the instance is running: the loops end as they would after 30 real seconds.
Each such wait is named in :data:`CLOCK_STEPS` and must be found in the README exactly once, so a
reworded walk-through fails here instead of hanging. The README's own waiting loops
(``until ...; do sleep 0.5; done``, polling the business view) are the only real sleeps here:
they are part of what is tested, run as a reader runs them; the test itself never sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient

from activities.contracts import NOTIFICATION_QUEUE
from durable_local.services.clock import ManualClock
from durable_local.testing import TestHost, run_host

from .conftest import APP_DIR
from .outage import RestartableAzurite

README = APP_DIR / "README.md"
SECTION = re.compile(r"^## Walk-through with curl$(?P<body>.*?)^## ", re.M | re.S)
FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<text>.*?)^```\n", re.M | re.S)
START = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
#: Longest a block may run; the README's loops poll every half second.
BLOCK_TIMEOUT = 30.0
MARKER = "__walkthrough_block_done__"


@dataclass(frozen=True)
class Step:
    commands: str
    expected: str


def walkthrough_steps(readme: str) -> list[Step]:
    """The bash blocks of the walk-through, each with the text block that follows it."""
    section = SECTION.search(readme)
    assert section, "README.md has no '## Walk-through with curl' section"
    body = section["body"]
    fences = list(FENCE.finditer(body))
    steps = []
    for index, fence in enumerate(fences):
        if fence["lang"] != "bash":
            continue
        after = fences[index + 1] if index + 1 < len(fences) else None
        follows = after is not None and after["lang"] == "text" and not body[fence.end():after.start()].strip()
        steps.append(Step(fence["text"], after["text"] if follows and after is not None else ""))
    return steps


async def when_running_advance(instance_id: str, delta: timedelta) -> Callable[[TestHost], Awaitable[None]]:
    async def step(host: TestHost) -> None:
        await host.wait_for(instance_id, "Running", timeout=BLOCK_TIMEOUT)
        await host.advance(delta)
    return step


#: The README's waits for time to pass, by a line of the block that waits; what the clock does.
CLOCK_STEPS = {
    'until [ "$(curl -s $BASE/api/approvals/trip-1 | field stage)" = escalated ]': ("trip-1", timedelta(seconds=30)),
    'until [ "$(curl -s $BASE/api/reminders/design-review | field runtimeStatus)" = Completed ]':
        ("design-review", timedelta(seconds=30)),
}


class BashSession:
    """One interactive-like bash: blocks are written to its stdin, their output read back."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.errors: list[str] = []
        assert proc.stderr is not None
        self._stderr_reader = asyncio.ensure_future(self._drain_stderr(proc.stderr))

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.errors.append(line.decode(errors="replace"))

    async def run(self, commands: str) -> tuple[str, int]:
        """Run ``commands``; return what they printed and the exit status of the last one."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((commands + f'\nprintf "\\n{MARKER} %s\\n" "$?"\n').encode())
        await self.proc.stdin.drain()
        lines = []
        while True:
            line = (await self.proc.stdout.readline()).decode(errors="replace")
            if not line:
                raise AssertionError(f"bash exited; printed so far:\n{''.join(lines)}")
            if line.startswith(MARKER):
                # The marker's printf adds one newline before it; the block's own output stays.
                text = "".join(lines)
                return (text[:-1] if text.endswith("\n") else text), int(line.split()[1])
            lines.append(line)

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._stderr_reader


def queue_an_earlier_run(connection_string: str) -> None:
    """What a reader's Azurite holds after earlier runs: the same instance ids a day earlier,
    and enough other messages that this run's come after the first 32."""
    queue = QueueClient.from_connection_string(connection_string, NOTIFICATION_QUEUE)
    with contextlib.suppress(ResourceExistsError):
        queue.create_queue()
    earlier = START - timedelta(days=1)
    messages = [("laptop-1", "notify-approver", "approval_requested", "bob@contoso.com"),
                ("trip-1", "escalation", "escalation", "head-of-department@contoso.com"),
                ("design-review", "reminder-1", "reminder", "ada@contoso.com")]
    messages += [(f"old-{n}", "notify-approver", "approval_requested", "bob@contoso.com") for n in range(40)]
    for number, (instance_id, step, kind, to) in enumerate(messages):
        at = (earlier + timedelta(seconds=number)).isoformat().replace("+00:00", "Z")
        body = {"id": f"{instance_id}:{step}", "type": kind, "instanceId": instance_id, "to": to,
                "subject": "earlier run", "text": "earlier run", "at": at}
        queue.send_message(base64.b64encode(json.dumps(body).encode()).decode())


@pytest.fixture
async def host(app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               approval_settings: dict[str, str]) -> AsyncIterator[TestHost]:
    with RestartableAzurite(tmp_path / "azurite") as azurite:
        monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
        queue_an_earlier_run(azurite.connection_string)
        async with run_host(app_dir, clock=ManualClock(START)) as running:
            yield running


@pytest.fixture
async def bash(host: TestHost, tmp_path: Path) -> AsyncIterator[BashSession]:
    # The README runs `.venv/bin/python` from the repository root; give the session a working
    # directory whose .venv/bin/python is this interpreter, wherever the tests' venv lives.
    workdir = tmp_path / "reader"
    (workdir / ".venv" / "bin").mkdir(parents=True)
    python = workdir / ".venv" / "bin" / "python"
    # A wrapper, not a symlink: a symlinked venv interpreter would lose its venv's packages.
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    env = {**os.environ, "BASE": host.base_url}
    proc = await asyncio.create_subprocess_exec(
        "bash", "--noprofile", "--norc", cwd=workdir, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    session = BashSession(proc)
    try:
        yield session
    finally:
        await session.close()


def test_the_walkthrough_is_found_with_its_outputs() -> None:
    steps = walkthrough_steps(README.read_text(encoding="utf-8"))
    assert len(steps) >= 8
    assert "BASE=${BASE:-http://localhost:7071}" in steps[0].commands
    assert sum(1 for s in steps if s.expected) >= 7
    for line in CLOCK_STEPS:
        assert sum(1 for s in steps if line in s.commands) == 1, f"README no longer waits with: {line}"


@pytest.mark.e2e
@pytest.mark.timeout(300)
async def test_the_readme_walkthrough_prints_what_the_readme_says(host: TestHost, bash: BashSession) -> None:
    for number, step in enumerate(walkthrough_steps(README.read_text(encoding="utf-8")), start=1):
        clock_step = next((CLOCK_STEPS[line] for line in CLOCK_STEPS if line in step.commands), None)
        waiting = None
        if clock_step is not None:
            waiting = asyncio.ensure_future(
                (await when_running_advance(*clock_step))(host))
        try:
            output, status = await asyncio.wait_for(bash.run(step.commands), BLOCK_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"block {number} did not finish within {BLOCK_TIMEOUT:.0f}s:\n{step.commands}\n"
                f"stderr so far: {''.join(bash.errors)}") from None
        if waiting is not None:
            await waiting
        shown = f"block {number}:\n{step.commands}\nstderr: {''.join(bash.errors)}"
        assert status == 0, shown
        assert output.rstrip("\n") == step.expected.rstrip("\n"), shown
    assert bash.errors == []
