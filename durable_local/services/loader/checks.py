"""Start-up checks the Python worker, the Functions host and ``func start`` make, made here too.

* which script holds the app (``PYTHON_SCRIPT_FILE_NAME``, worker ``loader.py``), and a v1-model
  app (``function.json`` folders), which the local host cannot run;
* host.json: the Durable storage provider and the task hub name;
* connection settings named by storage bindings.

Each check either returns notices to print or raises an :class:`~durable_local.errors.AppLoadError`
whose message keeps the real tool's wording and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...errors import AppLoadError, MissingSettingError
from .config import HostConfig
from .connections import find_connection, identity_message
from .functions import NoticeLevel, StartupNotice
from .settings import AppSettings, function_error, resolve_hub_name

DEFAULT_SCRIPT = "function_app.py"
#: worker ``utils/common.py`` ``validate_script_file_name``
_SCRIPT_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_\-]*\.py$")
#: Binding types whose ``connection`` names a storage account (queues, blobs, tables).
STORAGE_BINDINGS = frozenset({"queueTrigger", "queue", "blobTrigger", "blob", "table"})
#: dfx ``DurableTaskExtension``: provider types the extension and its bundles know (case-insensitive).
KNOWN_PROVIDERS = {"azurestorage": "AzureStorage", "mssql": "mssql", "netherite": "Netherite", "azuremanaged": "AzureManaged"}
AZURITE_VALUE = "UseDevelopmentStorage=true"


def script_name(settings: Mapping[str, str], local_values: Mapping[str, str]) -> str:
    """``PYTHON_SCRIPT_FILE_NAME`` (environment first, then local.settings.json), default function_app.py."""
    name = settings.get("PYTHON_SCRIPT_FILE_NAME") or local_values.get("PYTHON_SCRIPT_FILE_NAME") or DEFAULT_SCRIPT
    if not _SCRIPT_NAME.match(name):
        raise AppLoadError(
            f"Invalid file name: {name} (PYTHON_SCRIPT_FILE_NAME must name a .py file at the app root, "
            "e.g. function_app.py)"
        )
    return name


def v1_folders(root: Path) -> list[str]:
    """Folders holding a ``function.json`` (the v1 programming model), sorted."""
    return sorted(p.parent.name for p in root.glob("*/function.json"))


def check_script(root: Path, name: str) -> list[StartupNotice]:
    """Refuse an app without its script, explaining a v1-model app; warn about a mixed one.

    The worker answers ``use_default_metadata_indexing`` when the script is missing and the host
    then indexes ``function.json`` folders (worker ``loader.py``), so a v1 app runs on Azure; the
    local host drives only the v2 decorators' index and says so.
    """
    folders = v1_folders(root)
    if not (root / name).exists():
        if folders:
            raise AppLoadError(
                f"{root} is a Python v1-model app (function.json in {', '.join(folders)}): the local Durable host "
                "runs only the v2 programming model. A v2 app has a function_app.py at its root (or the file "
                "PYTHON_SCRIPT_FILE_NAME names) that creates app = func.FunctionApp() or df.DFApp() and declares "
                "its functions with decorators such as @app.route and @app.orchestration_trigger; see "
                "https://aka.ms/pythonprogrammingmodel for migrating."
            )
        raise AppLoadError(
            f"Did not find either '{name}' (V2) or 'function.json' files (V1) in {root}. Project must have one "
            "of these files. Point --app at the folder that holds host.json and function_app.py."
        )
    if folders:
        # host WorkerFunctionMetadataProvider.ValidateFunctionAppFormat (a warning under Core Tools)
        return [
            StartupNotice(
                NoticeLevel.WARNING,
                f"Detected mixed function app. Some functions may not be indexed - {', '.join(folders)} "
                "(the local host serves only the functions declared in " + name + ")",
            )
        ]
    return []


def check_host_config(host: HostConfig, settings: AppSettings) -> tuple[HostConfig, list[StartupNotice]]:
    """Resolve the hub name and check the storage provider; returns the config to use and notices."""
    notices: list[StartupNotice] = []
    provider = host.durable.get("storageProvider") or {}
    kind = str(provider.get("type") or "AzureStorage") if isinstance(provider, dict) else "AzureStorage"
    known = KNOWN_PROVIDERS.get(kind.lower())
    if known is None:
        # dfx DurableTaskExtension.GetDurabilityProviderFactory
        raise AppLoadError(
            f"Storage provider type ({kind}) was not found. Available storage providers: "
            f"{', '.join(KNOWN_PROVIDERS.values())}. (host.json extensions.durableTask.storageProvider.type)"
        )
    azure_storage = known == "AzureStorage"
    if not azure_storage:
        notices.append(
            StartupNotice(
                NoticeLevel.INFO,
                f"host.json storageProvider '{kind}' accepted: the local host keeps orchestration state in its own "
                "SQLite file whatever the provider.",
            )
        )
    if "%" in host.route_prefix:
        notices.append(
            StartupNotice(
                NoticeLevel.WARNING,
                f"host.json extensions.http.routePrefix '{host.route_prefix}' is used literally: the Functions host "
                "does not resolve %SETTING% there either.",
            )
        )
    if host.hub_name is not None:
        host = replace(host, hub_name=resolve_hub_name(settings, str(host.hub_name), azure_storage=azure_storage))
    return replace(host, storage_provider=known), notices


def connection_setting(binding: Mapping[str, Any]) -> str:
    """The setting a storage binding's ``connection`` names (empty: ``AzureWebJobsStorage``)."""
    return str(binding.get("connection") or "AzureWebJobsStorage")


def check_connection(settings: AppSettings, function_name: str, binding: Mapping[str, Any]) -> None:
    """Refuse a storage binding whose connection setting does not exist or cannot be used here.

    Lookup as the storage extensions do at run time, with the same function
    (:func:`.connections.find_connection`: ``AzureWebJobs<name>`` then ``<name>``, each in
    ``ConnectionStrings`` then at the root). A section with child keys only is an identity-based
    connection, refused (see :mod:`.connections`). The host's message for a missing setting always
    shows the ``AzureWebJobs``-prefixed name, even for ``AzureWebJobsStorage`` itself
    (``StorageClientProvider.Get``); it is quoted as is, after a plainer sentence.
    """
    if str(binding.get("type")) not in STORAGE_BINDINGS:
        return
    name = connection_setting(binding)
    found = find_connection(settings, name)
    where = f"Function '{function_name}': binding '{binding.get('name')}' ({binding.get('type')})"
    if found is not None and found.identity:
        raise AppLoadError(f"{where}: {identity_message(found)}")
    if found is not None and found.value:
        return
    fix = f'Add it to local.settings.json Values; for Azurite use "{name}": "{AZURITE_VALUE}".'
    if found is not None:  # an empty value: the section exists for .NET, the client fails on first use
        raise MissingSettingError(f"{where} uses the connection setting '{found.key}', which is empty. {fix}")
    raise MissingSettingError(
        f"{where} uses the connection setting '{name}', which is not set. {fix} "
        + function_error(
            function_name,
            f"Storage account connection string 'AzureWebJobs{name}' does not exist. Make sure that it is a defined "
            "App Setting.",
        )
    )
