"""What every kind of instance work item shares: run it, commit it, or abandon it for a retry."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ...errors import StaleCompletion
from ...services.clock import Clock
from ...services.loader import Registry
from ...services.store import Store
from ...workers.calls import FunctionRunner
from .policy import DispatcherOptions, Retries

logger = logging.getLogger("durable_local")


class WorkItemRunner:
    """Runs one work item of an instance at a time (:meth:`_run`); subclasses name it in ``kind``."""

    #: how log lines name the work item
    kind = "work item"

    def __init__(
        self, store: Store, registry: Registry, clock: Clock, options: DispatcherOptions, runner: FunctionRunner
    ) -> None:
        self.store = store
        self.runner = runner
        self.registry = registry
        self.clock = clock
        self.options = options
        self.retries = Retries(options.backoff)
        #: called after every committed work item
        self.on_commit: Callable[[], None] | None = None

    async def run(self, instance_id: str) -> bool:
        """Run one work item for ``instance_id``; True when something was committed.

        Never raises: a stale commit is dropped (another writer won), anything else abandons the
        work item, which stays queued and is retried after the back-off policy's delay.
        """
        try:
            committed = await self._run(instance_id)
        except StaleCompletion as err:
            logger.warning("%s: dropped a stale %s: %s", instance_id, self.kind, err)
            return True
        except Exception:
            delay = self.retries.failed(instance_id)
            logger.exception("%s: %s abandoned; retrying in %.2fs", instance_id, self.kind, delay)
            return False
        self.retries.succeeded(instance_id)
        return committed

    async def _run(self, instance_id: str) -> bool:
        raise NotImplementedError
