"""The approval app's deployment package holds the app and nothing of the local host.

The package is built the way Core Tools builds it from ``.funcignore`` (``deployment_package``),
first from a clean copy of the repository with every build leftover and cache planted in it, then
from this working tree as it is (whatever ``make`` and the tests left behind).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

from tests.packaging.deployment_package import FuncIgnore, build_package, package_files, walked_files

REPO = Path(__file__).resolve().parents[2]

#: What the approval app deploys: function_app.py's two blueprints and the Functions files.
APP_ROOT_FILES = {"function_app.py", "host.json", "requirements.txt"}
APP_FOLDERS = ("approval", "activities")

#: Left behind by pip, setuptools, make, pytest, the local host, Azurite and editors.
LEFTOVERS = (
    "build/lib/durable_local/host.py",
    "build/bdist.linux-x86_64/wheel/durable_local/testing.py",
    "dist/durable_local-0.1.0-py3-none-any.whl",
    "durable_local.egg-info/PKG-INFO",
    "durable_local.egg-info/entry_points.txt",
    "__pycache__/function_app.cpython-311.pyc",
    "approval/__pycache__/orchestrator.cpython-311.pyc",
    "activities/__pycache__/notifications.cpython-311.pyc",
    "durable_local/__pycache__/host.cpython-311.pyc",
    "approval/stale.pyc",
    ".pytest_cache/v/cache/nodeids",
    ".mypy_cache/3.11/durable_local/host.data.json",
    ".ruff_cache/0.17.6/123",
    ".hypothesis/examples/abc",
    ".durable_local/state.sqlite",
    "state.sqlite-wal",
    ".azurite/__blobstorage__/x",
    ".venv/bin/durable-local",
    ".venv/.installed",
    "node_modules/azurite/package.json",
    "node_modules/@azure/storage-blob/package.json",
    "node_modules/.bin/azurite",
    "node_modules/.package-lock.json",
    ".git",  # a linked worktree's .git is a file, which the walk does not skip
    "local.settings.json",
    ".vscode/settings.json",
)

#: Path prefixes that must never be in the package, and names that must not appear at any depth.
FORBIDDEN_PREFIXES = (
    "durable_local/", "tests/", "bench/", "docs/", "build/", "dist/", ".venv/", "node_modules/",
    ".durable_local/", ".azurite/", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/", ".ci/",
)


def forbidden(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        path.startswith(FORBIDDEN_PREFIXES)
        or "__pycache__" in parts
        or path.endswith(".pyc")
        or any(part.endswith(".egg-info") for part in parts)
        or ".sqlite" in parts[-1]
        or path in ("pyproject.toml", "requirements-dev.txt", "Makefile", "local.settings.json")
    )


def tracked_files() -> list[str]:
    """The repository's files as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return [path for path in listed.split("\0") if path and (REPO / path).is_file()]


def expected_app_files(files: list[str]) -> set[str]:
    return {p for p in files if p in APP_ROOT_FILES or p.startswith(tuple(f + "/" for f in APP_FOLDERS))}


# -- the matching rules ------------------------------------------------------------------------


def test_patterns_match_from_the_package_root_only() -> None:
    rules = FuncIgnore.parse("*.pyc\n__pycache__/\n")
    assert not rules.accepts("x.pyc")
    assert rules.accepts("approval/x.pyc")
    assert not rules.accepts("__pycache__/a.pyc")
    assert rules.accepts("approval/__pycache__/a.pyc")


def test_double_star_patterns_reach_below_the_root_but_not_the_root_itself() -> None:
    rules = FuncIgnore.parse("**/__pycache__\n**/*.pyc\n")
    assert not rules.accepts("approval/__pycache__/a.pyc")
    assert not rules.accepts("approval/sub/__pycache__/b.txt")
    assert not rules.accepts("approval/x.pyc")
    assert rules.accepts("__pycache__/a.txt")


def test_a_pattern_matches_a_prefix_ending_at_a_word_boundary() -> None:
    rules = FuncIgnore.parse("durable_local/\nbuild/\ntest2\n")
    assert not rules.accepts("durable_local/host.py")
    assert rules.accepts("durable_local.egg-info/PKG-INFO")
    assert not rules.accepts("build/lib/x.py")
    assert rules.accepts("builds/x.py")
    assert not rules.accepts("test2")
    assert not rules.accepts("test2/a.py")
    assert rules.accepts("test2x/a.py")


def test_egg_info_pattern_drops_setuptools_metadata_at_the_root() -> None:
    rules = FuncIgnore.parse("*.egg-info\n")
    assert not rules.accepts("durable_local.egg-info/PKG-INFO")
    assert rules.accepts("approval/models.py")


def test_a_negative_line_wins_whatever_its_place() -> None:
    rules = FuncIgnore.parse("!keep.txt\n*.txt\n")
    assert rules.accepts("keep.txt")
    assert not rules.accepts("other.txt")


def test_comments_blank_lines_and_a_leading_slash() -> None:
    rules = FuncIgnore.parse("# secret\n\n   \n/secret\r\n")
    assert not rules.accepts("secret")
    assert not rules.accepts("secret/key.pem")
    assert rules.accepts("# secret")


def test_no_funcignore_keeps_every_walked_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.pyc").write_text("")
    assert package_files(tmp_path) == ["a.py", "sub/b.pyc"]


def test_the_walk_skips_fixed_names_at_every_depth_ignoring_case(tmp_path: Path) -> None:
    for path in ("app.py", "sub/Local.Settings.JSON", "sub/.GIT/config", "deep/er/.vscode/x", "deep/er/keep.py"):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    assert walked_files(tmp_path) == ["app.py", "deep/er/keep.py"]


# -- the approval app --------------------------------------------------------------------------


def test_the_package_holds_exactly_the_app_even_with_build_leftovers_around(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    files = tracked_files()
    for path in files:
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, clone / path)
    for path in LEFTOVERS:
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text("leftover")

    members = build_package(clone, tmp_path / "package.zip")

    assert sorted(members) == sorted(expected_app_files(files))
    assert set(members) >= APP_ROOT_FILES
    assert any(m.startswith("approval/") for m in members) and any(m.startswith("activities/") for m in members)


def test_a_package_of_this_working_tree_has_no_host_test_or_build_file(tmp_path: Path) -> None:
    members = build_package(REPO, tmp_path / "package.zip")

    assert [m for m in members if forbidden(m)] == []
    assert expected_app_files(tracked_files()) <= set(members)
    # The files that make the tool are here, and stay here.
    for path in ("pyproject.toml", "durable_local/testing.py", "durable_local/pytest_plugin.py", "requirements-dev.txt"):
        assert (REPO / path).is_file()
        assert path not in members
