"""Hypothesis strategies for the tensors the grader feeds to exercises.

Shapes, dtypes, scales and a handful of exact edge values (0, ±1e4, the
float32 ``exp`` overflow point) are drawn by hypothesis, so they shrink and
are derandomized; the bulk of the values comes from a seeded
``torch.Generator``, which keeps a 4-D tensor cheap to draw. The seed mixes
the example's drawn integer with the run's ``--seed``, so ``--seed`` changes
the data while every run with the same seed sees the same tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from hypothesis import strategies as st

FLOAT_DTYPES = (torch.float32, torch.float64)
# Scales spanning "small", "typical" and "large enough that exp() misbehaves".
TYPICAL_SCALES = (0.1, 1.0, 3.0, 10.0)
STRESS_SCALES = (1e2, 1e3, 1e4)
STRESS_LIMIT = 1e4
# Exact values that break naive formulas: the kink, float32 exp overflow
# (exp(88.73) = inf), and the extremes the SPEC requires to stay finite.
EDGE_VALUES = (0.0, -0.0, 1.0, -1.0)
STRESS_VALUES = (0.0, 88.8, -88.8, 100.0, -100.0, STRESS_LIMIT, -STRESS_LIMIT)

_base_seed = 0


def use_seed(seed: int) -> None:
    """Set the run's ``--seed``; every tensor drawn afterwards depends on it."""
    global _base_seed
    _base_seed = int(seed)


def generator_for(drawn: int) -> torch.Generator:
    """A CPU generator seeded from a hypothesis-drawn integer and ``--seed``."""
    return torch.Generator().manual_seed((drawn * 1_000_003 + _base_seed) % (2**63))


@dataclass(frozen=True)
class Call:
    """Positional arguments and keyword options for one call of an exercise."""

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def __call__(self, fn):
        return fn(*self.args, **self.kwargs)

    def in_float64(self) -> Call:
        """The same call with every floating tensor in float64: the exact reference."""
        return Call(tuple(_float64(a) for a in self.args),
                    {k: _float64(v) for k, v in self.kwargs.items()})

    def __repr__(self) -> str:
        parts = [_short(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Call({', '.join(parts)})"


def _float64(value):
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(torch.float64)
    return value


def _short(value) -> str:
    if isinstance(value, torch.Tensor):
        body = str(value.tolist()) if value.numel() <= 6 else f"{value.numel()} values"
        return f"tensor{tuple(value.shape)} {str(value.dtype)[6:]} {body}"
    return repr(value)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1,
           max_side: int = 5) -> st.SearchStrategy:
    """Tensor shapes from ``min_dims`` to ``max_dims`` axes, each of min_side..max_side."""
    return st.integers(min_dims, max_dims).flatmap(
        lambda ndim: st.tuples(*[st.integers(min_side, max_side)] * ndim)
    )


@st.composite
def float_tensors(
    draw,
    shape: Sequence[int] | st.SearchStrategy | None = None,
    dtype: torch.dtype | None = None,
    scales: Sequence[float] = TYPICAL_SCALES,
    edge_values: Sequence[float] = EDGE_VALUES,
    limit: float | None = None,
) -> torch.Tensor:
    """A floating tensor: ``scale * N(0, 1)`` values with a few exact edge values.

    shape: a fixed shape, a strategy for one, or None for 0-D to 4-D.
    dtype: float32 or float64; drawn when None.
    limit: clamp every value to ``[-limit, limit]``.
    """
    if shape is None:
        shape = shapes()
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    dtype = dtype or draw(st.sampled_from(FLOAT_DTYPES))
    scale = draw(st.sampled_from(scales))
    values = torch.randn(tuple(shape), generator=generator_for(draw(st.integers(0, 2**32))),
                         dtype=torch.float64) * scale
    if limit is not None:
        values = values.clamp(-limit, limit)
    flat = values.view(-1)
    for _ in range(draw(st.integers(0, min(3, flat.numel())))):
        flat[draw(st.integers(0, flat.numel() - 1))] = draw(st.sampled_from(edge_values))
    return values.to(dtype)


def stress_tensors(shape=None) -> st.SearchStrategy:
    """float32 tensors with |x| up to 1e4, the range the SPEC requires to stay finite."""
    return float_tensors(shape=shape, dtype=torch.float32, scales=STRESS_SCALES,
                         edge_values=STRESS_VALUES, limit=STRESS_LIMIT)


def like(x: torch.Tensor, scales: Sequence[float] = (1.0,)) -> st.SearchStrategy:
    """A tensor of ``x``'s shape and dtype, e.g. an upstream gradient for ``f(x)``."""
    return float_tensors(shape=tuple(x.shape), dtype=x.dtype, scales=scales, edge_values=(0.0,))


def dims_of(x: torch.Tensor) -> st.SearchStrategy:
    """A valid ``dim`` argument for ``x``, negative values included."""
    ndim = max(x.dim(), 1)  # torch lets a 0-dim tensor take dim 0 or -1
    return st.integers(-ndim, ndim - 1)
