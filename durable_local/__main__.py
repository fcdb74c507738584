"""``python -m durable_local``: see :mod:`durable_local.frontends.cli`."""

from .frontends.cli import main

raise SystemExit(main(prog="python -m durable_local"))
