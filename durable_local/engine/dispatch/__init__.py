"""The work loop: fetching work, running episodes and activities, and the history cache.

* :mod:`.dispatcher` — the loop (:class:`Dispatcher`): what runs when, idle detection, time skips;
* :mod:`.episodes` — one orchestration episode: messages in, SDK replay, one commit;
* :mod:`.activities` — activity leases, concurrent runs, output bindings, batched results;
* :mod:`.history_cache` — stored histories kept in memory;
* :mod:`.policy` — the options and the back-off policy.
"""

from .dispatcher import Dispatcher
from .policy import BackoffPolicy, DispatcherOptions

__all__ = ["BackoffPolicy", "Dispatcher", "DispatcherOptions"]
