"""Session-wide test plumbing: a private Azurite, markers, and the full-size switch.

Markers (registered in pyproject.toml; --strict-markers rejects typos):
  azurite  the test uses the `azurite` fixture (added automatically; deselect with -m "not azurite")
  fault    fault/chaos suites; run alone with `make test PYTEST_ARGS='-m fault'`
  load     load suites
  browser  drives a headless browser
  e2e      end-to-end over real HTTP
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.azurite import AzuriteNotInstalled, AzuriteStartError, running_azurite


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Connection string of an Azurite started for this session on free loopback ports.

    Also sets AzureWebJobsStorage to it for the session (restored afterwards), as the Functions
    host would from local.settings.json. Fails, never skips, when Azurite is not installed:
    a skipped storage test would hide a broken setup.
    """
    try:
        with running_azurite(tmp_path_factory.mktemp("azurite")) as endpoints:
            with pytest.MonkeyPatch.context() as env:
                env.setenv("AzureWebJobsStorage", endpoints.connection_string)
                yield endpoints.connection_string
                return
    except (AzuriteNotInstalled, AzuriteStartError) as err:
        failure = str(err)
    # Failed outside the except block, so pytest shows the message without a chained traceback.
    pytest.fail(failure, pytrace=False)


@pytest.fixture(scope="session")
def full_size() -> bool:
    """True under `make test FULL=1` (DURABLE_LOCAL_FULL=1): fault/load suites use full-size parameters."""
    return os.environ.get("DURABLE_LOCAL_FULL") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark by fixture use rather than by hand, so `-m "not azurite"` is always accurate.
    for item in items:
        if "azurite" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.azurite)
