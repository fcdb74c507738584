"""Storage connection settings, resolved as the Functions storage extensions resolve them.

A binding's ``connection`` (default ``AzureWebJobsStorage``) names an app setting holding a
connection string; ``<name>`` is tried, then ``AzureWebJobs<name>``. ``UseDevelopmentStorage=true``
means Azurite on its default loopback ports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ...errors import BindingError

DEFAULT_CONNECTION_SETTING = "AzureWebJobsStorage"
#: Azurite's well-known development account (public, documented by Microsoft; not a secret).
_DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEVELOPMENT_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    f"AccountKey={_DEV_ACCOUNT_KEY};"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)


def resolve_connection_string(setting: str, environ: Mapping[str, str] = os.environ) -> str:
    """The connection string an app setting names, with ``UseDevelopmentStorage=true`` expanded."""
    for name in (setting, f"AzureWebJobs{setting}"):
        value = environ.get(name)
        if value:
            break
    else:
        raise BindingError(
            f"App setting '{setting}' is not set; add it to local.settings.json Values "
            '(for Azurite: "UseDevelopmentStorage=true").'
        )
    parts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in value.split(";") if p)}
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        return DEVELOPMENT_CONNECTION_STRING
    return value
