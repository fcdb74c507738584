"""The command line: ``python -m durable_local start`` and ``func durable``'s commands.

:mod:`.commands` is the entry point (``main``); :mod:`.parser` the arguments; :mod:`.serve` the
``start`` command; :mod:`.durable` the ``func durable`` commands, which use :mod:`.client`, a
small management API client, against a running host.
"""

from .commands import main

__all__ = ["main"]
