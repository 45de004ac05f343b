"""Parity with a reference: shape first, then values, with dtype-aware tolerances.

The ``value`` family judges numbers only: a float32 result for a float64
input is compared in float32's tolerance here and reported by the ``dtype``
family instead, so that one mistake costs one family.
"""

from __future__ import annotations

import torch

from ..messages import Joined, Message
from .failure import CheckFailure

# |yours - expected| <= atol * max(1, max|expected|) + rtol * |expected|.
# The atol term scales with the result's magnitude: a softmax backward
# cancels terms of size |grad_out|, so its absolute rounding error does too.
TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1e-2, 1e-2),
    torch.float32: (1e-5, 1e-6),
    torch.float64: (1e-9, 1e-12),
}


def tolerance(*dtypes: torch.dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing results computed in the loosest of ``dtypes``."""
    known = [TOLERANCES.get(d, TOLERANCES[torch.float32]) for d in dtypes]
    return max(t[0] for t in known), max(t[1] for t in known)


def check_is_tensor(result, what: str) -> torch.Tensor:
    if not isinstance(result, torch.Tensor):
        raise CheckFailure(Message("values.not_tensor", what=what, type=type(result).__name__))
    return result


def check_shape(result: torch.Tensor, expected_shape, what: str) -> None:
    if tuple(result.shape) != tuple(expected_shape):
        raise CheckFailure(Message("values.wrong_shape", what=what, shape=tuple(result.shape),
                                   expected=tuple(expected_shape)))


def assert_close(
    result,
    expected: torch.Tensor,
    *,
    what: str,
    reference: str,
    inputs: dict[str, torch.Tensor] | None = None,
    scale_by: tuple[torch.Tensor, ...] = (),
) -> None:
    """Raise :class:`CheckFailure` unless ``result`` matches ``expected``.

    what: the learner's call, e.g. "sigmoid(x)".
    reference: the reference's name, e.g. "torch.sigmoid".
    inputs: named input tensors of the same shape, shown at the worst element.
    scale_by: tensors whose magnitude also sets the absolute tolerance, e.g. a
        backward's grad_out: its rounding error is relative to |grad_out|,
        even where the gradient itself is tiny.
    """
    result = check_is_tensor(result, what)
    check_shape(result, expected.shape, what)
    rtol, atol = tolerance(result.dtype, expected.dtype)
    yours = result.detach().to(device="cpu", dtype=torch.float64)
    wanted = expected.detach().to(device="cpu", dtype=torch.float64)
    scale = max([1.0] + [_magnitude(t) for t in (wanted, *scale_by)])
    close = torch.isclose(yours, wanted, rtol=rtol, atol=atol * scale, equal_nan=True)
    if bool(close.all()):
        return
    raise CheckFailure(
        _mismatch_message(yours, wanted, close, what, reference, inputs, (rtol, atol))
    )


def _magnitude(tensor: torch.Tensor) -> float:
    finite = tensor.detach()[tensor.detach().isfinite()]
    return float(finite.abs().max()) if finite.numel() else 0.0


def _mismatch_message(yours, wanted, close, what, reference, inputs, tol) -> Joined:
    bad = ~close
    error = (yours - wanted).abs().nan_to_num(nan=float("inf"))
    error[~bad] = -1.0
    worst = (
        tuple(int(i) for i in torch.unravel_index(error.argmax(), error.shape))
        if error.dim()
        else ()
    )
    count, total = int(bad.sum()), bad.numel()
    at = Message("values.at_index", index=worst) if worst else Message("values.only_element")
    lines = [Message("values.differs", what=what, reference=reference, count=count, total=total,
                     at=at, yours=_num(yours[worst]), expected=_num(wanted[worst]))]
    if not bool(yours.isfinite().all()) and bool(wanted.isfinite().all()):
        lines.append(Message("values.not_finite_where_reference_is"))
    shown = {name: t for name, t in (inputs or {}).items() if tuple(t.shape) == tuple(yours.shape)}
    if shown:
        values = ", ".join(
            f"{name} = {_num(t.detach().double().cpu()[worst])}" for name, t in shown.items()
        )
        lines.append(Message("values.inputs_there", values=values))
    lines.append(Message("values.tolerance", rtol=tol[0], atol=tol[1]))
    return Joined(lines)


def _num(value: torch.Tensor) -> str:
    return f"{float(value):.6g}"


def check_dtype(result, expected: torch.dtype, what: str) -> None:
    """The result keeps the input's dtype (SPEC §1)."""
    result = check_is_tensor(result, what)
    if result.dtype != expected:
        raise CheckFailure(Message("values.wrong_dtype", what=what, dtype=result.dtype,
                                   expected=expected))


def check_finite(result, what: str, inputs: dict[str, torch.Tensor]) -> None:
    """Every element is finite; the message shows the input that overflowed."""
    result = check_is_tensor(result, what)
    finite = result.isfinite()
    if bool(finite.all()):
        return
    where = tuple(int(i) for i in (~finite).nonzero()[0]) if result.dim() else ()
    shown = ", ".join(
        f"{name} = {_num(t.detach().double().cpu()[where])}"
        for name, t in inputs.items()
        if tuple(t.shape) == tuple(result.shape)
    )
    raise CheckFailure(Message(
        "values.not_finite", what=what, value=_num(result.detach().double().cpu()[where]),
        index=where, inputs=Message("values.where_inputs", values=shown) if shown else "",
    ))
