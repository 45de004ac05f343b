"""Purity: an exercise never modifies its inputs (SPEC §1)."""

from __future__ import annotations

import inspect

import torch

from ..messages import Message
from .failure import CheckFailure


def check_inputs_unchanged(fn, *args, what: str, **kwargs):
    """Call ``fn`` and raise :class:`CheckFailure` if it changed a tensor argument.

    Returns ``fn``'s result.
    """
    named = _tensor_arguments(fn, args, kwargs)
    return check_unchanged(named, lambda: fn(*args, **kwargs), what=what)


def check_unchanged(named: dict[str, torch.Tensor], call, *, what: str):
    """Run ``call()`` and raise :class:`CheckFailure` if it changed any of ``named``.

    named: the tensors to watch, by the name the message uses (tensors
        reached through lists too, e.g. ``{"grads[0]": g0}``).
    Both the values and the tensor's version counter are compared: the
    counter also catches an in-place op that happened to restore the values.
    Returns ``call``'s result.
    """
    before = {name: (t.detach().clone(), t._version) for name, t in named.items()}
    result = call()
    for name, tensor in named.items():
        saved, version = before[name]
        changed = ~_same(tensor.detach(), saved)
        if bool(changed.any()):
            raise CheckFailure(Message("purity.modified", what=what, name=name,
                                       count=int(changed.sum()), total=changed.numel()))
        if tensor._version != version:
            raise CheckFailure(Message("purity.wrote_back", what=what, name=name))
    return result


def _tensor_arguments(fn, args, kwargs) -> dict[str, torch.Tensor]:
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):  # odd signature: fall back to positions
        bound = {f"argument {i + 1}": a for i, a in enumerate(args)} | dict(kwargs)
    return {name: v for name, v in bound.items() if isinstance(v, torch.Tensor)}


def _same(now: torch.Tensor, saved: torch.Tensor) -> torch.Tensor:
    """Elementwise 'unchanged', counting NaN == NaN and telling 0.0 from -0.0 apart not at all."""
    if now.shape != saved.shape or now.dtype != saved.dtype:
        return torch.zeros(saved.shape, dtype=torch.bool)
    return (now == saved) | (now.isnan() & saved.isnan())
