"""Front-ends: how people and programs reach a host.

* :mod:`.http` — ``func start``'s HTTP surface: the app's HTTP functions and the Durable
  management API;
* :mod:`.dashboard` — the instance dashboard at ``/_dashboard/``;
* :mod:`.cli` — ``python -m durable_local``.

They depend on the host only through :class:`durable_local.contracts.HostApi`.
"""
