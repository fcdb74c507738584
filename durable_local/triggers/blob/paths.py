"""Blob trigger path patterns (stb ``BlobPathSource``, sdk ``BindingTemplateSource``).

``container/blob-pattern``: the container is literal (compared case-insensitively); the blob part
may hold ``{name}`` parameters, each matching any run of characters including ``/`` (greedy, so
``{name}.{ext}`` on ``a.b.txt`` gives ``name=a.b``, ``ext=txt``); ``{{``/``}}`` are literal
braces. Matched parameters are binding data for the function's other bindings (``{name}``).
A path without a slash names only a container and matches every blob in it (stb
``BlobPathSource.Create`` accepts it as a ``FixedBlobPathSource`` with an empty blob name, whose
``CreateBindingData`` "ignore[s] the blob name for determining a match").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BlobPattern:
    container: str
    pattern: str
    regex: re.Pattern[str]
    parameters: tuple[str, ...]

    def match(self, container: str, blob_name: str) -> dict[str, str] | None:
        """The pattern's parameters for a blob, or None when it does not match."""
        if container.lower() != self.container.lower():
            return None
        found = self.regex.match(blob_name)
        return dict(found.groupdict()) if found else None


_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def parse_blob_pattern(path: str) -> BlobPattern:
    """Parse a ``blobTrigger`` path; ValueError with the extension's wording."""
    container, slash, blob = path.partition("/")
    if (slash and (not container or not blob)) or not container or "\\" in container:
        raise ValueError(f"Invalid blob trigger path '{path}'. Paths must be in the format 'container/blob'.")
    if "{" in container or "}" in container:
        raise ValueError(f"Invalid blob trigger path '{path}'. Container paths cannot contain {{resolve}} tokens.")
    if not slash:  # the container alone: every blob in it
        return BlobPattern(container, "", re.compile(".*", re.DOTALL), ())
    parts: list[str] = ["^"]
    names: list[str] = []
    position = 0
    for match in _TOKEN.finditer(blob):
        parts.append(re.escape(blob[position : match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(re.escape(token[0]))
        else:
            name = match.group(1).strip()
            if "." in name:
                raise ValueError("Capture expressions can't include dot operators")
            if not name.isidentifier() or name in names:
                raise ValueError(f"Invalid blob trigger path '{path}': '{{{name}}}' is not a valid parameter name.")
            names.append(name)
            parts.append(f"(?P<{name}>.*)")
        position = match.end()
    parts.append(re.escape(blob[position:]))
    parts.append("$")
    return BlobPattern(container, blob, re.compile("".join(parts), re.DOTALL), tuple(names))
