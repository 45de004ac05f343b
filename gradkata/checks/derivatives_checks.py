"""Checks for exercises that return plain numbers, and for in-place work that must be undone.

- ``assert_number_close``: a Python number result (a float in, a float out),
  judged against an expected float; the family that checks its *type* is
  ``check_is_float``.
- ``assert_tensor_close``: parity with tolerances from an error model.
- ``check_restored_exactly``: SPEC §2's numerical gradients may perturb ``x``
  in place while they work, so the ordinary purity check (which also
  watches the version counter) does not apply; instead every element must
  hold exactly its original value afterwards.
"""

from __future__ import annotations

import math
import numbers

import torch

from ..messages import Message
from . import values
from .failure import CheckFailure


def assert_number_close(result, expected: float, *, what: str, reference: str,
                        rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """``result`` is a real number within ``atol + rtol * |expected|`` of ``expected``.

    A 0-dim tensor counts as its number here: whether a float came back is
    the ``dtype`` family's question (``check_is_float``).
    """
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        result = float(result)
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        raise CheckFailure(Message("derivatives.not_a_number", what=what,
                                   type=type(result).__name__))
    number = float(result)
    if math.isfinite(number) and abs(number - expected) <= atol + rtol * abs(expected):
        return
    raise CheckFailure(Message("derivatives.wrong_number", what=what, number=number,
                               expected=expected, reference=reference))


def check_is_float(result, what: str, advice: str = "") -> None:
    """A Python float (numpy's float64 is one too), not a tensor, an int or None."""
    if not isinstance(result, float):
        shown = (Message("derivatives.a_type", type=type(result).__name__)
                 if not isinstance(result, (int, torch.Tensor))
                 else f"{type(result).__name__} {result!r}")
        raise CheckFailure(Message("derivatives.not_a_float", what=what, shown=shown,
                                   advice=advice))


def check_restored_exactly(fn, *args, what: str, name: str, tensor: torch.Tensor, **kwargs):
    """Call ``fn(*args, **kwargs)``; afterwards ``tensor`` (the argument ``name``) must hold
    exactly the values it held before. Returns ``fn``'s result."""
    saved = tensor.detach().clone()
    result = fn(*args, **kwargs)
    now = tensor.detach()
    if now.shape != saved.shape or now.dtype != saved.dtype:
        raise CheckFailure(Message("derivatives.reshaped", what=what, name=name,
                                   shape=tuple(now.shape), dtype=now.dtype))
    changed = now != saved
    if bool(changed.any()):
        worst = tuple(int(i) for i in changed.nonzero()[0])
        raise CheckFailure(Message(
            "derivatives.not_restored", what=what, name=name, count=int(changed.sum()),
            total=changed.numel(), index=worst, now=float(now[worst]), was=float(saved[worst])))
    return result


def assert_tensor_close(result, expected: torch.Tensor, *, what: str, reference: str,
                        rtol: float, atol: float) -> None:
    """Like ``values.assert_close``, with tolerances the caller derives from an error model
    (a numerical derivative is judged by the error of differences, not by float rounding)."""
    result = values.check_is_tensor(result, what)
    values.check_shape(result, expected.shape, what)
    yours = result.detach().to(device="cpu", dtype=torch.float64)
    wanted = expected.detach().to(device="cpu", dtype=torch.float64)
    close = torch.isclose(yours, wanted, rtol=rtol, atol=atol, equal_nan=True)
    if not bool(close.all()):
        raise CheckFailure(values._mismatch_message(yours, wanted, close, what, reference, None,
                                                    (rtol, atol)))
