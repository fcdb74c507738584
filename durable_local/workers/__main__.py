"""``python -m durable_local.workers --app DIR --fd N``: one worker process (started by the host)."""

from .main import main

main()
