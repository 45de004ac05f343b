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
from .gradcheck_numeric import POINTS, STEP, TAU, Rows, step_combo

UNIT = -1  # the line with v = 1, for one-element segments
CHUNK = 256  # segments evaluated together
CHUNK_VALUES = 4_000_000  # ... holding at most this many output values at once
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
            shifts = 1 + self.rng.choice(n - 1, size=self.count - 1, replace=False)
            self._lines = [torch.roll(v, s) * self.steps for s in [0, *shifts.tolist()]]
        return self._lines[k]

    def segment(self, line: int, ranges: Ranges) -> Segment:
        return self.segments([(line, ranges)])[0]

    def singles(self, positions: list[int]) -> list[Segment]:
        """One-element segments on the unit line (per-element central differences)."""
        return self.segments([(UNIT, ((j, j + 1),)) for j in positions])

    def segments(self, keys: list[tuple[int, Ranges]]) -> list[Segment]:
        """Segments for (line, ranges) keys; new ones evaluated together, in chunks."""
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        size = max(1, min(CHUNK, CHUNK_VALUES // (8 * max(1, self.output.numel()))))
        for start in range(0, len(todo), size):
            chunk = todo[start:start + size]
            self._cache.update(zip(chunk, self._evaluate(chunk), strict=True))
        return [self._cache[k] for k in keys]

    def _evaluate(self, keys: list[tuple[int, Ranges]]) -> list[Segment]:
        outputs, deltas = [], []
        for line, ranges in keys:  # one key's moved inputs (5, N) at a time
            moved, displaced = self._moved(line, ranges)
            deltas.append(displaced)
            outputs += [self.subject.forward_at(self.layout.split(row))[0] for row in moved]
        self.calls += len(outputs)
        weighted, m1, m2 = weigh(self.output, outputs, self.grad_outs, len(keys))
        # one value of the moved inputs' size may round inside forward: see internal_size
        largest = torch.stack([max(self.x[lo:hi].abs().max() for lo, hi in r) for _, r in keys])
        floor = internal_size(largest).unsqueeze(1) * self.grad_outs.reshape(
            len(self.grad_outs), -1).abs().amax(1)  # (C, nG)
        m1, m2 = m1 + floor, m2 + floor
        return [Segment(line, ranges, deltas[c], weighted[:, c].unsqueeze(-1),
                        m1[c].unsqueeze(-1), m2[c].unsqueeze(-1))
                for c, (line, ranges) in enumerate(keys)]

    def _moved(self, line: int, ranges: Ranges) -> tuple[torch.Tensor, torch.Tensor]:
        """The inputs at the five points (5, N), and the displacements on the ranges (5, size)."""
        if _size(ranges) == 1:
            j = ranges[0][0]
            at = self.x[j] + _POINTS[:, 0] * self.steps[j]
            moved = self.x.repeat(len(POINTS), 1)
            moved[:, j] = at
            return moved, (at - self.x[j]).unsqueeze(1)
        w = source = self.line(line)
        if ranges != ((0, len(self.x)),):
            w = torch.zeros_like(self.x)
            for lo, hi in ranges:
                w[lo:hi] = source[lo:hi]
        moved = torch.addcmul(self.x, _POINTS, w)  # x + t w, one pass
        if len(ranges) == 1:
            lo, hi = ranges[0]
            return moved, moved[:, lo:hi] - self.x[lo:hi]
        return moved, torch.cat([moved[:, lo:hi] - self.x[lo:hi] for lo, hi in ranges], dim=1)


_POINTS = torch.tensor(POINTS, dtype=torch.float64).unsqueeze(1)
# change_combo as a matrix: C(h), C(2h), the two gaps, the two noise probes
_COMBOS = torch.tensor([[0.5, -0.5, 0, 0, 0], [0, 0, 0.25, -0.25, 0], [1, 1, 0, 0, 0],
                        [0, 0, 0.25, 0.25, 0], [-TAU / 2, TAU / 2, 0, 0, 1], [-TAU, 0, 0, 0, 1]],
                       dtype=torch.float64)


def _size(ranges: Ranges) -> int:
    return sum(hi - lo for lo, hi in ranges)


def _changes(output: torch.Tensor, outputs: list[torch.Tensor], groups: int):
    """Output changes (C, 5, n_out) of C probes, and each output's size (C, n_out).

    The size |F_j(x)| + max |dF_j| at +-2h (the farthest points) bounds
    |F_j| over the probe. Outputs that did not move count too: a change
    below their rounding (tanh(-20) stays -1.0 exactly) reads as 0, wrong by
    up to eps |F_j|.
    """
    base = output.reshape(-1)
    changes = torch.empty(groups * len(POINTS), base.numel(), dtype=torch.float64)
    for row, moved in zip(changes, outputs, strict=True):
        if moved.shape != output.shape:
            raise ValueError(f"forward returned shape {tuple(moved.shape)} for nearby inputs, "
                             f"but {tuple(output.shape)} at the inputs themselves")
        torch.sub(moved.reshape(-1), base, out=row)
    changes = changes.view(groups, len(POINTS), -1)
    return changes, base.abs() + changes[:, 2:4].abs().amax(1)


def weigh(output, outputs, grad_outs, groups: int = 1):
    """C probes of five points each: weighted combinations (6, C, nG), m1 and m2 (C, nG)."""
    weights = grad_outs.reshape(grad_outs.shape[0], -1)  # (nG, n_out)
    changes, size = _changes(output, outputs, groups)
    weighted = _COMBOS @ (changes @ weights.T)  # (C, 6, nG): combine after weighting
    m2 = (size.square() @ weights.square().T).sqrt()
    return weighted.transpose(0, 1), size @ weights.abs().T, m2


def elementwise_samples(subject: Subject, i: int, output: torch.Tensor, grad_outs: torch.Tensor):
    """Every element of input ``i`` moved at once, each output element its own probe.

    Returns the step combination rows (:func:`step_combo`, (n,) each), the
    output changes (5, n), the upstream gradients (nG, n) and the size of
    each output along its probe (n,). Valid when each output element depends on
    the input element at the same position only (the declared
    ``elementwise=True``) and the shapes agree.
    """
    ops = subject.operands
    x = ops[i].value.reshape(-1)
    moved = torch.addcmul(x, _POINTS, step_sizes(x))  # x + t h, (5, n)
    outputs = []
    for row in moved:
        values = [op.value.clone() if j != i else row.view(op.shape) for j, op in enumerate(ops)]
        outputs.append(subject.forward_at(values)[0])
    changes, size = _changes(output, outputs, 1)
    deltas = moved - x
    return (Rows(lambda r: step_combo(deltas, r)), changes[0],
            grad_outs.reshape(grad_outs.shape[0], -1), size[0] + internal_size(x))


def internal_size(x: torch.Tensor) -> torch.Tensor:
    """max(1, |x|): a value that size may round inside forward, however small its result.

    gelu(-30) = -30 (1 + erf(-21.2)) / 2 is 0 exactly, and so is the cross
    entropy of logits 1000 apart: the cancellation inside costs eps |x| that
    |F| does not show, and a slope below eps |x| / h reads as 0.
    """
    return x.abs().clamp(min=1.0)
