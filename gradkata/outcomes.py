"""What one test's exception means for the learner: todo, timeout or a mistake.

Tests never catch the learner's exceptions themselves; the plugin hands
them here. A ``NotImplementedError`` raised by a stub becomes
:class:`ExerciseTodo` (a pytest skip, so hypothesis re-raises it at once
instead of shrinking); anything else becomes one short explanation.
"""

from __future__ import annotations

import functools
import traceback
from pathlib import Path

import pytest

from .checks.failure import CheckFailure
from .loader import REFERENCE_PACKAGE, SUBMISSION_PACKAGE
from .messages import Message

_Skipped = pytest.skip.Exception  # pytest's Skipped and Failed outcomes, public spellings
_Failed = pytest.fail.Exception

_GRADED_PACKAGES = (SUBMISSION_PACKAGE + "_", REFERENCE_PACKAGE + "_")


class ExerciseTodo(_Skipped):
    """A stub still raises ``NotImplementedError``.

    origins: ``topic.name`` of the graded functions on the raising stack,
    innermost first; grading picks the first that is an exercise id.
    """

    def __init__(self, origins: tuple[str, ...]):
        super().__init__(
            msg=f"todo: {origins[0] if origins else '?'} raises NotImplementedError", pytrace=False
        )
        self.origins = origins


class TimedOut(BaseException):
    """The per-test time limit fired; a BaseException so hypothesis never replays it."""


class WorkerFailed(BaseException):
    """Under ``--isolate``: a call outlived ``--call-timeout`` or ``--memory-limit``, ended
    its worker process, or tampered with torch or the grader. ``message`` (a
    :class:`~gradkata.messages.Message`; ``str()``: its English) says which.

    A BaseException, like :class:`TimedOut`: hypothesis must not replay the example
    (each replay would start a worker again), and no check may catch it as an answer.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def todo_origins(error: BaseException) -> tuple[str, ...] | None:
    """The graded functions a ``NotImplementedError`` came from, innermost first.

    None when the raising frame is not graded code (torch itself raises
    ``NotImplementedError`` for unsupported ops: that is an error, not a todo).
    """
    remote = getattr(error, "gradkata_origins", False)  # raised in an --isolate worker
    if remote is not False:
        return remote
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    if not frames or _graded_name(frames[-1]) is None:
        return None
    names = (_graded_name(frame) for frame in reversed(frames))
    return tuple(dict.fromkeys(name for name in names if name is not None))


def _graded_name(frame) -> str | None:
    module = frame.f_globals.get("__name__", "")
    if not module.startswith(_GRADED_PACKAGES) or "." not in module:
        return None
    topic = module.split(".", 1)[1]
    return f"{topic}.{frame.f_code.co_qualname.split('.')[0]}"


def convert(error: BaseException) -> BaseException:
    """The exception a graded test should raise instead of ``error`` (or ``error``)."""
    if isinstance(error, NotImplementedError):
        origins = todo_origins(error)
        if origins is not None:
            return ExerciseTodo(origins)
    if isinstance(error, _Failed) and str(error).startswith("Timeout"):
        return TimedOut(str(error))
    return error


def wrap_hypothesis_test(test_function) -> None:
    """Convert todo and timeouts inside a hypothesis test before it can shrink them."""
    handle = getattr(getattr(test_function, "__func__", test_function), "hypothesis", None)
    if handle is None or getattr(handle.inner_test, "_gradkata_wrapped", False):
        return
    inner = handle.inner_test

    @functools.wraps(inner)
    def converting(*args, **kwargs):
        try:
            return inner(*args, **kwargs)
        except (NotImplementedError, _Failed) as error:
            replacement = convert(error)
            if replacement is error:
                raise
            raise replacement from None

    converting._gradkata_wrapped = True
    handle.inner_test = converting


def explain(error: BaseException, timeout: float | None = None) -> str:
    """One short learner-facing explanation of a failed check.

    A :class:`~gradkata.messages.Message` where gradkata wrote the words (a
    ``str``: its English; reports render it in the learner's language); a
    plain ``str`` for a bare ``assert`` in a course author's own test.
    """
    if isinstance(error, CheckFailure):
        return getattr(error, "message", None) or str(error)
    if isinstance(error, WorkerFailed):
        return getattr(error, "message", None) or str(error)
    if isinstance(error, TimedOut) or (isinstance(error, _Failed) and "Timeout" in str(error)):
        limit = Message("outcomes.seconds", seconds=timeout) if timeout else ""
        return Message("outcomes.time_limit", limit=limit)
    if isinstance(error, AssertionError):
        first_line = (str(error).strip().splitlines() or ["assertion failed"])[0]
        return first_line
    where = _learner_location(error)
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if not where:  # nothing of the learner's on the stack: say so rather than blame them
        return Message("outcomes.check_raised", error=text)
    return Message("outcomes.your_code_raised", error=text, where=where)


def _learner_location(error: BaseException) -> Message | str:
    found = graded_location(error)
    if found is None:
        return ""
    name, file, line = found
    return Message("outcomes.in_function", name=name, file=file, line=line)


def graded_location(error: BaseException) -> tuple[str, str, int] | None:
    """``(function, file name, line)`` of the innermost graded frame of ``error``'s traceback."""
    remote = getattr(error, "gradkata_where", None)  # raised in an --isolate worker
    if remote is not None:
        return remote
    for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
        name = _graded_name(frame)
        if name is not None:
            return name.split(".", 1)[1], Path(frame.f_code.co_filename).name, line
    return None
