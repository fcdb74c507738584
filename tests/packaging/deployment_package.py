"""The deployment package Azure Functions Core Tools builds for a Python app, from ``.funcignore``.

``func azure functionapp publish`` and ``func pack`` zip the files two filters let through
(core-tools ``ZipHelper.GetAppZipFile`` -> ``FileSystemHelpers.GetLocalFiles`` ->
``PythonHelpers.GetPythonDeploymentPackage``):

1. The walk (``FileSystemHelpers.GetFiles``) skips, at every depth and ignoring case, folders
   named ``.git`` and ``.vscode`` and files named ``.funcignore``, ``.gitignore``,
   ``local.settings.json`` and ``project.lock.json``.
2. Every other file's path, relative to the app root with ``/`` separators, is tested against
   ``.funcignore`` by ``GitIgnoreParser`` (``src/Cli/func/Common/GitIgnoreParser.cs``, a port of
   codemix/gitignore-parser). It is *not* git's matching:

   * lines are split on ``\\n`` and trimmed; empty lines and lines starting ``#`` are dropped;
   * a leading ``!`` makes a line negative; then one leading ``/`` is dropped;
   * each line becomes a regular expression: the characters ``- [ ] / { } ( ) + ? . \\ ^ $ |``
     are escaped, then ``**`` becomes ``(.+)`` and ``*`` becomes ``([^/]+)``;
   * the positive lines form one expression ``^((p1)|(p2)|...)\\b`` and the negative lines
     another (ECMAScript flavour: ``\\b`` is ASCII); with no lines of a kind it never matches;
   * a path is kept when the negative expression matches it or the positive one does not:
     a negative line wins whatever the order.

   So every pattern is anchored at the app root and matches a prefix that ends at a word
   boundary: ``*.pyc`` drops ``x.pyc`` but keeps ``approval/x.pyc``; ``durable_local/`` does not
   drop ``durable_local.egg-info/PKG-INFO``; ``**/__pycache__`` needs at least one folder before
   ``__pycache__``.

Written from that description (research note, issue 13, B2), not from Core Tools' code.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: Names the walk skips at every depth, before ``.funcignore`` is read (case-insensitive).
ALWAYS_SKIPPED_FOLDERS = frozenset({".git", ".vscode"})
ALWAYS_SKIPPED_FILES = frozenset({".funcignore", ".gitignore", "local.settings.json", "project.lock.json"})

_SPECIAL = re.compile(r"[\-\[\]/{}()+?.\\^$|]")


def _pattern_regex(pattern: str) -> str:
    escaped = _SPECIAL.sub(lambda match: "\\" + match.group(0), pattern)
    return escaped.replace("**", "(.+)").replace("*", r"([^\/]+)")


def _combined(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    alternatives = ")|(".join(_pattern_regex(p) for p in sorted(patterns))
    return re.compile("^((" + alternatives + r"))\b", re.ASCII)


@dataclass(frozen=True)
class FuncIgnore:
    """``.funcignore`` as Core Tools' GitIgnoreParser reads it."""

    positive: re.Pattern[str] | None
    negative: re.Pattern[str] | None

    @classmethod
    def parse(cls, text: str) -> FuncIgnore:
        positive: list[str] = []
        negative: list[str] = []
        for line in text.split("\n"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            is_negative = line.startswith("!")
            if is_negative:
                line = line[1:]
            if line.startswith("/"):
                line = line[1:]
            (negative if is_negative else positive).append(line)
        return cls(_combined(positive), _combined(negative))

    def accepts(self, path: str) -> bool:
        """True when the file at ``path`` (relative, ``/``-separated) goes into the package."""
        if self.negative is not None and self.negative.match(path):
            return True
        return self.positive is None or not self.positive.match(path)


def walked_files(root: Path) -> list[str]:
    """Every file under ``root`` the walk yields, relative with ``/``, before ``.funcignore``."""
    skipped_folders = {name.lower() for name in ALWAYS_SKIPPED_FOLDERS}
    skipped_files = {name.lower() for name in ALWAYS_SKIPPED_FILES}
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name.lower() not in skipped_folders)
        relative = Path(folder).relative_to(root)
        for name in sorted(files):
            if name.lower() not in skipped_files:
                found.append((relative / name).as_posix())
    return found


def package_files(root: Path) -> list[str]:
    """The files Core Tools would put in ``root``'s deployment package."""
    ignore_file = root / ".funcignore"
    rules = FuncIgnore.parse(ignore_file.read_text(encoding="utf-8")) if ignore_file.exists() else FuncIgnore(None, None)
    return [path for path in walked_files(root) if rules.accepts(path)]


def build_package(root: Path, destination: Path) -> list[str]:
    """Zip ``root``'s deployment package into ``destination``; returns the zip's member names."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in package_files(root):
            archive.write(root / path, path)
    with zipfile.ZipFile(destination) as archive:
        return archive.namelist()
