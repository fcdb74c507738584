"""``python -m durable_local``: see :mod:`durable_local.cli`."""

from .cli import main

raise SystemExit(main())
