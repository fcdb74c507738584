"""How many worker processes: ``FUNCTIONS_WORKER_PROCESS_COUNT`` read as the Functions host reads it.

host ``RpcWorkerConfigFactory.GetWorkerProcessCount``: the environment variable wins over the
worker's config (the Python worker's ``worker.config.json`` sets no process options, so
``WorkerProcessCountOptions`` defaults apply: 1 process, at most 10); the value goes through
``int.Parse``, anything up to 1 becomes 1, and a value above ``MaxProcessCount`` throws
``ProcessCount must not be greater than MaxProcessCount``. A value ``int.Parse`` rejects throws
``FormatException``. Either exception drops the Python worker configuration (logged as "Failed to
initialize worker provider"), after which the host serves no function at all, so the local host
refuses to start with the reason instead. ``func start`` exports ``local.settings.json`` values
into the environment, so the setting works from either place (and a real variable wins).

``0`` worker processes (in process) is the local host's own mode: ``--workers 0`` and the test
API select it; the app setting cannot, since Azure reads ``0`` as 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import AppLoadError

SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
#: host ``WorkerProcessCountOptions.MaxProcessCount``
MAX_WORKERS = 10
#: what .NET ``int.Parse`` accepts (NumberStyles.Integer: white space and a sign around digits)
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def worker_count_from_settings(environ: Mapping[str, str]) -> int:
    """The number of worker processes the host would start for these settings (1 when unset)."""
    raw = environ.get(SETTING)
    if raw is None or raw == "":
        return 1
    if not _INTEGER.match(raw):
        raise AppLoadError(
            f"{SETTING} is {raw!r}, not a whole number: the Functions host fails to read it "
            "(int.Parse) and then starts no Python worker. Set it to a number from 1 to 10."
        )
    count = max(1, int(raw))
    if count > MAX_WORKERS:
        raise AppLoadError(
            f"{SETTING} is {count}: ProcessCount must not be greater than MaxProcessCount ({MAX_WORKERS}); "
            "the Functions host then starts no Python worker. Set it to a number from 1 to 10."
        )
    return count


def check_worker_count(count: int) -> int:
    """A ``--workers`` value: 0 (in process) to 10."""
    if not 0 <= count <= MAX_WORKERS:
        raise AppLoadError(f"--workers must be from 0 (in process) to {MAX_WORKERS}, got {count}")
    return count
