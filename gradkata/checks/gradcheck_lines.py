r"""Probe-line evidence: a few random lines, narrowed down only when needed.

A per-element check of ``n`` elements costs ``5n`` forward calls; a probe
line costs five whatever ``n`` is. With Gaussian ``v`` one wrong element
``i`` moves ``A(h)`` by ``e_i h_i v_i``, while the tolerance of the line
grows only with rounding (``eps m1``, ``eps kappa m2``) and with the
relative floor ``r (|A| + 3 ||g . w||_2)``, which grows like sqrt(n): one
element wrong by half its value stays visible among 10^5
(``benchmarks/bench_gradcheck.py`` measures it). :data:`LINES` lines, each
judged with every upstream gradient, make a miss need several unlucky draws
at once.

A line that fails with kink evidence is halved, again and again, along the
same direction; a one-element part is checked on the unit line, where the
one-sided rule applies. Parts that pass are dropped, so ``k`` kinks cost
about ``2 k log2(n)`` segments. Past a budget of forward calls every element
is checked on its own instead (up to :data:`EXACT_LIMIT` elements; beyond,
a line still blurred is not held against the code).

Wrong elements are located the same way, line by line: each found element is
set to its numeric value before the next line is narrowed, so that one wrong
element costs one line's descent, about ``10 log2(n)`` forward calls.
"""

from __future__ import annotations

import torch

from .gradcheck_evidence import (
    ElementFindings,
    ElementReport,
    assess_segments,
    least_squares,
    reliable,
    reports,
    segment_noise,
    verdicts,
)
from .gradcheck_numeric import OK, WRONG, Assessment, ErrorModel, pooled_kappa, step_combo
from .gradcheck_probes import UNIT, Probe, Ranges, Segment

LINES = 4  # random probe lines per check
EXACT_LIMIT = 10_000  # count wrong elements exactly up to this many
SAMPLED = 128  # elements sampled to estimate the count beyond it (about +-4%)
NARROW_CALLS = 2_000  # forward calls for narrowing kinks down, per evidence
LOCATE_CALLS = 2_000  # forward calls for locating wrong elements, at most
OWN_NOISE = 32  # one-element probes that pool their own noise measurement


class LineEvidence:
    """Probe lines over ``ranges`` of the flat space: one input, or several at once.

    Candidates are flattened gradients ``(nG, size)``, laid on ``ranges`` in order.
    """

    def __init__(self, probe: Probe, ranges: Ranges, model: ErrorModel):
        ranges = merged(ranges)
        self.probe, self.ranges = probe, ranges
        self.size = sum(hi - lo for lo, hi in ranges)
        self.index = torch.cat([torch.arange(lo, hi) for lo, hi in ranges])  # flat positions
        if self.size <= LINES:  # as cheap as the lines, and exact: one element at a time
            self.top = probe.singles(self.index.tolist())
        else:
            self.top = probe.segments([(k, ranges) for k in range(LINES)])
        kappa = pooled_kappa(segment_noise(self.top, model.eps_out))
        self.model = ErrorModel(model.eps_out, model.rel_floor, kappa)
        self.budget = probe.calls + min(NARROW_CALLS, 5 * self.size)  # 5 n: all on their own
        self.dense = False  # judge every element on its own (too many kinks for the lines)

    def _flat(self, cand: torch.Tensor) -> torch.Tensor:
        flat = torch.zeros(cand.shape[0], self.probe.x.numel(), dtype=cand.dtype)
        flat[:, self.index] = cand
        return flat

    def _top(self, flat: torch.Tensor) -> tuple[Assessment, list[int]]:
        result = assess_segments(self.top, flat, self.model)
        return result, verdicts(result.status, self.top[0].size == 1)

    def wrong(self, cand: torch.Tensor) -> bool:
        """Any line, or a part of one where kinks blur it, confirms a wrong gradient.

        When kinks are too many to narrow down within the budget, every
        element is checked on its own (up to EXACT_LIMIT elements; beyond,
        a line still blurred is not held against the code).
        """
        flat = self._flat(cand)
        if self.dense:
            return bool((self._dense(flat).status == WRONG).any())
        _, verdicts = self._top(flat)
        if WRONG in verdicts:
            return True
        for seg in (s for s, v in zip(self.top, verdicts, strict=True) if v != OK):
            if self._narrow(seg, flat, False, self.budget):
                return True
            if self.probe.calls >= self.budget and self.size <= EXACT_LIMIT:
                self.dense = True
                return self.wrong(cand)
        return False

    def _dense(self, flat: torch.Tensor) -> Assessment:
        segments = self.probe.singles(self.index.tolist())
        return assess_segments(segments, flat, self._model_for(segments))

    def _model_for(self, segments: list[Segment]) -> ErrorModel:
        """Many one-element probes measure their own noise: the lines' measurement
        also holds whatever near-kinks they crossed, and would be needlessly loose."""
        if len(segments) < OWN_NOISE:
            return self.model
        kappa = pooled_kappa(segment_noise(segments, self.model.eps_out))
        return ErrorModel(self.model.eps_out, self.model.rel_floor, kappa)

    def fit(self, cand: torch.Tensor) -> float | None:
        """Least-squares factor c with cand ~ c * numeric, over the reliable probes."""
        flat = self._flat(cand)
        result = self._dense(flat) if self.dense else self._top(flat)[0]
        return least_squares(result, reliable(result))

    def _halves(self, parent: Segment) -> list[Segment]:
        """Both halves of ``parent``, evaluated together; one element moves on the unit line."""
        keys = [(UNIT if sum(hi - lo for lo, hi in r) == 1 else parent.line, r)
                for r in halves(parent.ranges) if r]
        return self.probe.segments(keys)

    def _narrow(self, seg: Segment, flat: torch.Tensor, locate: bool, limit: int) -> list[Segment]:
        """Halve ``seg`` until its fault is pinned down.

        Returns confirmed-wrong parts: the first one found, or when locating,
        every wrong single element (within the budget ``limit`` of calls).
        """
        found, stack = [], [seg]
        while stack and self.probe.calls < limit:
            for part in self._halves(stack.pop()):
                status = assess_segments([part], flat, self.model).status
                result = verdicts(status, part.size == 1)[0]
                if result == WRONG and (part.size == 1 or not locate):
                    found.append(part)
                    if not locate:
                        return found
                elif result != OK and part.size > 1:
                    stack.append(part)
        return found

    def _singles(self, positions: list[int], flat: torch.Tensor, only_wrong: bool):
        """Per-element verdicts at flat ``positions``, and reports (the wrong ones, worst first)."""
        segments = self.probe.singles(positions)
        result = assess_segments(segments, flat, self._model_for(segments))
        half1 = torch.cat([step_combo(s.deltas, 0) for s in segments])
        local = torch.searchsorted(self.index, torch.tensor(positions, dtype=torch.long))
        wrong = (result.status == WRONG).any(0)
        picked = wrong.nonzero().flatten() if only_wrong else torch.arange(len(positions))
        worst = reports(result.pick(picked), half1[picked], flat[:, positions][:, picked],
                        local[picked], only_wrong)
        return wrong, worst

    def at(self, indices: torch.Tensor, cand: torch.Tensor) -> tuple[ElementReport, ...]:
        return self._singles(self.index[indices].tolist(), self._flat(cand), False)[1]

    def elements(self, cand: torch.Tensor) -> ElementFindings:
        """Wrong elements, located by halving the failing lines; every element checked on
        its own when there are too many to locate (exact up to EXACT_LIMIT, else sampled)."""
        flat = self._flat(cand)
        found, complete = ([], False) if self.dense else self._locate(flat)
        if complete:
            wrong = torch.zeros(self.size, dtype=torch.bool)
            wrong[torch.searchsorted(self.index, torch.tensor(found, dtype=torch.long))] = True
            worst = self._singles(found, flat, True)[1] if found else ()
            return ElementFindings(len(found), self.size, True, wrong, worst)
        if self.size <= EXACT_LIMIT:
            wrong, worst = self._singles(self.index.tolist(), flat, True)
            return ElementFindings(int(wrong.sum()), self.size, True, wrong, worst)
        return self._sampled(flat, found)

    def _locate(self, flat: torch.Tensor) -> tuple[list[int], bool]:
        """Flat positions of the wrong elements the lines lead to, and whether all were found.

        Line by line: a failing line is halved down to its wrong elements,
        which are then set to their numeric values, so that the next lines
        chase only what is still unexplained (one wrong element: one line).
        """
        limit = self.probe.calls + min(LOCATE_CALLS, 5 * self.size)
        repaired, found = flat.clone(), set()
        for k, seg in enumerate(self.top):
            if self._top(repaired)[1][k] == OK:
                continue
            parts = [seg] if seg.size == 1 else self._narrow(seg, repaired, True, limit)
            found |= set(self._repair(repaired, parts))
        return sorted(found), self.probe.calls < limit

    def _repair(self, flat: torch.Tensor, parts: list[Segment]) -> list[int]:
        """Set the elements of one-element ``parts`` to their numeric values, in place."""
        if not parts:
            return []
        positions = [p.ranges[0][0] for p in parts]
        result = assess_segments(parts, flat, self.model)
        half1 = torch.cat([step_combo(p.deltas, 0) for p in parts])
        value = result.central / half1
        if result.kink is not None and result.low is not None and result.high is not None:
            inside = flat[:, positions].clamp(result.low, result.high)  # any slope between
            value = torch.where(result.kink & inside.isfinite(), inside, value)
        flat[:, positions] = value
        return positions

    def _sampled(self, flat: torch.Tensor, found: list[int]) -> ElementFindings:
        """Too many wrong elements to locate: estimate their count from a sample."""
        chosen = self.probe.rng.choice(self.size, size=min(SAMPLED, self.size), replace=False)
        picks = self.index[torch.from_numpy(chosen)]
        wrong, _ = self._singles(picks.tolist(), flat, True)
        every = sorted(set(found) | set(picks[wrong].tolist()))
        count = max(len(every), round(float(wrong.double().mean()) * self.size))
        worst = self._singles(every, flat, True)[1] if every else ()
        return ElementFindings(count, self.size, False, None, worst)


def halves(ranges: Ranges) -> tuple[Ranges, Ranges]:
    """Split ranges into two parts of (nearly) equal total size."""
    cut = sum(hi - lo for lo, hi in ranges) // 2
    first: list[tuple[int, int]] = []
    second: list[tuple[int, int]] = []
    for lo, hi in ranges:
        take = max(0, min(hi - lo, cut))
        if take:
            first.append((lo, lo + take))
        if lo + take < hi:
            second.append((lo + take, hi))
        cut -= take
    return tuple(first), tuple(second)


def merged(ranges: Ranges) -> Ranges:
    """Ranges with touching neighbours joined: (0, 4), (4, 6) -> (0, 6)."""
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)
