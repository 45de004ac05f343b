"""Naming the mistake, once a gradient is known to be wrong.

Each kind is a hypothesis tested against the same numeric evidence, in the
priority order of :data:`.gradcheck_kinds.KINDS`: the transpose, the sum
over extra axes, the negative, the gradient divided by a fitted factor --
the first candidate that passes explains the fault. Otherwise the wrong
elements are counted, located and, where they share something, described
("all where x < 0").

``evidence`` is an :class:`.gradcheck_evidence.ElementwiseEvidence` or a
:class:`.gradcheck_lines.LineEvidence` for the input; ``grads`` are its
gradients ``(nG, *shape)``, one per upstream gradient.
"""

from __future__ import annotations

import math

import torch

from ..messages import Message
from .gradcheck_calls import Operand
from .gradcheck_evidence import ElementFindings, ElementReport, per_upstream
from .gradcheck_kinds import Diagnosis, Worst
from .gradcheck_words import count_words, factor_words, pattern_words, shape_words

SHOWN = 3  # elements quoted in the message


def diagnose_values(i: int, ops: tuple[Operand, ...], grads: torch.Tensor,
                    evidence) -> Diagnosis | None:
    """The kind of fault of a gradient of the right shape, or None when it is right."""
    op, cand = ops[i], per_upstream(grads)
    if not evidence.wrong(cand):
        return None
    name = op.name
    if op.value.dim() == 2 and op.shape[0] == op.shape[1] > 1:
        flipped = per_upstream(grads.transpose(-1, -2))
        if not evidence.wrong(flipped):
            return Diagnosis(name, "transposed", cause=Message("gradcheck.transposed", name=name),
                worst=_quote(op, evidence, cand, (cand - flipped)[0].abs()))
    if not bool((cand != 0).any()):
        return Diagnosis(name, "scale", factor=0.0, cause=Message("gradcheck.zero", name=name),
            worst=_quote_zero(op, evidence, cand))
    if not evidence.wrong(-cand):
        return Diagnosis(name, "sign", cause=Message("gradcheck.sign", name=name),
            worst=_quote(op, evidence, cand, cand[0].abs()))
    factor = evidence.fit(cand)
    if factor is not None and math.isfinite(factor) and factor != 0:
        if not evidence.wrong(cand / factor):
            return Diagnosis(name, "scale", factor=factor, cause=factor_words(factor, name, ops),
                             worst=_quote(op, evidence, cand, cand[0].abs()))
    return _elements(op, ops, evidence.elements(cand))


def diagnose_shape(i: int, ops: tuple[Operand, ...], grads: torch.Tensor | None,
                   first: tuple[int, ...] | None, evidence) -> Diagnosis:
    """transposed, missing_reduction or wrong_shape, for a gradient of another shape.

    first: the shape of the gradient for the first upstream gradient; grads
    is None when there is none, or when its shape changes with grad_out.
    """
    op = ops[i]
    name, shape = op.name, op.shape
    if first is None:
        return Diagnosis(name, "wrong_shape", cause=Message("gradcheck.no_tensor", name=name))
    said = Message("gradcheck.shapes", name=name, theirs=shape_words(first),
                   shape=shape_words(shape))
    if grads is None:
        return Diagnosis(name, "wrong_shape",
                         cause=Message("gradcheck.shape_changes", said=said))
    theirs = first
    if len(shape) == 2 and theirs == shape[::-1]:
        if evidence.wrong(per_upstream(grads.transpose(-1, -2))):
            return Diagnosis(name, "wrong_shape",
                             cause=Message("gradcheck.shape_transposed_still_wrong", said=said))
        return Diagnosis(name, "transposed",
                         cause=Message("gradcheck.shape_transposed", said=said))
    axes = _reduced_axes(shape, theirs)
    if axes is None:
        return Diagnosis(name, "wrong_shape", cause=Message("gradcheck.wrong_shape", said=said))
    where = (Message("gradcheck.axis", axis=axes[0]) if len(axes) == 1
             else Message("gradcheck.axes", axes=", ".join(map(str, axes))))
    if evidence.wrong(per_upstream(torch.stack([g.sum_to_size(shape) for g in grads]))):
        return Diagnosis(name, "wrong_shape",
                         cause=Message("gradcheck.summed_still_wrong", said=said, where=where))
    key = "gradcheck.missing_reduction" if len(axes) == 1 else "gradcheck.missing_reductions"
    return Diagnosis(name, "missing_reduction",
                     cause=Message(key, said=said, where=where, name=name))


def _reduced_axes(shape: tuple[int, ...], theirs: tuple[int, ...]) -> list[int] | None:
    """Axes of ``theirs`` to sum to get ``shape`` (extra leading, or kept size-1), or None."""
    extra = len(theirs) - len(shape)
    if extra < 0 or theirs == shape:
        return None
    axes = list(range(extra))
    for k, (mine, yours) in enumerate(zip(shape, theirs[extra:], strict=True)):
        if mine == 1 and yours != 1:
            axes.append(extra + k)
        elif mine != yours:
            return None
    return axes


def _elements(op: Operand, ops: tuple[Operand, ...], found: ElementFindings) -> Diagnosis:
    if found.count == 0:  # the lines saw a fault no single element shows: report it whole
        return Diagnosis(op.name, "elements", count=found.total, indices=(),
                         cause=Message("gradcheck.no_single_element", name=op.name))
    indices = tuple(_unravel(r.index, op.shape) for r in found.worst)
    described = pattern_words(op, ops, found.wrong) if found.exact else ""
    words = count_words(found.count, found.total, found.exact)
    return Diagnosis(op.name, "elements", count=found.count, indices=indices,
                     cause=Message("gradcheck.elements_wrong", count=words, pattern=described),
                     worst=tuple(_worst(r, op.shape) for r in found.worst[:SHOWN]),
                     estimated=not found.exact)


def _quote(op: Operand, evidence, cand: torch.Tensor, score: torch.Tensor) -> tuple[Worst, ...]:
    """The SHOWN elements with the largest ``score``, with their numeric values."""
    picked = torch.argsort(-score.nan_to_num(nan=float("inf")), stable=True)[:SHOWN]
    return tuple(_worst(r, op.shape) for r in evidence.at(picked, cand))


def _quote_zero(op: Operand, evidence, cand: torch.Tensor) -> tuple[Worst, ...]:
    """For an all-zero gradient: the largest numeric values among a few spread elements."""
    n = cand.shape[1]
    spread = torch.unique(torch.linspace(0, n - 1, min(n, 16)).round().long())
    ranked = sorted(evidence.at(spread, cand), key=lambda r: -abs(r.numeric))
    return tuple(_worst(r, op.shape) for r in ranked[:SHOWN])


def _worst(report: ElementReport, shape: tuple[int, ...]) -> Worst:
    index = _unravel(report.index, shape)
    return Worst(index, report.yours, report.numeric, report.bracket, report.tol)


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        index.append(flat % size)
        flat //= size
    return tuple(reversed(index))
