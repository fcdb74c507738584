"""The chaos seed of the fault suites, named in every failure it can reproduce.

``SEED`` comes from ``DURABLE_LOCAL_SEED`` (default 20260105). A passing run keeps quiet (pytest
swallows what a passing test prints); a failure inside :func:`seed_on_failure` carries the seed
in its message, so the short summary and the traceback both say how to reproduce it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SEED = int(os.environ.get("DURABLE_LOCAL_SEED", "20260105"))


@contextmanager
def seed_on_failure(seed: int = SEED) -> Iterator[int]:
    """Yield ``seed``; put it into any exception escaping the block.

    Assertion errors and ``pytest.fail`` get it at the front of their message (pytest shows that
    in the short summary too); any other exception gets it as a note under its traceback.
    """
    try:
        yield seed
    except BaseException as err:
        label = f"chaos seed {seed} (rerun with DURABLE_LOCAL_SEED={seed} to reproduce)"
        if isinstance(err, AssertionError):
            err.args = (f"{label}: {err.args[0] if err.args else ''}", *err.args[1:])
        elif isinstance(err, pytest.fail.Exception):
            err.msg = f"{label}: {err.msg}"
        else:
            err.add_note(label)
        raise
