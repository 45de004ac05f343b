"""Calling the code under check: float64 CPU copies in, float64 tensors out.

The engine computes with torch float64 tensors on the CPU. :class:`Subject`
hands ``forward`` and ``backward`` fresh copies in the caller's own kind
(tensors stay tensors, NumPy arrays stay arrays), so the code under check
never touches the caller's inputs, and converts what comes back. Exceptions
raised by that code (``NotImplementedError``, pytest's skip) propagate
untouched: nothing here catches them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

TENSOR, ARRAY = "tensor", "array"


@dataclass(frozen=True)
class Operand:
    """One differentiable input: its name and a private float64 CPU copy."""

    name: str
    value: torch.Tensor  # float64, CPU, contiguous; never handed out
    kind: str  # TENSOR or ARRAY, as the caller gave it
    dtype_name: str  # the caller's dtype, for messages

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(frozen=True)
class Forwarded:
    """What forward gave back, as a float64 CPU tensor, and the inputs it changed in place."""

    output: torch.Tensor
    dtype: torch.dtype
    mutated: tuple[str, ...]


@dataclass(frozen=True)
class Returned:
    """What one call gave back, as float64 CPU tensors (None where not numeric)."""

    values: tuple[torch.Tensor | None, ...]
    dtypes: tuple[torch.dtype | None, ...]
    mutated: tuple[str, ...]  # arguments changed in place, "grad_out" included


def operands(inputs, names: Sequence[str] | None) -> tuple[Operand, ...]:
    """Validate ``inputs`` and make private float64 copies (the caller's stay untouched)."""
    if isinstance(inputs, (torch.Tensor, np.ndarray)):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"inputs must be a list of tensors, not {type(inputs).__name__}")
    names = [f"x{i}" for i in range(len(inputs))] if names is None else list(names)
    if len(names) != len(inputs):
        raise ValueError(f"names has {len(names)} entries for {len(inputs)} inputs")
    return tuple(_operand(value, name, i)
                 for i, (value, name) in enumerate(zip(inputs, names, strict=True)))


def _operand(value, name: str, position: int) -> Operand:
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        copy = value.detach().to(device="cpu", dtype=torch.float64, copy=True)
        kind, dtype_name = TENSOR, str(value.dtype).removeprefix("torch.")
    elif isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        copy = torch.from_numpy(np.array(value, dtype=np.float64, copy=True))
        kind, dtype_name = ARRAY, str(value.dtype)
    else:
        what = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"input {position} ({name}) is {what}: check_gradient differentiates "
                        "floating tensors or arrays only; bind other arguments with a closure")
    if not bool(copy.isfinite().all()):
        raise ValueError(f"input {name} holds inf or nan; a gradient check needs finite inputs")
    return Operand(name, copy.contiguous(), kind, dtype_name)


def as_float64(value) -> tuple[torch.Tensor | None, torch.dtype | None]:
    """A float64 CPU copy of a tensor, array or number, and its original dtype.

    Always a copy: a forward may hand back the same buffer on every call.
    """
    if isinstance(value, torch.Tensor):
        return value.detach().to(device="cpu", dtype=torch.float64, copy=True), value.dtype
    if isinstance(value, (np.ndarray, np.generic, float, int)) and not isinstance(value, bool):
        array = np.asarray(value)
        if np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array):
            dtype = torch.float32 if array.dtype == np.float32 else torch.float64
            return torch.tensor(array.astype(np.float64)), dtype
    return None, None


def handout(value: torch.Tensor, kind: str):
    """A fresh copy of ``value`` in the kind the caller used."""
    copy = value.clone()
    return copy.numpy() if kind == ARRAY else copy


def _unchanged(passed, original: torch.Tensor) -> bool:
    if isinstance(passed, np.ndarray):
        same_shape = passed.shape == tuple(original.shape)
        return same_shape and bool(np.array_equal(passed, original.numpy()))
    return passed.dtype == original.dtype and torch.equal(passed, original)


class Subject:
    """``forward`` and ``backward`` of one check, called on copies of the operands."""

    def __init__(self, forward: Callable, backward: Callable, ops: tuple[Operand, ...]):
        self.forward, self.backward, self.operands = forward, backward, ops
        self.output_kind = TENSOR  # grad_out's kind: that of forward's result, once seen

    def forward_at(self, values: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.dtype]:
        """F(values) as float64; ``values`` are fresh engine-owned tensors, handed out as is."""
        args = [v.numpy() if op.kind == ARRAY else v
                for v, op in zip(values, self.operands, strict=True)]
        return _single_output(self.forward(*args))

    def call_forward(self) -> Forwarded:
        """forward on fresh copies, noting any input it changed in place."""
        args = [handout(op.value, op.kind) for op in self.operands]
        raw = self.forward(*args)
        output, dtype = _single_output(raw)
        self.output_kind = TENSOR if isinstance(raw, torch.Tensor) else ARRAY
        return Forwarded(output, dtype, self._mutated(args))

    def call_backward(self, grad_out: torch.Tensor) -> Returned:
        """backward(grad_out, *inputs) on fresh copies; one entry per gradient returned."""
        args = [handout(op.value, op.kind) for op in self.operands]
        upstream = handout(grad_out, self.output_kind)
        result = self.backward(upstream, *args)
        items = list(result) if isinstance(result, (tuple, list)) else [result]
        converted = [as_float64(item) for item in items]
        mutated = self._mutated(args) + (() if _unchanged(upstream, grad_out) else ("grad_out",))
        return Returned(tuple(c[0] for c in converted), tuple(c[1] for c in converted), mutated)

    def _mutated(self, args) -> tuple[str, ...]:
        pairs = zip(self.operands, args, strict=True)
        return tuple(op.name for op, arg in pairs if not _unchanged(arg, op.value))


def _single_output(output) -> tuple[torch.Tensor, torch.dtype]:
    value, dtype = as_float64(output)
    if value is None or dtype is None:
        raise TypeError(f"forward must return one tensor, not {type(output).__name__}")
    return value, dtype
