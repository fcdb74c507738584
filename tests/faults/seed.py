"""The chaos seed of the fault suites, named in every failure it can reproduce.

``SEED`` comes from ``DURABLE_LOCAL_SEED`` (default 20260105). A passing run keeps quiet (pytest
swallows what a passing test prints). A failure names the seed twice:

* in the test's id, ``...[seed=20260105]``, for a test marked :data:`seeded`: pytest prints ids
  whole in every report, so the short summary shows it at any terminal width (it cuts only the
  message after the id, to the width, 80 columns by default, and drops the message altogether
  when the id alone is that long, as the chaos tests' ids are);
* at the very start of its message, ``seed=20260105 (DURABLE_LOCAL_SEED): ...``, for a failure
  inside :func:`seed_on_failure`: the traceback shows it, and so does the summary line when the
  id leaves room (the label is short for that).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SEED = int(os.environ.get("DURABLE_LOCAL_SEED", "20260105"))

#: Gives a test a ``seed`` argument (:data:`SEED`) and the id suffix ``[seed=<n>]``.
seeded = pytest.mark.parametrize("seed", [SEED], ids=lambda seed: f"seed={seed}")


def seed_label(seed: int) -> str:
    """How a failure names the seed: ``seed=<n> (DURABLE_LOCAL_SEED)``."""
    return f"seed={seed} (DURABLE_LOCAL_SEED)"


@contextmanager
def seed_on_failure(seed: int = SEED) -> Iterator[int]:
    """Yield ``seed``; put it into any exception escaping the block.

    Assertion errors and ``pytest.fail`` get it at the front of their message (pytest shows that
    in the short summary too); any other exception gets it as a note under its traceback.
    """
    try:
        yield seed
    except BaseException as err:
        label = seed_label(seed)
        if isinstance(err, AssertionError):
            err.args = (f"{label}: {err.args[0] if err.args else ''}", *err.args[1:])
        elif isinstance(err, pytest.fail.Exception):
            err.msg = f"{label}: {err.msg}"
        else:
            err.add_note(label)
        raise
