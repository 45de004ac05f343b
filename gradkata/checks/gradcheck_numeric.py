r"""The error model of the gradient check: one verdict per probe, vectorized.

A *probe* moves the inputs along a direction ``w`` (already scaled by the
step: ``w_i = h_i v_i``, ``h_i = eps^{1/3} max(1, |x_i|)``) and evaluates
``forward`` at ``x + t w`` for ``t`` in :data:`POINTS`. For an upstream
gradient ``G`` it compares

    s_t = <G, F(x + t w) - F(x)>        the numeric change of G.F
    a_t = <g, delta_t>                   the change the analytic gradient g predicts

where ``delta_t = fl(x + t w) - x`` is the displacement actually applied, so
the rounding of the moved inputs cancels. Everything is in step units (no
division by h), so a probe of one element and one of 10^5 share this code.
Arrays are ``(nG, L)`` for ``L`` probes and ``nG`` upstream gradients.

    e1 = C(h) - A(h),    C(h)  = (s_1 - s_-1) / 2
    e2 = C(2h) - A(2h),  C(2h) = (s_2 - s_-2) / 4
    T  = |e2 - e1|                             3x the Richardson truncation estimate
    R  = max(c_m eps m1, c_n kappa eps m2)     rounding, modelled and measured
    F  = r (|A(h)| + 3 ||g . w||_2)            relative floor, for the analytic side
    ok <=> |e1| <= T + R + F

``m1 = sum_j |G_j| size_j`` (``size_j`` bounds ``|F_j|`` along the probe)
bounds the rounding when every output errs the same way. ``kappa`` is
measured: the slopes predict ``s_tau`` for a tiny step (tau = 2^-20) to
~1e-6 relative, so what is left over is rounding noise. Pooled over the
probes and normalized by ``m2 = ||G . size||_2``, it gives a forward with
internal cancellation (a loss near 0 made of terms near 10) the tolerance
its noise needs.

A kink (relu at 0) leaves C(h) = C(2h) but bends the one-sided slopes: the
gaps ``s_1 + s_-1`` and ``(s_2 + s_-2)/4`` (both ``w'Hw`` when smooth)
disagree. A failing probe with that evidence is not trusted: the caller
narrows it down to single elements, where any value between the one-sided
derivatives is right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

EPS = torch.finfo(torch.float64).eps
STEP = EPS ** (1.0 / 3.0)  # ~6e-6: balances truncation (h^2) against rounding (eps / h)
TAU = 2.0**-20  # the noise probe's step: curvature and kinks vanish in it
POINTS = (1.0, -1.0, 2.0, -2.0, TAU)

MODEL_ULPS = 8.0  # rounding model: ulps per output, all erring the same way
NOISE_SIGMAS = 32.0  # measured noise: multiples of its RMS (about 64 std of e1)
MIN_REL_FLOOR = 1e-7  # the analytic side may round like float32 constants do

OK, WRONG, KINK, SKIP = 0, 1, 2, 3  # per-probe status; SKIP: forward not finite there


class Rows:
    """Rows of a stack, each computed on first use: passing probes need two of four."""

    def __init__(self, make: Callable[[int], torch.Tensor]):
        self._make = make
        self._made: dict[int, torch.Tensor] = {}

    def __getitem__(self, r: int) -> torch.Tensor:
        if r not in self._made:
            self._made[r] = self._make(r)
        return self._made[r]


def change_combo(changes: torch.Tensor, r: int) -> torch.Tensor:
    """Row r of the combinations of the five changes ``(5, ...)`` that verdicts use.

    0: C(h), 1: C(2h), 2: the gap s_1 + s_-1, 3: the gap (s_2 + s_-2)/4;
    4 and 5: s_tau minus its central and its right-hand prediction (noise).
    """
    p1, m1, p2, m2, pt = changes
    if r == 0:
        return (p1 - m1) / 2
    if r == 1:
        return (p2 - m2) / 4
    if r == 2:
        return p1 + m1
    if r == 3:
        return (p2 + m2) / 4
    return pt - TAU * ((p1 - m1) / 2 if r == 4 else p1)


def change_combos(changes: torch.Tensor) -> torch.Tensor:
    """All six rows of :func:`change_combo`, stacked."""
    return torch.stack([change_combo(changes, r) for r in range(6)])


def step_combo(deltas: torch.Tensor, r: int) -> torch.Tensor:
    """Row r < 4 of the same combinations of the displacements ``(5, ...)``:
    A(h), A(2h) and the gaps, once multiplied by a candidate gradient."""
    return change_combo(deltas, r)


class Numeric:
    """The numeric side of L probes, the same for every candidate gradient.

    ``row(r)`` is row r of :func:`change_combo` weighted by G, (nG, L), made
    on first use; ``rounding`` is R, (nG, L).
    """

    def __init__(self, rows: Callable[[int], torch.Tensor], rounding: torch.Tensor):
        self.row, self.rounding = Rows(rows).__getitem__, rounding

    @property
    def finite(self) -> torch.Tensor:
        return torch.stack([self.row(r) for r in range(4)]).isfinite().all(0)

    def pick(self, index: torch.Tensor) -> Numeric:
        return Numeric(lambda r: self.row(r)[:, index], self.rounding[:, index])


@dataclass(frozen=True)
class ErrorModel:
    """The constants of one check: output precision, analytic floor, measured noise."""

    eps_out: float  # unit roundoff of forward's output dtype
    rel_floor: float  # relative floor for the analytic side
    kappa: float = 0.0  # measured noise per unit of m2, RMS, in ulps

    def rounding(self, m1: torch.Tensor, m2: torch.Tensor | None = None) -> torch.Tensor:
        """R = max(c_m eps m1, c_n kappa eps m2); m2 None when it equals m1."""
        if m2 is None:
            return m1 * (self.eps_out * max(MODEL_ULPS, NOISE_SIGMAS * self.kappa))
        return torch.maximum(MODEL_ULPS * self.eps_out * m1,
                             NOISE_SIGMAS * self.kappa * self.eps_out * m2)

    def lines(self, weighted: torch.Tensor, m1: torch.Tensor, m2: torch.Tensor) -> Numeric:
        """The numeric side of probes from their weighted combinations (6, nG, L)."""
        return Numeric(lambda r: weighted[r], self.rounding(m1, m2))


def noise_ratio(noise: torch.Tensor, m2: torch.Tensor, eps_out: float) -> torch.Tensor:
    """The finite ratios ``nu / (eps m2)``; ``noise`` holds rows 4 and 5 of the combos.

    Of the two predictions of s_tau, the central slope (blind to curvature)
    and the right-hand one (blind to a kink at x), the closer leaves the noise.
    """
    ratio = torch.minimum(noise[0].abs(), noise[1].abs()) / (eps_out * m2)
    return ratio[ratio.isfinite()]


def pooled_kappa(ratios: list[torch.Tensor]) -> float:
    """RMS of the noise ratios of every probe and upstream gradient."""
    every = torch.cat([r.reshape(-1) for r in ratios])
    return float(every.square().mean().sqrt()) if every.numel() else 0.0


@dataclass(frozen=True)
class Assessment:
    """Verdicts of L probes for one candidate, (nG, L) each; the last three are
    None when every probe passes."""

    status: torch.Tensor  # OK / WRONG / KINK / SKIP
    error: torch.Tensor  # e1, step units
    tol: torch.Tensor  # T + R + F, step units
    central: torch.Tensor  # C(h)
    analytic: torch.Tensor  # A(h)
    kink: torch.Tensor | None  # the one-sided slopes bend beyond rounding
    low: torch.Tensor | None  # one-sided bracket, derivative units (one-element probes)
    high: torch.Tensor | None

    def pick(self, index: torch.Tensor) -> Assessment:
        def take(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t[:, index]

        return Assessment(self.status[:, index], self.error[:, index], self.tol[:, index],
                          self.central[:, index], self.analytic[:, index],
                          take(self.kink), take(self.low), take(self.high))


def assess(num: Numeric, analytic: Callable[[int], torch.Tensor], gw2: torch.Tensor | float,
           rel_floor: float, steps: Rows | None = None) -> Assessment:
    """Judge L probes (see the module docstring).

    analytic: row r (nG, L) of :func:`step_combo` applied to the candidate:
        A(h), A(2h), then the two gap corrections (needed only on failure).
    gw2: ``||g . w||_2`` per probe, or 0 for one-element probes.
    steps: the step combinations (L,) when every probe moves one element,
        which enables the kink rule; None for longer probes, whose suspected
        kinks come back as KINK for the caller to narrow down.
    """
    a1, central = analytic(0), num.row(0)
    e1 = central - a1
    noise = num.rounding + rel_floor * (a1.abs() + 3.0 * gw2)
    tol = ((num.row(1) - analytic(1)) - e1).abs() + noise
    ok = e1.abs() <= tol
    if bool(ok.all()):
        return Assessment(torch.zeros_like(e1, dtype=torch.int8), e1, tol, central, a1,
                          None, None, None)
    # Against the noise, not tol: a kink inflates T too. With kinks on one
    # side of x, e1 = (e2 - e1) - (gap2 - gap1) exactly: a failing e1 shows here.
    kink = ((num.row(3) - analytic(3)) - (num.row(2) - analytic(2))).abs() > noise
    status = torch.full_like(e1, WRONG, dtype=torch.int8)
    status[kink] = KINK
    status[ok] = OK
    status[~num.finite] = SKIP
    low = high = None
    if steps is not None:
        low, high, inside = one_sided_bracket(num, a1, steps, num.rounding + rel_floor * a1.abs())
        status[(status == KINK) & inside] = OK
        status[status == KINK] = WRONG
    return Assessment(status, e1, tol, central, a1, kink, low, high)


def one_sided_bracket(num: Numeric, a1: torch.Tensor, steps: Rows, slack: torch.Tensor):
    """Slopes right and left of each element, and whether ``g`` lies between them.

    At a kink any value between the one-sided derivatives is right; the
    bracket widens by how much each side's slope moves from h to 2h, and by
    the rounding ``slack`` (step units).
    """
    half1, half2, sum1, sum2 = (steps[r] for r in range(4))
    central, central2, gap1, gap2 = (num.row(r) for r in range(4))
    right = (gap1 / 2 + central) / (sum1 / 2 + half1)  # s_1 / delta_1
    left = (gap1 / 2 - central) / (sum1 / 2 - half1)  # s_-1 / delta_-1
    right2 = (gap2 + central2) / (sum2 + half2)  # s_2 / delta_2
    left2 = (gap2 - central2) / (sum2 - half2)
    grad = a1 / half1
    width = (right - right2).abs() + (left - left2).abs() + slack / half1.abs()
    low, high = torch.minimum(right, left), torch.maximum(right, left)
    return low, high, (low - width <= grad) & (grad <= high + width)


def rel_floor(grad_dtypes: list[torch.dtype | None]) -> float:
    """The relative floor for gradients returned in ``grad_dtypes`` (float32 rounds more)."""
    floating = [torch.finfo(d).eps for d in grad_dtypes if d is not None and d.is_floating_point]
    return max(MIN_REL_FLOOR, 64.0 * max([EPS, *floating]))


def derivative_units(assessment: Assessment, half1: torch.Tensor):
    """Numeric derivative and tolerance of one-element probes, (nG, L) each."""
    return assessment.central / half1, assessment.tol / half1
