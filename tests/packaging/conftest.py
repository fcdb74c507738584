"""Fixtures of the packaging tests: the sample app, copied where no repository settings reach it.

``sample_app/`` is a user's app, with its own test file; the repository's pytest must not collect
that file (it runs, in its own pytest process, from a copy of the app: see ``pytest_runs``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.packaging.sample import SAMPLE_APP

collect_ignore = ["sample_app"]


@pytest.fixture
def sample_app(tmp_path: Path) -> Path:
    """A copy of the sample app outside the repository (so no pyproject.toml above it is found)."""
    copy = tmp_path / "sample_app"
    shutil.copytree(SAMPLE_APP, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".durable_local"))
    return copy
