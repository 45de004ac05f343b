r"""The gradient-check engine (SPEC section 5): is ``backward`` right for ``forward``?

    check_gradient(forward, backward, inputs, *, grad_out=None, names=None,
                   seed=0, elementwise=False)

returns None when every gradient agrees with central differences of
``forward`` within the error of those differences, and otherwise raises
:class:`GradientCheckError` naming the mistake. In order:

1. structure (:mod:`.gradcheck_structure`): inputs and grad_out unchanged,
   deterministic calls, one gradient per input of exactly the input's shape,
   backward linear in grad_out;
2. numbers: for ``elementwise=True`` every element's derivative from five
   forward calls (:func:`.gradcheck_probes.elementwise_samples`), otherwise
   four random probe lines through all inputs at once
   (:mod:`.gradcheck_lines`), each judged by the error model of
   :mod:`.gradcheck_numeric` -- central differences in float64, truncation
   from steps h and 2h, rounding modelled and measured, kinks found and
   judged by their one-sided slopes;
3. only on failure, the diagnosis (:mod:`.gradcheck_diagnose`): which input,
   which kind, which elements.

All randomness comes from a local generator seeded with ``seed``; the
global RNG state is left as found.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from .failure import CheckFailure
from .gradcheck_calls import Subject, operands
from .gradcheck_diagnose import diagnose_shape, diagnose_values
from .gradcheck_evidence import ElementwiseEvidence, per_upstream
from .gradcheck_kinds import KINDS, Diagnosis, Worst
from .gradcheck_lines import LINES, LineEvidence
from .gradcheck_numeric import ErrorModel, rel_floor
from .gradcheck_probes import Probe, elementwise_samples
from .gradcheck_structure import Structure, run_structure
from .gradcheck_words import message

__all__ = ["KINDS", "Diagnosis", "GradientCheckError", "Worst", "check_gradient"]


class GradientCheckError(CheckFailure):
    """A backward is wrong. ``str(error)`` explains it; ``diagnoses`` lists each fault.

    Each diagnosis has at least ``input`` (a name, or None when the fault is
    not tied to one input), ``kind`` (one of :data:`KINDS`), ``factor``,
    ``count`` and ``indices``.
    """

    def __init__(self, text: str, diagnoses: Sequence[Diagnosis]):
        super().__init__(text)
        self.diagnoses = tuple(diagnoses)


def check_gradient(forward: Callable, backward: Callable, inputs, *, grad_out=None,
                   names: Sequence[str] | None = None, seed: int = 0,
                   elementwise: bool = False) -> None:
    """Raise :class:`GradientCheckError` unless ``backward`` is the gradient of ``forward``.

    forward(*inputs) -> output; backward(grad_out, *inputs) -> one gradient
    per input (a tuple when several), each of its input's exact shape.
    inputs: float32/float64 tensors on any device, or NumPy float arrays;
        both functions get float64 CPU copies of the same kind.
    grad_out: the upstream gradient (output's shape); random when None.
    names: one name per input for messages (default x0, x1, ...).
    seed: all randomness of the check; the same call gives the same result.
    elementwise: declares that output element i depends on input element i
        only, so two forward calls per step give the whole diagonal Jacobian.
    """
    subject = Subject(forward, backward, operands(inputs, names))
    with _global_rng_left_as_found():
        diagnoses = _check(subject, grad_out, np.random.default_rng(seed), elementwise)
    if diagnoses:
        raise GradientCheckError(message(diagnoses, seed, grad_out is not None), diagnoses)


def _check(subject: Subject, grad_out, rng: np.random.Generator, elementwise: bool) -> list[Diagnosis]:
    structure = run_structure(subject, grad_out, rng)
    if structure.fatal:
        return structure.fatal
    ops = subject.operands
    probe = Probe(subject, structure.output, structure.grad_outs, rng, LINES)
    model = ErrorModel(structure.eps_out, rel_floor(structure.grad_dtypes))
    evidence = _Evidence(probe, structure, model, elementwise)
    found: dict[int, Diagnosis] = {}
    for i in structure.misshapen:
        found[i] = diagnose_shape(i, ops, structure.grads[i], evidence.single(i))
    for i in evidence.suspects():
        diagnosis = diagnose_values(i, ops, structure.grads[i], evidence.single(i))
        if diagnosis is not None:  # a nonlinear backward explains whatever went wrong
            found[i] = _ignores_grad_out(ops[i].name) if i in structure.nonlinear else diagnosis
    return [found[i] for i in sorted(found)]


def _ignores_grad_out(name: str) -> Diagnosis:
    return Diagnosis(name, "ignores_grad_out", cause=(
        f"your gradient for {name} does not scale with grad_out: backward must be linear in "
        "grad_out (chain rule: multiply your local derivative by grad_out, once)."))


class _Evidence:
    """Numeric evidence per input, made on first need: elementwise where declared and possible."""

    def __init__(self, probe: Probe, structure: Structure, model: ErrorModel, elementwise: bool):
        self.probe, self.structure, self.model = probe, structure, model
        shape = tuple(structure.output.shape)
        self.diagonal = {i for i, op in enumerate(probe.subject.operands)
                         if elementwise and op.shape == shape}
        self._made: dict[int, ElementwiseEvidence | LineEvidence] = {}

    def single(self, i: int):
        if i not in self._made:
            if i in self.diagonal:
                samples = elementwise_samples(self.probe.subject, i, self.structure.output,
                                              self.structure.grad_outs)
                self._made[i] = ElementwiseEvidence(*samples, self.model)
            else:
                ranges = self.probe.layout.ranges_of(i)
                self._made[i] = LineEvidence(self.probe, ranges, self.model)
        return self._made[i]

    def suspects(self) -> list[int]:
        """Inputs whose gradient may be wrong: checked one by one, or all lines at once."""
        count = len(self.probe.subject.operands)
        active = self.structure.active(count)
        grads = self.structure.grads
        suspects = [i for i in active if i in self.diagonal and self.single(i).wrong(per_upstream(grads[i]))]
        rest = [i for i in active if i not in self.diagonal]
        if len(rest) <= 1:
            return sorted(suspects + rest)
        ranges = tuple(r for i in rest for r in self.probe.layout.ranges_of(i))
        joint = LineEvidence(self.probe, ranges, self.model)
        if joint.wrong(torch.cat([per_upstream(grads[i]) for i in rest], dim=1)):
            suspects += rest  # each is judged again on its own lines
        return sorted(suspects)


@contextmanager
def _global_rng_left_as_found():
    """Restore torch's, NumPy's and Python's global RNG, whatever the code under check draws."""
    states = torch.random.get_rng_state(), np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        torch.random.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])
