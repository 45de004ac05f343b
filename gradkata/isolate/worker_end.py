"""A worker's end of the connection: it runs what the test process asks, in this process.

Everything it sends is plain data of exact builtin types (a ``str`` subclass
goes as a ``str``, a tensor subclass as a plain tensor, read with torch's
function handling off), so whatever the code under grade returns, the test
process compares real numbers. Fake and meta tensors, which have no data,
go as references. After every request the :class:`TamperGuard` puts back
what the code replaced in torch or the grader, and the request fails. A
failed check, and the reason a call must end the worker, go as message data
(:func:`gradkata.messages.to_data`): the test process rebuilds them in every
language.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib
import inspect
import random

import torch
from torch.utils._python_dispatch import _disable_current_modes

from .. import outcomes
from ..checks.failure import CheckFailure
from ..messages import Message, to_data
from .containment import TamperGuard
from .grader_end import OPERATORS, RECORD, RemoteError
from .peer import VALUE, Peer, Unsendable

PLAIN_BASES = (bool, int, float, complex, str, bytes)
CONTAINERS = (tuple, list, dict, set, frozenset)
MEMORY_WORDS = ("can't allocate memory", "not enough memory", "out of memory")


class Tampered(Exception):
    """The code under grade replaced something in torch or the grader (names in args[0])."""


@contextlib.contextmanager
def torch_functions_off():
    """No torch-function mode (the guard) or dispatch mode (fake tensors) sees our own work."""
    with torch._C.DisableTorchFunction(), _disable_current_modes():
        yield


class WorkerEnd(Peer):
    role = "w"
    served_errors = (BaseException,)  # sys.exit in the code under grade is reported, not obeyed

    def __init__(self, sock, handlers: dict):
        super().__init__(sock)
        self._handlers = handlers  # extra requests: "import", "module"
        self.tamper_guard: TamperGuard | None = None

    def _send(self, message: tuple) -> None:
        with torch_functions_off():  # reading tensors and generator states: our work, unseen
            super()._send(message)

    def _receive(self) -> tuple:
        with torch_functions_off():
            return super()._receive()

    # -- serving ----------------------------------------------------------------------------
    def dispatch(self, body):
        op, *args = body
        try:
            return self._run(op, args)
        finally:
            replaced = self.tamper_guard.restore() if self.tamper_guard is not None else []
            if replaced:
                raise Tampered(replaced)

    def _run(self, op: str, args: list):
        if op == "call":
            return args[0](*args[1], **args[2])
        if op in ("getattr", "setattr", "delattr"):
            return {"getattr": getattr, "setattr": setattr, "delattr": delattr}[op](*args)
        if op == "op":
            return OPERATORS[args[0]](*args[1])
        if op == "signature":
            return _signature(args[0])
        if op == "check":
            return _run_check(*args)
        if op == "seed":
            random.seed(args[0])
            torch.manual_seed(args[0])
            return None
        return self._handlers[op](*args)

    def error_info(self, error: BaseException) -> tuple:
        """``(kind, type name, message, where, origins, token)`` of an exception raised here."""
        token = getattr(error, "gradkata_token", None)
        name, message = type(error).__name__, _text(error)
        ending = _ending(error, name, message)
        if ending is not None:
            kind, why = ending
            return (kind, name, _as_data(why), None, None, token)
        if isinstance(error, CheckFailure):
            return ("check", name, _as_data(getattr(error, "message", None) or message),
                    None, None, token)
        origins = outcomes.todo_origins(error) if isinstance(error, NotImplementedError) else None
        return ("raised", name, message, outcomes.graded_location(error), origins, token)

    def outcome(self, payload):
        status, value = payload
        if status == "ok":
            return value
        _, type_name, message, _, _, token = value
        error = RemoteError(f"{type_name}: {message}")
        builtin = getattr(builtins, type_name, None)
        if isinstance(builtin, type) and issubclass(builtin, Exception):
            with contextlib.suppress(Exception):
                error = builtin(message)
        error.gradkata_token = token  # the test's own exception, should it come back out
        raise error

    # -- what crosses ---------------------------------------------------------------------------
    def convert(self, obj):
        if isinstance(obj, torch.Tensor):
            return self._tensor(obj)
        if isinstance(obj, PLAIN_BASES):  # a subclass: its value by the base type's own slot
            base = next(b for b in PLAIN_BASES if isinstance(obj, b))
            return (VALUE, _plain_value(base, obj))
        if isinstance(obj, CONTAINERS):
            base = next(b for b in CONTAINERS if isinstance(obj, b))
            return (VALUE, base(obj) if base is not dict else dict(obj.items()))
        if isinstance(obj, (bytearray, memoryview)):
            return (VALUE, bytes(obj))
        return None

    def _tensor(self, tensor: torch.Tensor):
        if tensor.device.type == "meta" or _is_fake(tensor):
            return None  # no data to send: it stays here, the test gets a reference
        try:
            plain = tensor
            if type(tensor) not in (torch.Tensor, torch.nn.Parameter):
                plain = torch.Tensor.as_subclass(tensor, torch.Tensor)
            return self.mirror.tensor_record(tensor, plain)
        except (RuntimeError, TypeError):
            return None

    def load_extra(self, record: tuple):
        if record[0] != RECORD or len(record) != 4:
            return super().load_extra(record)
        _, module, qualname, fields = record
        cls = getattr(importlib.import_module(module), qualname)
        if not (module.startswith("gradkata.") and dataclasses.is_dataclass(cls)):
            return super().load_extra(record)
        return cls(**fields)


def _ending(error: BaseException, name: str, message: str) -> tuple[str, object] | None:
    """``(kind, what the code did)`` when ``error`` must end this worker, else None."""
    if isinstance(error, Tampered):
        return "tamper", Message("isolate.replaced", names=", ".join(error.args[0][:3]))
    if isinstance(error, Unsendable):  # the mirror sent half an update: no way to go on
        return "unsendable", Message("isolate.unsendable", error=error.reason)
    if isinstance(error, MemoryError) or (isinstance(error, RuntimeError) and any(
            word in message for word in MEMORY_WORDS)):
        return "memory", message
    if not isinstance(error, Exception):
        code = getattr(error, "code", "")
        what = f"{name}({code!r})" if isinstance(error, SystemExit) else name
        return "ended", Message("isolate.would_end", what=what)
    return None


def _is_fake(tensor: torch.Tensor) -> bool:
    from torch._subclasses.fake_tensor import FakeTensor

    return isinstance(tensor, FakeTensor)


def _plain_value(base: type, obj):
    if base is bool:
        return bool(int.__int__(obj))
    slot = {int: int.__int__, float: float.__float__, complex: complex.__complex__,
            str: str.__str__, bytes: lambda b: bytes(memoryview(b))}[base]
    return slot(obj)


def _as_data(text: str) -> object:
    """``text`` as message data; its English where a field cannot be described."""
    try:
        return to_data(text)
    except Exception:
        return _text(text)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return ""


def _signature(target) -> list | None:
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    return [(p.name, int(p.kind), p.default is not inspect.Parameter.empty) for p in parameters]


def _run_check(dotted: str, args: tuple, kwargs: dict):
    """Run a check helper of ``gradkata.checks`` here, on the objects themselves."""
    module, _, qualname = dotted.partition(":")
    if not module.startswith("gradkata.checks."):
        raise PermissionError(f"{dotted} is not a check helper")
    check = getattr(importlib.import_module(module), qualname)
    return getattr(check, "__wrapped__", check)(*args, **kwargs)
