"""How a failed Python function is reported: in TaskFailed, and in the host's log.

The Python worker reports an exception as ``RpcException(message=f"{type}: {exc}", stack)``
(azure-functions-python-worker ``dispatcher._serialize_exception``); the Functions host turns it
into ``"Result: Failure\\nException: <message>\\nStack: <stack>"`` (host ``RpcException``).

* The activity's TaskFailed gets ``Reason = "Activity function '<name>' failed: " + friendly``,
  where ``friendly`` is the text between ``"\\nException:"`` and ``"\\nStack:"`` of that message,
  so it starts with the space after the colon: two spaces follow ``failed:`` (ext
  ``OutOfProcExceptionHelpers.TryGetFullOutOfProcMessage``, ``TaskActivityShim.RunAsync``).
  ``Details`` is the extension's serialized cause: one line of JSON, a ``System.Exception``
  whose ``Message`` is ``friendly`` and whose inner exception is the RpcException (ext
  ``Utils.SerializeCause``). The orchestrator sees ``Exception(f"{Reason} \\n {Details}")``.
* The host logs ``Executed 'Functions.<name>' (Failed, Id=..., Duration=...ms)`` followed by the
  flattened exception, one line per line of text (Core Tools' console logger prefixes each):
  ``System.Private.CoreLib: Exception while executing function: Functions.<name>.
  System.Private.CoreLib: Result: Failure``, ``Exception: <type>: <message>``, ``Stack: ...``
  (webjobs ``FunctionExecutor``, host ``Utility.FlattenException``).

The serialized cause's member list is that of .NET's ``Exception`` ISerializable members as
Newtonsoft writes them with ``TypeNameHandling.Objects``; it was read from source, not captured.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Frames of these files (the host, and the thread/loop plumbing it calls user code through)
#: come before the user's first frame and are left out of reported stacks.
_HOST_FILES = (
    str(Path(__file__).resolve().parents[1]),
    str(Path(concurrent.futures.__file__).resolve().parent),
    str(Path(asyncio.__file__).resolve().parent),
)
_HRESULT_EXCEPTION = -2146233088  # COR_E_EXCEPTION


@dataclass(frozen=True)
class WorkerError:
    """An exception as the Python worker reports it: plain text, so it can cross processes."""

    #: ``"<unqualified type name>: <str(exc)>"``
    message: str
    #: ``traceback.extract_tb(...).format()`` joined, from the user's frames on
    stack: str

    @classmethod
    def of(cls, err: BaseException) -> WorkerError:
        if isinstance(err, FunctionFailed):  # reported by a worker process: already in this form
            return err.error
        if isinstance(err, WorkerProcessExited):
            # host TryFailExecutions: the invocation fails with the WorkerProcessExitException.
            return cls(f"WorkerProcessExitException: {err}", "")
        tb = err.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HOST_FILES):
            tb = tb.tb_next
        return cls(f"{type(err).__name__}: {err}", "".join(traceback.extract_tb(tb).format()))

    @property
    def rpc_message(self) -> str:
        """host ``RpcException.Message``: ``Result: Failure\nException: ...\nStack: ...``."""
        return f"Result: Failure\nException: {self.message}\nStack: {self.stack}"


class FunctionFailed(Exception):
    """A function failed in a worker process; ``error`` is the worker's report of the exception."""

    def __init__(self, error: WorkerError) -> None:
        super().__init__(error.message)
        self.error = error


class WorkerProcessExited(Exception):
    """The worker process running an invocation exited (host ``WorkerProcessExitException``).

    The message is the host's: ``python exited with code 137 (0x89)`` (a SIGKILL shows as 128 + 9,
    as .NET reports it on Linux).
    """


def _dotnet_exception(type_name: str, assembly: str, message: str, inner: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "$type": f"{type_name}, {assembly}",
        "ClassName": type_name,
        "Message": message,
        "Data": None,
        "InnerException": inner,
        "HelpURL": None,
        "StackTraceString": None,
        "RemoteStackTraceString": None,
        "RemoteStackIndex": 0,
        "ExceptionMethod": None,
        "HResult": _HRESULT_EXCEPTION,
        "Source": None,
        "WatsonBuckets": None,
    }


def activity_failure_fields(activity_name: str, error: WorkerError) -> tuple[str, str]:
    """``(Reason, Details)`` of the TaskFailed for an activity that raised ``error``."""
    rpc = error.rpc_message
    friendly = " " + error.message
    inner = _dotnet_exception(
        "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException", "Microsoft.Azure.WebJobs.Script", rpc, None
    )
    inner["Source"] = "System.Private.CoreLib"
    cause = _dotnet_exception("System.Exception", "System.Private.CoreLib", friendly, inner)
    details = json.dumps(cause, ensure_ascii=False, separators=(",", ":"))
    return f"Activity function '{activity_name}' failed: {friendly}", details


def disabled_activity_fields(activity_name: str) -> tuple[str, str]:
    """TaskFailed of a disabled activity (ext ``TaskNonexistentActivityShim``, isDisabled)."""
    message = f"Activity function '{activity_name}' is disabled."
    cause = _dotnet_exception(
        "Microsoft.Azure.WebJobs.Extensions.DurableTask.FunctionFailedException",
        "Microsoft.Azure.WebJobs.Extensions.DurableTask",
        message,
        None,
    )
    return f"Activity function '{activity_name}' failed: {message}", json.dumps(cause, separators=(",", ":"))


def log_failed_invocation(
    logger: logging.Logger, function_name: str, invocation_id: object, duration_ms: float, error: WorkerError | None
) -> None:
    """The host's ``Executed ... (Failed ...)`` line, then the flattened exception line by line."""
    logger.error(
        "Executed 'Functions.%s' (Failed, Id=%s, Duration=%dms)", function_name, invocation_id, duration_ms
    )
    if error is None:
        return
    # host Utility.FlattenException: "{Source}: {Message}" per exception, "." appended when missing.
    flattened = (
        f"System.Private.CoreLib: Exception while executing function: Functions.{function_name}. "
        f"System.Private.CoreLib: {error.rpc_message}"
    )
    if not flattened.endswith("."):
        flattened += "."
    for line in flattened.splitlines():
        logger.error("%s", line)
