"""durable_local: a local Azure Durable Functions host for Python v2 apps.

It runs an app unchanged by driving the Durable SDK's own out-of-process protocol the way the
Durable extension does. The layers, and the direction data flows (nothing reaches back up)::

    frontends/   http (func start's HTTP surface), dashboard, cli  -- depend on contracts.HostApi
    host.py      DurableHost: the management operations (implements HostApi)
    engine/      the extension's and DTFx's rules (pure) + dispatch/, the work loop
    services/    store (SQLite), clock, bindings, loader (app import and index), keys

``composition.py`` wires them (the only module that knows them all); ``testing.py`` is the
in-process test API; ``records.py``, ``instances.py``, ``protocol.py`` and ``errors.py`` are the
shared vocabulary.
"""

#: The distribution's version (pyproject.toml reads it from here; ``durable-local --version``).
__version__ = "0.1.0"
