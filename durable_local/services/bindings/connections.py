"""Storage connection strings, resolved as the Functions storage extensions resolve them.

A binding's ``connection`` (default ``AzureWebJobsStorage``) names an app setting holding a
connection string, found by the same lookup as the start-up check
(:func:`durable_local.services.loader.connections.find_connection`: ``AzureWebJobs<name>`` before
``<name>``, ``ConnectionStrings:`` before the root, keys case-insensitive).
``UseDevelopmentStorage=true`` means Azurite on its default loopback ports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...errors import BindingError

if TYPE_CHECKING:
    from ..loader.settings import AppSettings

__all__ = ["DEFAULT_CONNECTION_SETTING", "DEVELOPMENT_CONNECTION_STRING", "connection_string", "resolve_connection_string"]

#: the same as ``loader.connections.DEFAULT_CONNECTION_SETTING`` (not imported: see ``connection_string``)
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
    from ..loader.settings import AppSettings

    return connection_string(setting, AppSettings(environ))


def connection_string(setting: str, settings: AppSettings) -> str:
    """:func:`resolve_connection_string` on an :class:`AppSettings`; BindingError when unusable."""
    # Imported here: the loader package imports the invocation package, which imports this module.
    from ..loader.connections import find_connection, identity_message

    found = find_connection(settings, setting)
    if found is not None and found.identity:
        raise BindingError(identity_message(found))
    if found is None or not found.value:  # an empty value exists for .NET, but is no connection string
        raise BindingError(
            f"App setting '{setting}' is not set; add it to local.settings.json Values "
            '(for Azurite: "UseDevelopmentStorage=true").'
        )
    value = found.value
    parts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in value.split(";") if p)}
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        return DEVELOPMENT_CONNECTION_STRING
    return value
