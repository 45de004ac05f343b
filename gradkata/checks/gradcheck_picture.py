"""The numbers behind a picture of a failed gradient check.

When a gradient is wrong, the report (``gradkata report --html``) draws the
learner's gradient against central differences, element by element. This
module picks at most :data:`PICTURED` elements of the first input whose
gradient has the right shape but wrong values -- every element when there
are few, else the worst ones the diagnosis found plus an even spread -- and
asks the evidence for both values there (free for elementwise evidence; five
forward calls per element not already probed for probe lines).

The result is plain data, attached to the raised error as ``evidence``::

    {"input": "x", "kind": "sign", "shape": [4, 3], "total": 12,
     "indices": [0, 1, ...],      # flat, row-major, ascending
     "analytic": [...], "numeric": [...], "wrong": [true, ...]}

Non-finite values become ``None`` (the data must survive JSON).
"""

from __future__ import annotations

import math

import torch

from .gradcheck_evidence import ElementReport, per_upstream
from .gradcheck_kinds import Diagnosis

PICTURED = 200  # elements in one picture, at most
WORST_SHOWN = PICTURED // 2  # of them, at most this many chosen for being wrong


def picture(found: dict[int, Diagnosis], grads: list, names: list[str], shapes: list,
            evidence) -> dict | None:
    """Per-element values for the first pictured input of ``found`` (input index -> fault).

    grads: per input, its gradients ``(nG, *shape)`` or None; shapes: the inputs'
    shapes; evidence(i): the numeric evidence for input i. None when no fault
    is about the values of a gradient of the right shape (a wrong shape, say).
    """
    for i in sorted(found):
        diagnosis, g = found[i], grads[i]
        if g is None or tuple(g.shape[1:]) != tuple(shapes[i]) or diagnosis.kind in _SHAPELESS:
            continue
        size = math.prod(shapes[i])
        if size == 0:
            continue
        worst = [_ravel(index, shapes[i]) for index in diagnosis.indices or ()]
        chosen = pick(size, worst)
        reports = evidence(i).at(chosen, per_upstream(g))
        return _as_data(names[i], diagnosis.kind, shapes[i], reports)
    return None


_SHAPELESS = ("transposed", "missing_reduction", "wrong_shape")  # no element-by-element match


def pick(size: int, worst: list[int], limit: int = PICTURED) -> torch.Tensor:
    """Flat indices to picture, ascending: all of them when few, else the worst ones
    (at most half the picture) and an even spread over the rest."""
    if size <= limit:
        return torch.arange(size)
    wrong = list(dict.fromkeys(worst))[:WORST_SHOWN]
    spread = torch.linspace(0, size - 1, limit - len(wrong)).round().long().tolist()
    return torch.tensor(sorted(set(wrong) | set(spread)), dtype=torch.long)


def _as_data(name: str, kind: str, shape, reports: tuple[ElementReport, ...]) -> dict:
    return {
        "input": name, "kind": kind, "shape": list(shape), "total": math.prod(shape),
        "indices": [r.index for r in reports],
        "analytic": [_finite(r.yours) for r in reports],
        "numeric": [_finite(r.numeric) for r in reports],
        "wrong": [_is_wrong(r) for r in reports],
    }


def _is_wrong(report: ElementReport) -> bool:
    """Outside the tolerance around the numeric value (around the one-sided slopes at a kink)."""
    yours, tol = report.yours, report.tol
    if not math.isfinite(yours):
        return True
    if report.bracket is not None:
        low, high = report.bracket
        return yours < low - tol or yours > high + tol
    return not abs(yours - report.numeric) <= tol  # a nan numeric value counts as wrong


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _ravel(index: tuple[int, ...], shape) -> int:
    flat = 0
    for position, size in zip(index, shape, strict=True):
        flat = flat * size + position
    return flat
