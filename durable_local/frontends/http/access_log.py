"""An aiohttp access logger that never writes a function key.

aiohttp's default access log prints the request line with its query string, which carries
``code=<key>`` when keys are on. ``open_host`` passes this class as the runner's
``access_log_class``; it logs ``remote "METHOD path?query" status duration`` with the values
of ``code`` and ``sig`` masked (headers, hence ``x-functions-key``, are not logged).
"""

from __future__ import annotations

import logging
import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

access_logger = logging.getLogger("durable_local.http.access")

_SECRET_QUERY = re.compile(r"(?i)((?:^|[?&])(?:code|sig)=)[^&]*")


def mask_secrets(path_qs: str) -> str:
    """``/x?code=abc&a=1`` -> ``/x?code=***&a=1`` (also SAS ``sig``)."""
    return _SECRET_QUERY.sub(r"\1***", path_qs)


class KeyMaskingAccessLogger(AbstractAccessLogger):
    """``access_log_class`` for ``web.AppRunner``; the ``logger`` argument is ignored."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(access_logger, log_format)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %.0fms',
            request.remote,
            request.method,
            mask_secrets(request.rel_url.raw_path_qs),
            response.status,
            time * 1000,
        )
