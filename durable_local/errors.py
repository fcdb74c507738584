"""The local host's exception tree.

::

    DurableLocalError                    base of everything raised on purpose
    ├── AppLoadError                     function_app.py cannot be imported or indexed (startup)
    │   ├── UnsupportedBindingError      a trigger/binding the local host does not emulate
    │   ├── FunctionLoadError            parameters and bindings disagree (the Python worker's wording)
    │   └── MissingSettingError          a %SETTING% or connection setting the app names is not set
    ├── ClientRequestError               a management call the caller got wrong  -> HTTP 400
    │   ├── OrchestratorNotFound         no orchestrator of that name             -> 400
    │   ├── InvalidInstanceId            id breaks the extension's id rules      -> 400
    │   ├── EntityFunctionNotFound       no entity of that name                   -> 400
    │   └── NotSupportedError            a feature the local host leaves out     -> 501 / CLI error
    ├── InstanceNotFound                 no such instance                         -> 404
    ├── InstanceAlreadyExists            a running instance holds that id        -> 409 (the extension: 500)
    ├── InstanceGone                     instance is finished for this operation -> 410
    ├── InvalidOperation                 not allowed in the instance's state     -> 500 (as the extension)
    ├── BindingError                     an output binding could not be written (the invocation fails)
    └── StoreError                       the state file failed us (retried by the dispatcher)
        └── StaleCompletion              a completion for a lost lease / old execution; dropped

Messages say what happened and what to do next; HTTP mapping lives in ``durable_local.frontends.http.responses``.
"""

from __future__ import annotations

from collections.abc import Iterable


class DurableLocalError(Exception):
    """Base class of every error the local host raises deliberately."""


class AppLoadError(DurableLocalError):
    """The app directory could not be imported or indexed."""


class UnsupportedBindingError(AppLoadError):
    """A function uses a trigger or binding the local host cannot run."""

    def __init__(self, function_name: str, binding_type: str, hint: str = "") -> None:
        self.function_name = function_name
        self.binding_type = binding_type
        message = (
            f"Function '{function_name}' uses binding type '{binding_type}', "
            "which the local Durable host does not support"
        )
        super().__init__(f"{message}. {hint}".strip() if hint else message + ".")


class FunctionLoadError(AppLoadError):
    """The Python worker would refuse to load this function (worker ``functions.py`` ``FunctionLoadError``)."""

    def __init__(self, function_name: str, message: str) -> None:
        self.function_name = function_name
        super().__init__(f"FunctionLoadError: cannot load the {function_name} function: {message}")


class MissingSettingError(AppLoadError):
    """An app setting the app refers to (``%NAME%``, a binding's ``connection``) does not exist."""


class ClientRequestError(DurableLocalError):
    """The request was malformed; nothing was changed."""


class OrchestratorNotFound(ClientRequestError):
    """No orchestrator function with the requested name is registered."""

    def __init__(self, name: str, known: list[str] | None = None) -> None:
        self.name = name
        super().__init__(unavailable_function_message(name, "orchestrator", known or []))


def unavailable_function_message(name: str, kind: str, known: Iterable[str]) -> str:
    """ext ``DurableTaskExtension.GetInvalid...FunctionMessage`` (ThrowIfFunctionDoesNotExist)."""
    names = ", ".join(f"'{n}'" for n in sorted(known))
    info = f"The following are the known {kind} functions: {names}." if names else f"No {kind} functions are currently registered!"
    return f"The function '{name}' doesn't exist, is disabled, or is not an {kind} function. Additional info: {info}"


class InvalidInstanceId(ClientRequestError):
    """An instance id (or entity key) that the extension would reject."""


class EntityFunctionNotFound(ClientRequestError):
    """No entity function with the requested name is registered (the extension answers 400)."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(unavailable_function_message(name, "entity", known))


class NotSupportedError(ClientRequestError):
    """A Durable feature the local host deliberately leaves out."""


class InstanceNotFound(DurableLocalError):
    """No instance with that id exists."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id
        super().__init__(f"No instance with ID '{instance_id}' was found.")


class InstanceAlreadyExists(DurableLocalError):
    """A non-terminal instance already owns the id."""

    def __init__(self, instance_id: str, status: str) -> None:
        self.instance_id = instance_id
        self.status = status
        super().__init__(
            f"An orchestration with instance ID '{instance_id}' already exists and is {status}; "
            "wait for it to finish, terminate it, or choose another ID."
        )


class InstanceGone(DurableLocalError):
    """The instance has finished; the operation no longer applies (HTTP 410)."""

    def __init__(self, instance_id: str, status: str, operation: str) -> None:
        self.instance_id = instance_id
        self.status = status
        super().__init__(f"Cannot {operation} instance '{instance_id}': it is already {status}.")


class InvalidOperation(DurableLocalError):
    """The operation is not allowed in the instance's current state.

    The extension throws ``InvalidOperationException`` from ``DurableClient`` (suspend of a
    suspended instance, resume of a running one, rewind of one that did not fail), which its
    HTTP handler answers with 500; the Python client reports "unexpected status code 500".
    """


class BindingError(DurableLocalError):
    """An output binding (queue, table) could not be written; the invocation fails with it."""


class StoreError(DurableLocalError):
    """The state store failed; the work item is abandoned and retried."""


class StaleCompletion(StoreError):
    """A completion arrived for a lost lease or a previous execution; it is dropped."""
