"""The app's configuration files: host.json and local.settings.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import AppLoadError


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json the local host honours."""

    route_prefix: str = "api"
    #: ``%NAME%`` resolved by the loader (``checks.check_host_config``)
    hub_name: str | None = None
    #: ``overridableExistingInstanceStates: AnyState``: a start may replace a running instance
    #: (ext ``OverridableStates``; the default ``NonRunningStates`` refuses it)
    override_running: bool = False
    #: the Durable storage provider's canonical name (``AzureStorage`` when host.json names none)
    storage_provider: str = "AzureStorage"
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def extensions(self) -> dict[str, Any]:
        """host.json ``extensions`` (empty when absent)."""
        extensions = self.raw.get("extensions") or {}
        return extensions if isinstance(extensions, dict) else {}

    @property
    def durable(self) -> dict[str, Any]:
        """``extensions.durableTask`` (empty when absent)."""
        extensions = self.raw.get("extensions") or {}
        durable = extensions.get("durableTask") or {}
        return durable if isinstance(durable, dict) else {}


#: The extension bundle Core Tools' templates and the host's default host.json name.
_BUNDLE = '"extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}'


def missing_host_json(app_dir: Path) -> AppLoadError:
    """The refusal of an app folder without host.json.

    Core Tools looks for the project root by host.json or local.settings.json and stops with
    "Unable to find project root. Expecting to find one of host.json, local.settings.json in
    project root." when neither is there (core-tools ``ScriptHostHelpers.GetFunctionAppRootDirectory``,
    from ``SecretsManager.AppSettingsFilePath``; it also searches the parent folders, the local host
    only the app folder). With local.settings.json present, the host itself writes a default
    host.json into a writable folder ("No host configuration file found. Creating a default
    host.json file.", host ``HostJsonFileConfigurationSource.LoadHostConfig``); deployed, where the
    package is read-only, it adds no extension bundle and the Durable triggers do not load. The
    local host refuses both, so that what runs here runs on Azure (a deviation in the second case).
    """
    if not (app_dir / "local.settings.json").exists():
        return AppLoadError(
            "Unable to find project root. Expecting to find one of host.json, local.settings.json in project root. "
            f"(No host.json in {app_dir}: point --app at the folder that holds host.json and function_app.py.)"
        )
    return AppLoadError(
        f"No host.json in {app_dir}. func start would write a default one there, but deployed (a read-only "
        "package) the Functions host runs without the extension bundle and the Durable triggers do not load. "
        f'Add host.json, e.g. {{"version": "2.0", {_BUNDLE}}}.'
    )


def read_host_config(app_dir: Path) -> HostConfig:
    """Parse host.json; a missing or malformed file is an :class:`AppLoadError` naming it."""
    path = app_dir / "host.json"
    if not path.exists():
        raise missing_host_json(app_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise AppLoadError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(raw, dict):
        raise AppLoadError(f"{path} must hold a JSON object")
    _check_version(raw)
    extensions = raw.get("extensions") or {}
    http = extensions.get("http") or {}
    durable = extensions.get("durableTask") or {}
    prefix = http.get("routePrefix", "api")
    return HostConfig(
        route_prefix=str(prefix).strip("/"),
        hub_name=durable.get("hubName"),
        override_running=_override_running(path, durable.get("overridableExistingInstanceStates")),
        raw=raw,
    )


def _check_version(raw: dict[str, Any]) -> None:
    """host.json ``version`` must be "2.0", with the host's words (host ``HostJsonFileConfigurationSource``).

    An empty file (``{}``) is replaced by ``{"version": "2.0"}`` there, so only a file with other
    content and no version is refused.
    """
    if not raw:
        return
    version = raw.get("version")
    if version in (None, ""):
        raise AppLoadError(
            "The host.json file is missing the required 'version' property. "
            "See https://aka.ms/functions-hostjson for steps to migrate the configuration file."
        )
    text = str(version)
    if text != "2.0":
        message = f"'{text}' is an invalid value for host.json 'version' property. We recommend you set the 'version' property to '2.0'. "
        if text.lower().startswith("3"):
            message += "This does not correspond to the function runtime version, only to the schema version of the host.json file. "
        raise AppLoadError(message + "See https://aka.ms/functions-hostjson for more information on this configuration file.")


def _override_running(path: Path, value: Any) -> bool:
    """``AnyState`` or ``NonRunningStates`` (enum names, case-insensitive, as options binding reads them)."""
    if value is None:
        return False
    text = str(value).strip().lower()
    if text not in ("anystate", "nonrunningstates"):
        raise AppLoadError(
            f"{path}: extensions.durableTask.overridableExistingInstanceStates must be "
            f"'NonRunningStates' (the default) or 'AnyState', not {value!r}"
        )
    return text == "anystate"


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """``local.settings.json`` ``Values`` as strings, plus its ``ConnectionStrings`` (empty without the file).

    ``func start`` exports each connection string as the setting ``ConnectionStrings:<name>``
    (core-tools ``StartHostAction.GetConfigurationSettings``; ``AppSettingsFile.GetConnectionStrings``
    takes a string, or an object's ``ConnectionString``), where the storage extensions look first
    (:mod:`.connections`). A malformed file is an :class:`AppLoadError` naming it.
    """
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        values = document.get("Values") or {}
        settings = {str(key): str(value) for key, value in values.items()}
        for name, entry in (document.get("ConnectionStrings") or {}).items():
            value = entry.get("ConnectionString") if isinstance(entry, dict) else entry
            if value is not None:
                settings.setdefault(f"ConnectionStrings:{name}", str(value))
    except (OSError, ValueError, AttributeError) as err:
        raise AppLoadError(f"{path} is not valid JSON: {err}") from err
    return settings
