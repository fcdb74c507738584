"""The process-wide changes an app needs while it is loaded, and their undoing.

The Python worker runs one app per process: it puts the app's root on ``sys.path``, the app
settings in the environment, and imports ``function_app`` and whatever it imports. The local
host does the same inside its own process (or a test's), so :class:`AppEnvironment` records
what it changes and :meth:`AppEnvironment.close` puts it back:

* ``os.environ``: ``local.settings.json`` ``Values`` are exported; a variable already set wins,
  as under ``func start``. On close the exported ones are removed again.
* ``sys.path``: the app root goes first; it is removed on close if it was not there before.
* the working directory: the app root, as the host starts the worker in the script root (host
  ``RpcWorkerProcess``: ``WorkingDirectory = scriptRootPath``), so relative paths in functions
  resolve against the app, not against wherever the host was launched; restored on close.
* ``sys.modules``: modules of the app's own top-level names (``function_app``, its packages)
  that another app or the test process imported from elsewhere are set aside for the app's
  lifetime (``function_app`` always, so that each load imports it afresh); on close the app's
  modules are dropped and those are put back. So two apps that both have an ``approval``
  package each see their own.

Two apps whose top-level names collide cannot be loaded in one process *at the same time*
(``function_app`` always collides): that is an :class:`AppLoadError`. Loading the same app
twice shares one environment, released when the last load closes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ...errors import AppLoadError

if TYPE_CHECKING:
    from .functions import Registry

#: Directories under an app root that never hold the app's importable code.
_NOT_CODE = frozenset({"node_modules", "__pycache__", ".venv", "venv", ".git", ".python_packages"})

#: The environments open in this process, by app root.
_OPEN: dict[Path, AppEnvironment] = {}


def _top_level_names(root: Path, script_module: str) -> frozenset[str]:
    """Importable names an app root defines: ``*.py`` modules and package directories."""
    names = {"function_app", script_module}
    for entry in root.iterdir():
        if entry.name.startswith(".") or entry.name in _NOT_CODE:
            continue
        if entry.is_file() and entry.suffix == ".py":
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier() and any(entry.glob("*.py")):
            names.add(entry.name)
    return frozenset(names)


def _module_file(module: ModuleType) -> Path | None:
    location = getattr(module, "__file__", None)
    if location:
        return Path(location).resolve()
    paths = list(getattr(module, "__path__", None) or [])  # a namespace package
    return Path(paths[0]).resolve() if paths else None


def _is_under(module: ModuleType, root: Path) -> bool:
    location = _module_file(module)
    return location is not None and location.is_relative_to(root)


def _top(name: str) -> str:
    return name.partition(".")[0]


class AppEnvironment:
    """See the module docstring. Create with :meth:`enter`; undo with :meth:`close`."""

    def __init__(self, root: Path, settings: Mapping[str, str], script_module: str = "function_app") -> None:
        self.root = root
        self.script_module = script_module
        self._settings = dict(settings)
        self._names = _top_level_names(root, script_module)
        self._cwd: str | None = None
        self._users = 0
        self._exported: dict[str, str] = {}
        self._added_path = False
        self._stashed: dict[str, ModuleType] = {}
        self._tops_before: set[str] = set()
        #: the first load's index, shared by later loads of the same app
        self.loaded: Registry | None = None

    @classmethod
    def enter(cls, root: Path, settings: Mapping[str, str], script_module: str = "function_app") -> AppEnvironment:
        """Prepare the process for importing the app at ``root`` (shared if already open)."""
        current = _OPEN.get(root)
        if current is None:
            current = cls(root, settings, script_module)
            current._apply()
            _OPEN[root] = current
        current._users += 1
        return current

    def _apply(self) -> None:
        for other in _OPEN.values():
            clash = sorted(self._names & other._names)
            if clash:
                raise AppLoadError(
                    f"Cannot load the app in {self.root} while the app in {other.root} is loaded in this "
                    f"process: both define the top-level module(s) {', '.join(clash)}. Close the other host "
                    "first (the host imports the app to index it even when worker processes run it)."
                )
        for name in [m for m in sys.modules if _top(m) in self._names]:
            module = sys.modules[name]
            # The script module is always imported afresh, as a new worker process would.
            if name in ("function_app", self.script_module) or not _is_under(module, self.root):
                self._stashed[name] = sys.modules.pop(name)
        self._tops_before = {_top(name) for name in sys.modules}
        for key, value in self._settings.items():
            if key not in os.environ:
                os.environ[key] = value
                self._exported[key] = value
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
            self._added_path = True
        self._cwd = os.getcwd()
        os.chdir(self.root)

    def close(self) -> None:
        """Release this load; the last one undoes every change (idempotent)."""
        if self._users == 0:
            return
        self._users -= 1
        if self._users:
            return
        _OPEN.pop(self.root, None)
        self.loaded = None
        for name in list(sys.modules):
            module = sys.modules.get(name)
            if module is None or _top(name) in self._tops_before:
                continue
            if _top(name) in self._names or _is_under(module, self.root):
                del sys.modules[name]
        sys.modules.update(self._stashed)
        self._stashed = {}
        for key, value in self._exported.items():
            if os.environ.get(key) == value:  # changed since? then it is no longer ours
                del os.environ[key]
        self._exported = {}
        if self._added_path and str(self.root) in sys.path:
            sys.path.remove(str(self.root))
        self._added_path = False
        if self._cwd is not None:
            try:
                os.chdir(self._cwd)
            except OSError:  # the old directory is gone (a deleted temporary folder): stay put
                pass
            self._cwd = None
