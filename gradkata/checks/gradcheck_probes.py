r"""Where forward is evaluated: along probe lines, or every element at once.

The inputs are laid end to end in one flat space of N elements. A
:class:`Segment` is probe line ``k`` restricted to some ranges of that space:
``forward`` at ``x + t w_k`` (``w_k = h . v_k`` on the ranges, 0 elsewhere)
for every t of :data:`POINTS`, reduced to ``s_t = <G, dF_t>`` per upstream
gradient. Line :data:`UNIT` has ``v = 1``: its one-element segments are the
classic per-element central differences. Segments are cached, so judging
another candidate gradient (the sign flipped, the transpose) costs no
forward call.

For an elementwise function, :func:`elementwise_samples` moves every element
of one input at once: five forward calls give the whole diagonal Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .gradcheck_calls import Subject
from .gradcheck_numeric import POINTS, STEP, Rows, change_combos, step_combo

UNIT = -1  # the line with v = 1, for one-element segments
SINGLES_CHUNK = 256  # one-element segments evaluated together
SINGLES_MEMORY = 4_000_000  # ... holding at most this many output values at once
Ranges = tuple[tuple[int, int], ...]


def step_sizes(x: torch.Tensor) -> torch.Tensor:
    """h_i = eps^(1/3) max(1, |x_i|), the step that balances truncation and rounding."""
    return STEP * x.abs().clamp(min=1.0)


@dataclass(frozen=True)
class Layout:
    """Where each input lies in the flat space."""

    offsets: tuple[int, ...]
    shapes: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        return self.offsets[-1] + _numel(self.shapes[-1]) if self.shapes else 0

    def ranges_of(self, i: int) -> Ranges:
        return ((self.offsets[i], self.offsets[i] + _numel(self.shapes[i])),)

    def split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return [flat[o:o + _numel(s)].view(s)
                for o, s in zip(self.offsets, self.shapes, strict=True)]


def _numel(shape) -> int:
    return int(torch.Size(shape).numel())


def layout_of(shapes) -> Layout:
    shapes = [tuple(s) for s in shapes]
    offsets, total = [], 0
    for shape in shapes:
        offsets.append(total)
        total += _numel(shape)
    return Layout(tuple(offsets), tuple(shapes))


@dataclass(frozen=True)
class Segment:
    """One probe line over some ranges: displacements and weighted output changes.

    deltas: (5, size) displacements actually applied on the ranges;
    weighted: (6, nG, 1) :func:`change_combo` rows of the output changes times G;
    m1, m2: (nG, 1) output magnitudes for the rounding model.
    """

    line: int
    ranges: Ranges
    deltas: torch.Tensor
    weighted: torch.Tensor
    m1: torch.Tensor
    m2: torch.Tensor

    @property
    def size(self) -> int:
        return sum(hi - lo for lo, hi in self.ranges)

    def gather(self, flat: torch.Tensor) -> torch.Tensor:
        """The entries of ``flat`` (nG, N) on this segment, (nG, size)."""
        if len(self.ranges) == 1:
            lo, hi = self.ranges[0]
            return flat[:, lo:hi]
        return torch.cat([flat[:, lo:hi] for lo, hi in self.ranges], dim=1)


class Probe:
    """Forward along probe lines through the flat input space; evaluations are cached.

    Line k is ``v_k = roll(v_0, shift_k)`` for one Gaussian vector ``v_0`` and
    distinct shifts: for any one element the lines' entries are independent
    draws, at the cost of one draw per element instead of ``count``.
    """

    def __init__(self, subject: Subject, output: torch.Tensor, grad_outs: torch.Tensor,
                 rng: np.random.Generator, count: int):
        self.subject, self.output, self.grad_outs = subject, output, grad_outs
        self.layout = layout_of(op.shape for op in subject.operands)
        self.x = torch.cat([op.value.reshape(-1) for op in subject.operands])
        self.steps = step_sizes(self.x)
        self.rng, self.count = rng, count
        self._lines: list[torch.Tensor] | None = None  # w_k = h . v_k, drawn on first use
        self.calls = 0
        self._cache: dict[tuple[int, Ranges], Segment] = {}

    def line(self, k: int) -> torch.Tensor:
        if k == UNIT:
            return self.steps
        if self._lines is None:  # drawn on first use: elementwise checks need none
            n = self.x.numel()  # > count: lines serve only inputs of more elements
            v = torch.from_numpy(self.rng.standard_normal(n))
            shifts = [0, *(1 + self.rng.choice(n - 1, size=self.count - 1, replace=False)).tolist()]
            self._lines = [torch.roll(v, s) * self.steps for s in shifts]
        return self._lines[k]

    def segment(self, line: int, ranges: Ranges) -> Segment:
        key = (line, ranges)
        if key not in self._cache:
            self._cache[key] = self._evaluate(line, ranges)
        return self._cache[key]

    def singles(self, positions: list[int]) -> list[Segment]:
        """One-element segments on the unit line, evaluated in chunks (per-element checks)."""
        todo = [j for j in positions if (UNIT, ((j, j + 1),)) not in self._cache]
        size = max(1, min(SINGLES_CHUNK, SINGLES_MEMORY // (8 * max(1, self.output.numel()))))
        for start in range(0, len(todo), size):
            chunk = todo[start:start + size]
            for j, seg in zip(chunk, self._evaluate_singles(chunk), strict=True):
                self._cache[(UNIT, ((j, j + 1),))] = seg
        return [self._cache[(UNIT, ((j, j + 1),))] for j in positions]

    def _evaluate_singles(self, chunk: list[int]) -> list[Segment]:
        index = torch.tensor(chunk, dtype=torch.long)
        moved_at = self.x[index] + _POINTS * self.steps[index]  # (5, C)
        outputs = []
        for c, j in enumerate(chunk):
            for value in moved_at[:, c]:
                moved = self.x.clone()
                moved[j] = value
                outputs.append(self.subject.forward_at(self.layout.split(moved))[0])
        self.calls += len(outputs)
        weighted, m1, m2 = weigh(self.output, outputs, self.grad_outs, len(chunk))
        floor = internal_size(self.x[index]).unsqueeze(1) * self.grad_outs.abs().reshape(
            len(self.grad_outs), -1).amax(1)  # (C, nG): see internal_size
        m1, m2 = m1 + floor, m2 + floor
        deltas = moved_at - self.x[index]
        return [Segment(UNIT, ((j, j + 1),), deltas[:, c:c + 1], weighted[:, c].unsqueeze(-1),
                        m1[c].unsqueeze(-1), m2[c].unsqueeze(-1)) for c, j in enumerate(chunk)]

    def _evaluate(self, line: int, ranges: Ranges) -> Segment:
        source = self.line(line)
        w = torch.zeros_like(self.x)
        for lo, hi in ranges:
            w[lo:hi] = source[lo:hi]
        moved = self.x + _POINTS * w  # (5, N)
        if len(ranges) == 1:
            lo, hi = ranges[0]
            deltas = moved[:, lo:hi] - self.x[lo:hi]
        else:
            deltas = torch.cat([moved[:, lo:hi] - self.x[lo:hi] for lo, hi in ranges], dim=1)
        outputs = [self.subject.forward_at(self.layout.split(row))[0] for row in moved]
        self.calls += len(POINTS)
        weighted, m1, m2 = weigh(self.output, outputs, self.grad_outs)
        return Segment(line, ranges, deltas, weighted.transpose(1, 2), m1.T, m2.T)


_POINTS = torch.tensor(POINTS, dtype=torch.float64).unsqueeze(1)


def _changes(output: torch.Tensor, outputs: list[torch.Tensor], groups: int):
    """Output changes (C, 5, n_out) of C probes, and each output's size (C, n_out).

    The size |F_j(x)| + max_t |dF_j| bounds |F_j| over the probe. Outputs
    that did not move count too: a change below their rounding (tanh(-20)
    stays -1.0 exactly) reads as 0, wrong by up to eps |F_j|.
    """
    for moved in outputs:
        if moved.shape != output.shape:
            raise ValueError(f"forward returned shape {tuple(moved.shape)} for nearby inputs, "
                             f"but {tuple(output.shape)} at the inputs themselves")
    base = output.reshape(-1)
    changes = torch.stack(outputs).reshape(groups, len(POINTS), -1) - base
    return changes, base.abs() + changes.abs().amax(1)


def weigh(output, outputs, grad_outs, groups: int = 1):
    """C probes of five points each: weighted combinations (6, C, nG), m1 and m2 (C, nG)."""
    weights = grad_outs.reshape(grad_outs.shape[0], -1)  # (nG, n_out)
    changes, size = _changes(output, outputs, groups)
    weighted = change_combos((changes @ weights.T).transpose(0, 1))  # combine after weighting
    return weighted, size @ weights.abs().T, (size.square() @ weights.square().T).sqrt()


def elementwise_samples(subject: Subject, i: int, output: torch.Tensor, grad_outs: torch.Tensor):
    """Every element of input ``i`` moved at once: step combination rows, then :func:`weigh`.

    Valid when each output element depends on the input element at the same
    position only (the declared ``elementwise=True``) and shapes agree.
    """
    ops = subject.operands
    x = ops[i].value.reshape(-1)
    moved = x + _POINTS * step_sizes(x)  # (5, n)
    outputs = []
    for row in moved:
        values = [op.value.clone() if j != i else row.view(op.shape) for j, op in enumerate(ops)]
        outputs.append(subject.forward_at(values)[0])
    changes, size = _changes(output, outputs, 1)
    weights = grad_outs.reshape(grad_outs.shape[0], -1)
    deltas = moved - x
    return (Rows(lambda r: step_combo(deltas, r)), changes[0], weights,
            weights.abs() * (size + internal_size(x)))


def internal_size(x: torch.Tensor) -> torch.Tensor:
    """max(1, |x|): a value that size may round inside forward, however small its result.

    gelu(-30) = -30 (1 + erf(-21.2)) / 2 is 0 exactly: the cancellation
    inside costs eps |x| that |F| does not show.
    """
    return x.abs().clamp(min=1.0)
