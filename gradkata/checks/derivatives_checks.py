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
        raise CheckFailure(f"{what} returned {type(result).__name__}, not a number")
    number = float(result)
    if math.isfinite(number) and abs(number - expected) <= atol + rtol * abs(expected):
        return
    raise CheckFailure(f"{what} returned {number:.10g}, expected {expected:.10g} ({reference})")


def check_is_float(result, what: str, advice: str = "") -> None:
    """A Python float (numpy's float64 is one too), not a tensor, an int or None."""
    if not isinstance(result, float):
        shown = f"a {type(result).__name__}" if not isinstance(result, (int, torch.Tensor)) \
            else f"{type(result).__name__} {result!r}"
        raise CheckFailure(f"{what} returned {shown}, not a Python float{advice}")


def check_restored_exactly(fn, *args, what: str, name: str, tensor: torch.Tensor, **kwargs):
    """Call ``fn(*args, **kwargs)``; afterwards ``tensor`` (the argument ``name``) must hold
    exactly the values it held before. Returns ``fn``'s result."""
    saved = tensor.detach().clone()
    result = fn(*args, **kwargs)
    now = tensor.detach()
    if now.shape != saved.shape or now.dtype != saved.dtype:
        raise CheckFailure(f"{what} changed {name}'s shape or dtype to {tuple(now.shape)} "
                           f"{now.dtype}: perturb single elements, and put them back")
    changed = now != saved
    if bool(changed.any()):
        worst = tuple(int(i) for i in changed.nonzero()[0])
        raise CheckFailure(
            f"{what} left {name} changed: {int(changed.sum())} of {changed.numel()} element(s) "
            f"no longer hold their original values (at index {worst}: now "
            f"{float(now[worst])!r}, was {float(saved[worst])!r}). Save each original value "
            f"and write it back: x + h - 2h + h does not always round back to x")
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
