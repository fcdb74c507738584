"""Functions route templates (``@app.route(route="orders/{id:int}/{part?}")``) compiled to regexes.

The Functions host routes HTTP triggers with ASP.NET Core route templates. This module
implements the subset a Python app can declare:

* literal segments, matched case-insensitively (ASP.NET ``TemplateMatcher``);
* ``{name}`` parameters, ``{name?}`` optional ones, ``{name=default}`` defaults and a
  trailing catch-all ``{*rest}``;
* inline constraints, chainable: ``{id:int:min(1)}``. Names are ASP.NET's
  (``aspnetcore: Routing/Constraints/*RouteConstraint.cs``): ``int long bool guid alpha
  datetime decimal double float minlength(n) maxlength(n) length(n) length(a,b) min(n) max(n)
  range(a,b) regex(expr) required file nonfile``.

Paths are matched segment by segment after percent-decoding each segment; an encoded ``%2F``
stays inside its segment, as in ASP.NET Core. A trailing slash is ignored. An unknown
constraint is a :class:`ValueError` at compile time, so a typo fails at startup, not per request.

Which function answers is the Functions host's rule, not ASP.NET's route precedence: the host
registers one route per function in the order of its function list, sorted by function name
(``FunctionMetadataManager.LoadFunctionMetadata``: ``OrderBy(f => f.Name,
StringComparer.OrdinalIgnoreCase)``), into a ``RouteCollection`` (``WebScriptHostHttpRoutesManager``
-> ``WebJobsRouteBuilder.Build``, which does not reorder), and the first route whose template and
HTTP-method constraint both match takes the request. A literal route therefore loses to a
parameter route of a function whose name sorts first, and a catch-all ``{*path}`` is the last
resort only if its function's name sorts after every other HTTP function's. A request no route
takes, a known path with a method nobody serves included, is the host's empty 404
(azure-functions-host #10098).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from ...errors import AppLoadError
from ...services.loader import HttpFunction

#: Stand-in for a ``/`` that was percent-encoded inside one segment (kept out of the split).
_ENCODED_SLASH = "\x00"

Constraint = Callable[[str], bool]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$")
_ALPHA = re.compile(r"^[A-Za-z]*$")
_GUID_FORMS = (
    re.compile(r"^[0-9a-f]{32}$", re.I),  # N
    re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I),  # D
    re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$", re.I),  # B
    re.compile(r"^\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)$", re.I),  # P
)
_DATETIME_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y/%m/%d")


def _integer_in(bounds: tuple[int, int]) -> Constraint:
    def check(value: str) -> bool:
        return bool(_INTEGER.match(value)) and bounds[0] <= int(value) <= bounds[1]

    return check


def _is_guid(value: str) -> bool:
    if any(form.match(value) for form in _GUID_FORMS):
        uuid.UUID(value.strip("{}()"))
        return True
    return False


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    for fmt in _DATETIME_FORMATS:
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    return False


def _as_long(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError as err:
        raise ValueError(f"constraint argument {text!r} is not an integer") from err


def _arguments(text: str, count: tuple[int, ...], name: str) -> list[str]:
    args = [a.strip() for a in text.split(",")] if text else []
    if len(args) not in count:
        raise ValueError(f"constraint '{name}' takes {' or '.join(map(str, count))} argument(s)")
    return args


def _build_constraint(name: str, argument: str | None) -> Constraint:
    """One ASP.NET inline constraint; ``argument`` is the text inside the parentheses."""
    key = name.lower()
    if argument is None:
        simple: dict[str, Constraint] = {
            "int": _integer_in(_INT32),
            "long": _integer_in(_INT64),
            "bool": lambda v: v.lower() in ("true", "false"),
            "guid": _is_guid,
            "alpha": lambda v: bool(_ALPHA.match(v)),
            "datetime": _is_datetime,
            "decimal": lambda v: bool(_DECIMAL.match(v)),
            "double": lambda v: bool(_NUMBER.match(v)),
            "float": lambda v: bool(_NUMBER.match(v)),
            "required": lambda v: v != "",
            # ext-free approximations of FileNameRouteConstraint: "a file name has an extension".
            "file": lambda v: "." in v.rsplit("/", 1)[-1].strip(".")[1:],
            "nonfile": lambda v: "." not in v.rsplit("/", 1)[-1].strip(".")[1:],
        }
        if key in simple:
            return simple[key]
        raise ValueError(f"unknown route constraint '{name}'")
    if key == "regex":
        # RegexRouteConstraint: case-insensitive, culture-invariant, IsMatch (not anchored).
        pattern = re.compile(argument, re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    if key in ("minlength", "maxlength", "min", "max"):
        (bound,) = (_as_long(a) for a in _arguments(argument, (1,), name))
        return {
            "minlength": lambda v: len(v) >= bound,
            "maxlength": lambda v: len(v) <= bound,
            "min": lambda v: bool(_INTEGER.match(v)) and int(v) >= bound,
            "max": lambda v: bool(_INTEGER.match(v)) and int(v) <= bound,
        }[key]
    if key == "length":
        bounds = [_as_long(a) for a in _arguments(argument, (1, 2), name)]
        low, high = (bounds[0], bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
        return lambda v: low <= len(v) <= high
    if key == "range":
        low, high = (_as_long(a) for a in _arguments(argument, (2,), name))
        return lambda v: bool(_INTEGER.match(v)) and low <= int(v) <= high
    raise ValueError(f"unknown route constraint '{name}({argument})'")


@dataclass(frozen=True)
class RouteParameter:
    """One ``{...}`` of a template."""

    name: str
    optional: bool = False
    default: str | None = None
    catch_all: bool = False
    constraints: tuple[Constraint, ...] = field(default=(), compare=False)

    def accepts(self, value: str) -> bool:
        return all(check(value) for check in self.constraints)


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses (a ``regex(a:b)`` argument may contain ``:``)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _parse_parameter(body: str, template: str) -> RouteParameter:
    """``[*]name[:constraint[(arg)]]...[?|=default]`` (ASP.NET ``RouteParameterParser``)."""
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    body, *default_part = _split_top_level(body, "=")
    default = "=".join(default_part) if default_part else None
    optional = body.endswith("?")
    body = body[:-1] if optional else body
    head, *constraint_texts = _split_top_level(body, ":")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", head):
        raise ValueError(f"invalid route parameter name {head!r} in route template {template!r}")
    constraints = []
    for text in constraint_texts:
        # Braces inside a constraint are escaped by doubling: regex(^\\d{{3}}$).
        text = text.replace("{{", "{").replace("}}", "}")
        match = re.fullmatch(r"([A-Za-z]+)(?:\((.*)\))?", text, re.S)
        if not match:
            raise ValueError(f"invalid route constraint {text!r} in route template {template!r}")
        try:
            constraints.append(_build_constraint(match.group(1), match.group(2)))
        except (ValueError, re.error) as err:
            raise ValueError(f"{err} in route template {template!r}") from err
    return RouteParameter(head, optional or default is not None, default, catch_all, tuple(constraints))


def _tokenize_segment(segment: str, template: str) -> list[str | RouteParameter]:
    """Literal text and parameters of one segment; ``{{``/``}}`` escape braces."""
    parts: list[str | RouteParameter] = []
    literal: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if segment.startswith("{{", i) or segment.startswith("}}", i):
            literal.append(ch)
            i += 2
        elif ch == "{":
            depth, j = 0, i + 1
            while j < len(segment):
                if segment[j] == "(":
                    depth += 1
                elif segment[j] == ")":
                    depth -= 1
                elif segment[j] == "}" and depth <= 0:
                    break
                j += 1
            if j >= len(segment):
                raise ValueError(f"unclosed '{{' in route template {template!r}")
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_parse_parameter(segment[i + 1 : j], template))
            i = j + 1
        elif ch == "}":
            raise ValueError(f"unmatched '}}' in route template {template!r}")
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _split_template(template: str) -> list[str]:
    """Segments of ``template``, splitting on ``/`` outside braces."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in template:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "/" and depth == 0:
            segments.append("".join(current))
            current = []
        else:
            current.append(ch)
    segments.append("".join(current))
    return [s for s in segments if s != ""]


class RouteTemplate:
    """A compiled route template; :meth:`match` returns decoded route values or ``None``."""

    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self.parameters: dict[str, RouteParameter] = {}
        self._groups: dict[str, str] = {}
        pattern: list[str] = []
        segments = _split_template(self.template)
        for index, segment in enumerate(segments):
            parts = _tokenize_segment(segment, template)
            separator = "/" if index else ""
            if len(parts) == 1 and isinstance(parts[0], RouteParameter) and parts[0].catch_all:
                group = self._add(parts[0])
                pattern.append(f"(?:{separator}(?P<{group}>.*))?")
                if index != len(segments) - 1:
                    raise ValueError(f"a catch-all parameter must be last in route template {template!r}")
            elif len(parts) == 1 and isinstance(parts[0], RouteParameter):
                param = parts[0]
                group = self._add(param)
                body = f"{separator}(?P<{group}>[^/]+)"
                pattern.append(f"(?:{body})?" if param.optional else body)
            else:
                pieces = []
                for part in parts:
                    if isinstance(part, str):
                        pieces.append(re.escape(part))
                        continue
                    # Greedy: ASP.NET matches complex segments from the right, so
                    # "{name}.{ext}" splits "a.b.pdf" into "a.b" and "pdf".
                    group = self._add(part)
                    piece = f"(?P<{group}>[^/]+)"
                    pieces.append(f"{piece}?" if part.optional else piece)
                pattern.append(separator + "".join(pieces))
        self._regex = re.compile("^" + "".join(pattern) + "$", re.IGNORECASE | re.DOTALL)

    def _add(self, param: RouteParameter) -> str:
        if param.name.lower() in (n.lower() for n in self.parameters):
            raise ValueError(f"route parameter '{param.name}' appears twice in {self.template!r}")
        group = f"p{len(self.parameters)}"
        self.parameters[param.name] = param
        self._groups[group] = param.name
        return group

    def match(self, path: str) -> dict[str, str] | None:
        """Match a raw (still percent-encoded) path relative to the route prefix."""
        segments = [unquote(s).replace("/", _ENCODED_SLASH) for s in path.strip("/").split("/")]
        decoded = "/".join(s for s in segments if s != "")
        found = self._regex.match(decoded)
        if found is None:
            return None
        values: dict[str, str] = {}
        for group, name in self._groups.items():
            param = self.parameters[name]
            raw = found.group(group)
            if raw is None or raw == "":
                if param.default is not None:
                    values[name] = param.default
                continue
            value = raw.replace(_ENCODED_SLASH, "/")
            if not param.accepts(value):
                return None
            values[name] = value
        return values

    def __repr__(self) -> str:
        return f"RouteTemplate({self.template!r})"


@dataclass(frozen=True)
class RouteMatch:
    """A function route that matched a request, with its decoded route values."""

    function: HttpFunction
    values: dict[str, str]


def function_order(name: str) -> str:
    """Sort key of a function name as .NET's ``StringComparer.OrdinalIgnoreCase`` compares it.

    OrdinalIgnoreCase compares upper-cased UTF-16 code units, so ``_`` (0x5F) sorts after every
    letter: ``ab`` < ``a_b``, where a lower-casing key would put ``a_b`` first.
    """
    return name.upper()


class FunctionRoutes:
    """The HTTP functions of an app under ``/{routePrefix}/``, tried in the Functions host's order.

    That order is the function names' (``OrdinalIgnoreCase``), whatever the routes look like; the
    first route whose template and methods match answers (module docstring).
    """

    def __init__(self, functions: Iterable[HttpFunction], route_prefix: str = "api") -> None:
        self.prefix = route_prefix.strip("/")
        routes = []
        for function in sorted(functions, key=lambda f: function_order(f.name)):
            try:
                routes.append((RouteTemplate(function.route), function))
            except ValueError as err:
                raise AppLoadError(f"Function '{function.name}' has an invalid route: {err}") from err
        self.routes = routes

    def relative(self, raw_path: str) -> str | None:
        """The part of ``raw_path`` after the route prefix, or ``None`` if outside it."""
        path = raw_path.lstrip("/")
        if not self.prefix:
            return path
        head, _, rest = path.partition("/")
        return rest if head.lower() == self.prefix.lower() else None

    def resolve(self, raw_path: str, method: str) -> RouteMatch | None:
        """The first route, in function-name order, whose template and methods match; else ``None``.

        A route whose template matches but whose methods do not is passed over like any other
        non-matching route (ASP.NET ``RouteCollection`` with an ``HttpMethodRouteConstraint``), so
        a later catch-all may still take the request.
        """
        relative = self.relative(raw_path)
        if relative is None:
            return None
        for template, function in self.routes:
            if method.upper() not in function.methods:
                continue
            values = template.match(relative)
            if values is not None:
                return RouteMatch(function, values)
        return None

    def urls(self, base_url: str) -> dict[str, str]:
        """``function name -> public URL`` for start-up banners."""
        prefix = f"/{self.prefix}" if self.prefix else ""
        return {f.name: f"{base_url.rstrip('/')}{prefix}/{t.template}" for t, f in self.routes}
