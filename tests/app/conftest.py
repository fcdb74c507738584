"""Fixtures for the app's tests: paths, and settings the HTTP starter reads at request time."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The Functions app is the repository root.
APP_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_dir() -> Path:
    return APP_DIR


@pytest.fixture
def approval_settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The app settings of local.settings.json.example, as the starter reads them (os.environ)."""
    values = {
        "APPROVAL_TIMEOUT": "PT24H",
        "ESCALATION_TIMEOUT": "PT24H",
        "ESCALATE_TO": "head-of-department@contoso.com",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
