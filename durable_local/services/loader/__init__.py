"""Loading a Functions app: its configuration, its functions, and the process changes it needs.

* :mod:`.config` reads host.json and local.settings.json;
* :mod:`.environment` makes (and undoes) the process-wide changes an imported app needs;
* :mod:`.indexing` imports ``function_app.py`` and indexes its functions;
* :mod:`.functions` is the resulting function model (:class:`Registry`).
"""

from .config import HostConfig, read_host_config, read_local_settings
from .functions import (
    ActivityFunction,
    EntityFunction,
    HttpFunction,
    InputBinding,
    NoticeLevel,
    OrchestratorFunction,
    OutputBinding,
    Registry,
    StartupNotice,
    TriggeredFunction,
    TriggerKind,
)
from .indexing import SUPPORTED_INPUT_BINDINGS, SUPPORTED_OUTPUT_BINDINGS, load_app
from .settings import AppSettings

__all__ = [
    "SUPPORTED_INPUT_BINDINGS",
    "SUPPORTED_OUTPUT_BINDINGS",
    "ActivityFunction",
    "AppSettings",
    "EntityFunction",
    "HostConfig",
    "HttpFunction",
    "InputBinding",
    "NoticeLevel",
    "OrchestratorFunction",
    "OutputBinding",
    "Registry",
    "StartupNotice",
    "TriggerKind",
    "TriggeredFunction",
    "load_app",
    "read_host_config",
    "read_local_settings",
]
