"""Judging a candidate gradient for one input against the numeric evidence.

Two kinds of evidence answer the same questions: is this candidate wrong,
which single factor relates it to the numeric gradient, which elements are
wrong, and what are the numbers at a few elements. :class:`ElementwiseEvidence`
already holds every element's derivative (elementwise functions);
:class:`.gradcheck_lines.LineEvidence` holds a few random probe lines and
narrows down by halving. A candidate is a tensor ``(nG, n)``: one flattened
gradient per upstream gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .gradcheck_numeric import (
    KINK,
    OK,
    SKIP,
    WRONG,
    Assessment,
    ErrorModel,
    Numeric,
    Rows,
    assess,
    change_combo,
    derivative_units,
    noise_ratio,
    pooled_kappa,
    step_combo,
)
from .gradcheck_probes import Segment

WORST = 10  # elements reported, worst first


@dataclass(frozen=True)
class ElementReport:
    """One element: your value and the numeric one (or the one-sided slopes, at a kink)."""

    index: int  # flat index within the input
    yours: float
    numeric: float
    bracket: tuple[float, float] | None
    tol: float


@dataclass(frozen=True)
class ElementFindings:
    """How many elements are wrong, which ones (a mask, when exact), the worst of them."""

    count: int
    total: int
    exact: bool
    wrong: torch.Tensor | None
    worst: tuple[ElementReport, ...]


def per_upstream(grads: torch.Tensor) -> torch.Tensor:
    """Gradients (nG, *shape) as the candidate (nG, n) that every judge takes."""
    return grads.reshape(grads.shape[0], -1)


def verdicts(status: torch.Tensor, single: bool) -> list[int]:
    """One status per probe over every upstream gradient; ``status`` is (nG, L).

    WRONG if any upstream gradient confirms a fault; else, for probes of
    several elements, KINK if any saw a kink or a non-finite value; else OK.
    """
    wrong = (status == WRONG).any(0)
    blurred = ((status == KINK) | (status == SKIP)).any(0) & (not single)
    result = torch.where(wrong, WRONG, torch.where(blurred, KINK, OK))
    return result.tolist()


def reports(result: Assessment, half1: torch.Tensor, cand: torch.Tensor, indices: torch.Tensor,
            worst_first: bool) -> tuple[ElementReport, ...]:
    """Reports of one-element probes for the first upstream gradient.

    worst_first: the :data:`WORST` worst only, worst first; else all, in order.
    result, cand: (nG, L); half1: (L,) the displacement behind C(h);
    indices: (L,) flat indices within the input.
    """
    numeric, tol = (t[0] for t in derivative_units(result, half1))
    yours = cand[0]
    low, high, kink = _brackets(result)
    outside = torch.where(yours < low, low - yours, (yours - high).clamp(min=0.0))
    error = torch.where(kink, outside, (yours - numeric).abs()).nan_to_num(nan=float("inf"))
    order = torch.argsort(-error, stable=True)[:WORST] if worst_first else range(len(error))
    return tuple(
        ElementReport(int(indices[j]), float(yours[j]), float(numeric[j]),
                      (float(low[j]) + 0.0, float(high[j]) + 0.0) if bool(kink[j]) else None,
                      float(tol[j]))
        for j in map(int, order))


def _brackets(result: Assessment):
    """One-sided slopes (first upstream gradient) where a kink was seen; nan elsewhere."""
    if result.kink is None or result.low is None or result.high is None:
        nan = torch.full_like(result.central[0], float("nan"))
        return nan, nan, torch.zeros_like(nan, dtype=torch.bool)
    low, high = result.low[0], result.high[0]
    return low, high, result.kink[0] & low.isfinite() & high.isfinite()


def least_squares(result: Assessment, keep: torch.Tensor) -> float | None:
    """The factor c minimizing |A - c C|^2 over the kept probes; None without signal."""
    analytic, central = result.analytic[keep], result.central[keep]
    denominator = float(central.square().sum())
    return float((analytic * central).sum()) / denominator if denominator > 0 else None


def reliable(result: Assessment) -> torch.Tensor:
    """Probes whose central difference can be trusted: no kink, finite."""
    return (result.status == OK) | (result.status == WRONG)


class ElementwiseEvidence:
    """Every element's derivative at once, from five forward calls (elementwise functions).

    steps: rows of :func:`step_combo` of the displacements, (n,) each;
    changes: (5, n) output changes; weights: (nG, n) the upstream gradients;
    size: (n,) the size of each output along its probe, for the rounding model.
    """

    def __init__(self, steps: Rows, changes: torch.Tensor, weights: torch.Tensor,
                 size: torch.Tensor, model: ErrorModel):
        # nu / (eps m2) is the same for every G (where G != 0): pool it per element
        noise = torch.stack([change_combo(changes, 4), change_combo(changes, 5)])
        kappa = pooled_kappa([noise_ratio(noise, size, model.eps_out)])
        self.model = ErrorModel(model.eps_out, model.rel_floor, kappa)
        self.steps, self.size = steps, changes.shape[1]
        self.numeric = Numeric(lambda r: change_combo(changes, r) * weights,
                               self.model.rounding(weights.abs() * size))

    def assess(self, cand: torch.Tensor) -> Assessment:
        return assess(self.numeric, lambda r: self.steps[r] * cand, 0.0, self.model.rel_floor,
                      self.steps)

    def wrong(self, cand: torch.Tensor) -> bool:
        return bool((self.assess(cand).status == WRONG).any())

    def fit(self, cand: torch.Tensor) -> float | None:
        """The factor c with cand ~ c * numeric, over the reliable elements."""
        result = self.assess(cand)
        return least_squares(result, reliable(result))

    def elements(self, cand: torch.Tensor) -> ElementFindings:
        result = self.assess(cand)
        wrong = (result.status == WRONG).any(0)
        picked = wrong.nonzero().flatten()
        worst = reports(result.pick(picked), self.steps[0][picked], cand[:, picked], picked, True)
        return ElementFindings(int(wrong.sum()), self.size, True, wrong, worst)

    def at(self, indices: torch.Tensor, cand: torch.Tensor) -> tuple[ElementReport, ...]:
        result = self.assess(cand).pick(indices)
        return reports(result, self.steps[0][indices], cand[:, indices], indices, False)


def assess_segments(segments: list[Segment], flat: torch.Tensor, model: ErrorModel) -> Assessment:
    """Judge segments of one kind (all of one element, or all longer) for ``flat`` (nG, N)."""
    weighted = torch.cat([seg.weighted for seg in segments], dim=2)
    num = model.lines(weighted, torch.cat([seg.m1 for seg in segments], dim=1),
                      torch.cat([seg.m2 for seg in segments], dim=1))
    if all(seg.size == 1 for seg in segments):
        deltas = torch.cat([seg.deltas for seg in segments], dim=1)  # (5, L)
        steps = Rows(lambda r: step_combo(deltas, r))
        cand = flat[:, [seg.ranges[0][0] for seg in segments]]
        return assess(num, lambda r: steps[r] * cand, 0.0, model.rel_floor, steps)
    gathered = [seg.gather(flat) for seg in segments]
    moved = torch.stack([seg.deltas @ g.T for seg, g in zip(segments, gathered, strict=True)],
                        dim=2)  # (5, nG, L): the analytic changes a_t
    gw2 = torch.stack([(g * step_combo(seg.deltas, 0)).norm(dim=1)
                       for seg, g in zip(segments, gathered, strict=True)], dim=1)
    return assess(num, lambda r: step_combo(moved, r), gw2, model.rel_floor)


def segment_noise(segments: list[Segment], eps_out: float) -> list[torch.Tensor]:
    """The noise ratios of segments, for :func:`pooled_kappa`."""
    return [noise_ratio(seg.weighted[4:], seg.m2, eps_out) for seg in segments]
