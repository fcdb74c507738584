"""The Python worker's load-time checks of a function's parameters against its bindings.

The worker refuses a function whose Python signature and declared bindings disagree
(worker ``functions.py`` ``Registry.add_function`` / ``validate_function_params``), before
any request reaches it; the host then reports ``FunctionLoadError: cannot load the <name>
function: <reason>``. The same checks run here at start-up, with the newer worker's wording
(the one that says "function definition (function.json or function decorators)").

Type checks use the ``azure.functions`` binding registry, as the worker does; bindings it has no
converter for (``table``) are the worker's generic binding, which takes ``str`` and ``bytes``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import FunctionLoadError
from ..invocation.conversion import GenericBinding as _Generic
from ..invocation.conversion import converter, has_implicit_output


def _direction(binding: Mapping[str, Any]) -> str:
    direction = binding.get("direction")
    return str(getattr(direction, "name", direction) or "IN").upper()


def _is_out(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    target = origin if origin is not None else annotation
    return isinstance(target, type) and target.__name__ == "Out"


def _matches(check: Callable[[type], bool], pytype: Any) -> bool:
    try:
        return bool(check(pytype))
    except TypeError:  # a typing construct issubclass cannot take: the worker fails on it too
        return False


def annotations_of(fn: Callable[..., Any]) -> dict[str, Any]:
    """The parameters' resolved type hints (``typing.get_type_hints``, as the worker reads them)."""
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return {k: v for k, v in getattr(fn, "__annotations__", {}).items() if not isinstance(v, str)}


def validate_function(name: str, fn: Callable[..., Any], bindings: list[Mapping[str, Any]]) -> None:
    """Raise :class:`FunctionLoadError` where the worker would refuse the function."""
    params = dict(inspect.signature(fn).parameters)
    annotations = annotations_of(fn)
    bound: dict[str, Mapping[str, Any]] = {}
    explicit_return: Mapping[str, Any] | None = None
    for binding in bindings:
        binding_name = str(binding.get("name"))
        direction = _direction(binding)
        if direction == "INOUT":
            raise FunctionLoadError(name, '"inout" bindings are not supported')
        if binding_name == "$return":
            if direction != "OUT":
                raise FunctionLoadError(name, '"$return" binding must have direction set to "out"')
            explicit_return = binding
        else:
            bound[binding_name] = binding

    if "context" in params and "context" not in bound:
        params.pop("context")
        anno = annotations.get("context")
        if "context" in annotations and (not isinstance(anno, type) or anno.__name__ != "Context"):
            raise FunctionLoadError(
                name, f'the "context" parameter is expected to be of type azure.functions.Context, got {anno!r}'
            )

    missing_bindings = set(params) - set(bound)
    if missing_bindings:
        raise FunctionLoadError(
            name,
            "the following parameters are declared in Python but not in the function definition "
            f"(function.json or function decorators):  {missing_bindings!r}",
        )
    missing_params = set(bound) - set(params)
    if missing_params:
        raise FunctionLoadError(
            name,
            "the following parameters are declared in the function definition (function.json or function "
            f"decorators) but not in Python: {missing_params!r}",
        )
    for param in params:
        _check_param(name, param, bound[param], annotations)
    if explicit_return is not None and "return" in annotations:
        _check_return(name, str(explicit_return.get("type")), annotations["return"])


def _check_param(name: str, param: str, binding: Mapping[str, Any], annotations: Mapping[str, Any]) -> None:
    """One parameter, as ``validate_function_params`` checks it."""
    if param not in annotations:
        return
    anno = annotations[param]
    btype = str(binding.get("type"))
    is_param_out = _is_out(anno)
    is_binding_out = _direction(binding) == "OUT"
    pytype = anno
    if is_param_out:
        args = typing.get_args(anno)
        if len(args) != 1:
            raise FunctionLoadError(name, f"binding {param} has invalid Out annotation {anno!r}")
        pytype = args[0]
    if not isinstance(pytype, type) and typing.get_origin(pytype) is None:
        raise FunctionLoadError(name, f"binding {param} has invalid non-type annotation {anno!r}")
    if is_binding_out and not is_param_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "out" direction, but its annotation in Python is not a '
            "subclass of azure.functions.Out",
        )
    if not is_binding_out and is_param_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "in" direction in the function definition (function.json '
            "or function decorators), but its annotation is azure.functions.Out in Python",
        )
    use = _Generic if pytype in (str, bytes) and not has_implicit_output(btype) else converter(btype)
    check = use.check_output_type_annotation if is_param_out else use.check_input_type_annotation
    if _matches(check, pytype):
        return
    type_name = getattr(pytype, "__name__", repr(pytype))
    data_type = binding.get("dataType")
    if data_type is not None:
        data_type = getattr(data_type, "value", data_type)
        raise FunctionLoadError(
            name,
            f'{param!r} binding type "{btype}" and dataType "{data_type}" in function definition (function.json '
            "or function decorators) do not match the corresponding function parameter's Python type annotation "
            f'"{type_name}"',
        )
    raise FunctionLoadError(
        name,
        f'type of {param} binding in function definition (function.json or function decorators) "{btype}" does '
        f'not match its Python annotation "{type_name}"',
    )


def _check_return(name: str, btype: str, anno: Any) -> None:
    """``get_function_return_type`` for an explicit ``$return`` binding."""
    if _is_out(anno):
        raise FunctionLoadError(name, "return annotation should not be azure.functions.Out")
    if not isinstance(anno, type):
        raise FunctionLoadError(name, f"has invalid non-type return annotation {anno!r}")
    # The worker compares ``return_pytype is (str, bytes)`` -- never true -- so str/bytes get
    # no generic fallback here either: the binding's own converter decides.
    if not _matches(converter(btype).check_output_type_annotation, anno):
        raise FunctionLoadError(name, f'Python return annotation "{anno.__name__}" does not match binding type "{btype}"')
