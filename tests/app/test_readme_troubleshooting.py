"""The README's *Troubleshooting* quotes exactly what the host, the app and make print.

Each test provokes the situation (a busy port, storage down, a missing or unusable setting),
captures the message, and checks the README quotes it verbatim (ports and ids normalised to the
README's: 7071, 10001, ``laptop-1``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from approval.delivery import NOTIFICATION_RETRY
from approval.domain import ApprovalSettings, SettingsError, parse_start_request
from approval.validation import ValidationError
from durable_local.errors import BindingError
from durable_local.services.bindings import resolve_connection_string
from durable_local.services.clock import ManualClock
from durable_local.testing import run_host

from .api_client import ApprovalClient
from .conftest import APP_DIR
from .outage import RestartableAzurite, no_start_up_grace

README = (APP_DIR / "README.md").read_text(encoding="utf-8")
TROUBLESHOOTING = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
MAKEFILE = (APP_DIR / "Makefile").read_text(encoding="utf-8")


def quoted(text: str) -> bool:
    return text in TROUBLESHOOTING


async def test_a_busy_port_is_quoted_as_the_host_prints_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "durable_local", "start", "--app", str(APP_DIR), "--port", str(port),
            "--state", ":memory:", cwd=APP_DIR,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            # the app's settings, as local.settings.json gives them (a clean clone has none)
            env={**os.environ, "AzureWebJobsStorage": "UseDevelopmentStorage=true"},
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    message = err.decode().strip().splitlines()[-1].replace(str(port), "7071")
    assert message.startswith("Error: cannot listen on 127.0.0.1:7071"), (out, err)
    assert quoted(message), message


async def test_storage_down_is_quoted_as_the_host_logs_it(
    app_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, approval_settings: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with RestartableAzurite(tmp_path / "azurite") as azurite:
        monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
        queue_port = azurite.endpoints.queue_port if azurite.endpoints else 0
        azurite.stop()
        with caplog.at_level(logging.WARNING, logger="approval.delivery"), \
                caplog.at_level(logging.INFO, logger="durable_local"):
            async with run_host(
                app_dir, clock=ManualClock(datetime(2026, 1, 5, tzinfo=UTC)), bindings=no_start_up_grace()
            ) as host:
                await ApprovalClient(host).start(instanceId="laptop-1", title="New laptop")
                await host.advance(NOTIFICATION_RETRY.span + timedelta(seconds=1))
    attempts = [r.getMessage() for r in caplog.records
                if r.getMessage().startswith("Executed 'Functions.NotifyApprover' (Failed, ")]
    assert len(attempts) == NOTIFICATION_RETRY.max_attempts
    assert quoted("`Executed 'Functions.NotifyApprover' (Failed, ...)`")
    [line] = [r.getMessage() for r in caplog.records if "gave up notification" in r.getMessage()]
    line = line.replace(f":{queue_port}", ":10001").replace(f"port={queue_port}", "port=10001")
    assert quoted(line), line


def test_setting_messages_are_quoted_as_the_app_gives_them() -> None:
    with pytest.raises(ValidationError) as missing:
        parse_start_request(b'{"title": "t", "approver": "bob@contoso.com"}',
                            ApprovalSettings(escalate_to=None), "ada@contoso.com")
    [error] = missing.value.errors
    assert quoted(json.dumps({"field": error.field, "message": error.message}))

    with pytest.raises(SettingsError) as unusable:
        ApprovalSettings.from_environ({"APPROVAL_TIMEOUT": "one day"})
    assert quoted(str(unusable.value))

    with pytest.raises(BindingError) as no_storage:
        resolve_connection_string("AzureWebJobsStorage", {})
    assert quoted(str(no_storage.value))


def test_the_browser_tests_skip_reason_is_quoted_as_pytest_shows_it() -> None:
    from tests.browser.support import skip_reason

    assert f"tests/browser/test_instance_list.py: {skip_reason('/usr/bin/chromium')}" in README


@pytest.mark.parametrize("line", [
    "make: created local.settings.json from local.settings.json.example",
    "make: port 10000 is held by a program that is not Azurite; stop it and retry",
])
def test_make_messages_are_quoted_as_the_makefile_prints_them(line: str) -> None:
    assert quoted(line)
    assert re.search(re.escape(line.removeprefix("make: ")), MAKEFILE)
