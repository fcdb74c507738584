"""Which app setting a storage binding's ``connection`` names: one lookup for start-up and run time.

The storage extensions find a connection with the WebJobs SDK's rule (azure-sdk-for-net
``Microsoft.Azure.WebJobs.Extensions.Clients/src/Shared/WebJobsConfigurationExtensions.cs``
``GetWebJobsConnectionStringSection``, used by ``StorageClientProvider.Get``; the same order as
azure-webjobs-sdk ``IConfigurationExtensions.GetWebJobsConnectionString``):

1. ``AzureWebJobs<name>`` first, then ``<name>`` itself;
2. for each, the ``ConnectionStrings`` section first (``ConnectionStrings:<key>``), then the root;
3. the first *existing* section wins (.NET ``Exists()``: it has a value, even an empty one, or
   child keys).

Keys are .NET configuration keys: case-insensitive, ``__`` standing for ``:``
(:class:`~.settings.AppSettings`). ``func start`` exports local.settings.json ``ConnectionStrings``
as ``ConnectionStrings:<name>`` (core-tools ``StartHostAction.GetConfigurationSettings``); the
loader does the same (:func:`~.config.read_local_settings`).

A section without a value but with child keys (``<name>__queueServiceUri``, ``__accountName``,
``__credential``...) is an identity-based connection: the extension builds a token credential
from it. The local host has no Azure identity to offer, so it refuses such a connection at
start-up instead of failing each call.
"""

from __future__ import annotations

from dataclasses import dataclass

from .settings import AppSettings

DEFAULT_CONNECTION_SETTING = "AzureWebJobsStorage"
#: sdk ``Constants.WebJobsConfigurationSectionName``: the prefix tried first
WEBJOBS_PREFIX = "AzureWebJobs"
CONNECTION_STRINGS = "ConnectionStrings"


@dataclass(frozen=True)
class ConnectionSetting:
    """What a binding's ``connection`` resolved to.

    ``key`` is the configuration key that was found (``AzureWebJobsStorage``,
    ``ConnectionStrings:Orders``...); ``value`` its connection string, or None for an
    identity-based section (``identity`` True).
    """

    name: str
    key: str
    value: str | None

    @property
    def identity(self) -> bool:
        return self.value is None


def candidate_keys(name: str) -> tuple[str, ...]:
    """The keys tried for ``name``, in the SDK's order (see the module docstring)."""
    keys: list[str] = []
    for candidate in (f"{WEBJOBS_PREFIX}{name}", name):
        keys += [f"{CONNECTION_STRINGS}:{candidate}", candidate]
    return tuple(keys)


def find_connection(settings: AppSettings, name: str | None) -> ConnectionSetting | None:
    """The first existing section for the connection ``name`` (empty: ``AzureWebJobsStorage``), or None."""
    name = name or DEFAULT_CONNECTION_SETTING
    for key in candidate_keys(name):
        value = settings.get(key)
        if value is not None:
            return ConnectionSetting(name, key, value)
        if settings.has_section(key):
            return ConnectionSetting(name, key, None)
    return None


def identity_message(found: ConnectionSetting) -> str:
    """Why an identity-based connection is refused, naming the section."""
    return (
        f"Connection '{found.name}' is configured as an identity-based connection (settings '{found.key}__*'): "
        "identity-based connections are not supported by the local host. Give the setting a connection "
        f'string instead; for Azurite: "{found.name}": "UseDevelopmentStorage=true".'
    )
