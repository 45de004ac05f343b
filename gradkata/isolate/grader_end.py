"""The test process's end of a worker connection.

It trusts nothing it receives: messages are unpickled with the restricted
unpickler, a reply must come within ``--call-timeout``, and a worker that
breaks the protocol, dies or runs out of time is killed (``on_end`` does
that and says how it ended) and reported as :class:`WorkerFailed`. A check
that fails in the worker, and a worker's account of why it must end, cross
as message data (:func:`gradkata.messages.to_data`) and are rebuilt here, so
they still speak every language the grader speaks. It serves
the worker's call-backs into objects the tests passed it, and nothing else:
public attributes only, so a worker cannot walk from a callback to the
modules of the test process.
"""

from __future__ import annotations

import builtins
import dataclasses
import itertools
import operator
import time
import types
from collections.abc import Callable

import torch

from ..checks.failure import CheckFailure
from ..messages import Message, from_data
from ..outcomes import WorkerFailed
from .peer import Peer
from .protocol import ConnectionLost, Deadline

RECORD = "R"
OPERATORS: dict[str, Callable] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
    "matmul": operator.matmul, "getitem": operator.getitem, "setitem": operator.setitem,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert,
    "iter": iter, "next": next, "len": len, "float": float, "int": int, "index": operator.index,
    "repr": repr,
}
ENDED_KINDS = frozenset({"ended", "memory", "tamper", "unsendable"})


class RemoteError(Exception):
    """An exception of a class defined by the code under grade, raised in its worker."""


class GraderEnd(Peer):
    """``on_end(kind, detail)`` kills the worker and returns why it ended, as what the
    code did ("did not return within 2 s ..."): :class:`WorkerFailed` says "your code"
    before it. ``ended`` keeps that reason once the connection is over."""

    role = "t"

    def __init__(self, sock, *, timeout: float, on_end: Callable[[str, str], str]):
        super().__init__(sock)
        self.timeout = timeout
        self._on_end = on_end
        self._raised: dict[int, BaseException] = {}  # raised here in a call-back, by token
        self._tokens = itertools.count(1)

    def request(self, body: tuple):
        if self.ended is not None:
            raise WorkerFailed(Message("isolate.ended_worker", why=self._your_code()))
        outermost = self.deadline is None
        if outermost:
            self.deadline = time.monotonic() + self.timeout
        try:
            return super().request(body)
        except Deadline:
            raise self.end("timeout", "") from None
        except ConnectionLost as error:
            raise self.end("lost", str(error)) from None
        except Exception:
            raise  # the code under grade's own exception, or a call-back's
        except BaseException:
            self.end("interrupted", "")  # pytest-timeout, ^C: the worker is mid-call
            raise
        finally:
            if outermost:
                self.deadline = None
                self._raised.clear()

    def end(self, kind: str, detail: str) -> WorkerFailed:
        if self.ended is None:
            self.ended = self._on_end(kind, detail)
        return WorkerFailed(self._your_code())

    def _your_code(self) -> Message:
        return Message("isolate.your_code", what=self.ended)

    def describe(self, proxy) -> str | None:
        if self.ended is not None:
            return None
        try:
            text = self.request(("op", "repr", (proxy,)))
        except (Exception, WorkerFailed):
            return None
        return text if isinstance(text, str) else None

    # -- what comes back --------------------------------------------------------------------
    def outcome(self, payload):
        if not (isinstance(payload, tuple) and len(payload) == 2):
            raise ConnectionLost("a malformed reply")
        status, value = payload
        if status == "ok":
            return value
        if status != "error" or not (isinstance(value, tuple) and len(value) == 6):
            raise ConnectionLost("a malformed reply")
        raise self._rebuild(*value)

    def _rebuild(self, kind, type_name, message, where, origins, token) -> BaseException:
        """``message``: the exception's text; for a failed check and the ended kinds, a
        text as :func:`~gradkata.messages.to_data` keeps it (a message in every language)."""
        if not isinstance(type_name, str):
            raise ConnectionLost("a malformed error")
        if token in self._raised:
            return self._raised[token]
        if kind == "check":
            return CheckFailure(received_text(message))
        if kind in ENDED_KINDS:
            return self.end(kind, received_text(message))
        if not isinstance(message, str):
            raise ConnectionLost("a malformed error")
        error = _builtin_error(type_name, message)
        if _is_location(where):
            error.gradkata_where = where
        if origins is None or (isinstance(origins, tuple)
                               and all(isinstance(o, str) for o in origins)):
            if isinstance(error, NotImplementedError):
                error.gradkata_origins = origins
        return error

    # -- serving call-backs ---------------------------------------------------------------------
    def dispatch(self, body):
        if not (isinstance(body, tuple) and body and isinstance(body[0], str)):
            raise ConnectionLost("a malformed request")
        op, *args = body
        if op == "call" and len(args) == 3 and isinstance(args[1], tuple) \
                and isinstance(args[2], dict):
            return args[0](*args[1], **args[2])
        if op in ("getattr", "setattr", "delattr") and isinstance(args[1], str):
            if args[1].startswith("_"):
                raise AttributeError(f"{args[1]!r}: only public attributes of the test's "
                                     f"objects can be used from a worker")
            return getattr(builtins, op)(args[0], *args[1:])
        if op == "op" and args[0] in OPERATORS and args[0] != "repr" \
                and isinstance(args[1], tuple):
            return OPERATORS[args[0]](*args[1])
        raise PermissionError(f"the test process does not serve {op!r}")

    def error_info(self, error: BaseException) -> tuple:
        token = next(self._tokens)
        self._raised[token] = error
        return ("raised", type(error).__name__, str(error), None, None, token)

    def convert(self, obj):
        if isinstance(obj, torch.Tensor):
            return self.mirror.tensor_record(obj, obj.as_subclass(torch.Tensor)
                                             if type(obj) is not torch.Tensor else obj)
        if isinstance(obj, types.ModuleType):
            raise TypeError(f"the module {obj.__name__} cannot be passed to a worker")
        if dataclasses.is_dataclass(obj) and type(obj).__module__.startswith("gradkata."):
            cls = type(obj)  # the grader's own records (ForbiddenRules): sent by value
            fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
            return (RECORD, cls.__module__, cls.__qualname__, fields)
        return None


def received_text(data) -> str:
    """A text a worker sent as :func:`~gradkata.messages.to_data` made it: a
    :class:`~gradkata.messages.Message` again where its key and fields fit our catalogues,
    else the English it came with. Anything but a text breaks the protocol."""
    if type(data) is str:
        return data
    if not isinstance(data, dict):
        raise ConnectionLost("a malformed text")
    try:
        text = from_data(data)
    except Exception:  # nested beyond recursion, say: the worker is trusted for nothing
        text = None
    if not isinstance(text, str):
        raise ConnectionLost("a malformed text")
    return text


def _builtin_error(type_name: str, message: str) -> Exception:
    cls = getattr(builtins, type_name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            return cls(message)
        except Exception:  # a builtin that wants other arguments (UnicodeDecodeError)
            pass
    return RemoteError(f"{type_name}: {message}" if message else type_name)


def _is_location(where) -> bool:
    return (isinstance(where, tuple) and len(where) == 3 and isinstance(where[0], str)
            and isinstance(where[1], str) and type(where[2]) is int)
