r"""The gradient-check engine (SPEC section 5): is ``backward`` right for ``forward``?

    check_gradient(forward, backward, inputs, *, grad_out=None, names=None,
                   seed=0, elementwise=False)

returns None when every gradient agrees with central differences of
``forward`` within the error of those differences, and otherwise raises
:class:`GradientCheckError` naming the mistake. In order:

1. structure (:mod:`.gradcheck_structure`): inputs and grad_out unchanged,
   deterministic calls, one gradient per input of exactly the input's shape,
   backward linear in grad_out (2 forward and 3-4 backward calls);
2. numbers, for two upstream gradients at once: with ``elementwise=True``
   every element's derivative from five forward calls
   (:func:`.gradcheck_probes.elementwise_samples`); otherwise four random
   probe lines through all inputs together, 20 forward calls whatever their
   size (:mod:`.gradcheck_lines`); each judged by the error model of
   :mod:`.gradcheck_numeric` -- central differences in float64, truncation
   from steps h and 2h, rounding modelled and measured, kinks found (not
   declared) and judged by their one-sided slopes;
3. only on failure, the diagnosis (:mod:`.gradcheck_diagnose`): which inputs,
   which kind, which elements, in words (:mod:`.gradcheck_words`).

All randomness comes from ``numpy.random.default_rng(seed)``: the same call
gives the same result and message. The global RNGs are left as found.

Module map: calls (copies in, float64 out) -> structure -> probes (where
forward is evaluated) -> numeric (the verdicts) -> evidence / lines (judging
a candidate gradient) -> diagnose -> words; kinds holds the public types.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from ..messages import Message
from .failure import CheckFailure
from .gradcheck_calls import ARRAY, Subject, operands
from .gradcheck_diagnose import diagnose_shape, diagnose_values
from .gradcheck_evidence import ElementwiseEvidence, per_upstream
from .gradcheck_kinds import KINDS, Diagnosis, Worst
from .gradcheck_lines import LINES, LineEvidence
from .gradcheck_numeric import ErrorModel, rel_floor
from .gradcheck_picture import picture
from .gradcheck_probes import Probe, elementwise_samples
from .gradcheck_structure import Structure, run_structure
from .gradcheck_words import message

__all__ = ["KINDS", "Diagnosis", "GradientCheckError", "Worst", "check_gradient"]


class GradientCheckError(CheckFailure):
    """A backward is wrong. ``str(error)`` explains it; ``diagnoses`` lists each fault.

    Each diagnosis has at least ``input`` (a name, or None when the fault is
    not tied to one input), ``kind`` (one of :data:`KINDS`), ``factor``,
    ``count`` and ``indices``. ``evidence`` holds the per-element values of
    the first wrong gradient for a plot (see :mod:`.gradcheck_picture`), or
    None when no fault is about values (a wrong shape, say).
    """

    def __init__(self, text: str, diagnoses: Sequence[Diagnosis],
                 evidence: Callable[[], dict | None] | None = None):
        super().__init__(text)
        self.diagnoses = tuple(diagnoses)
        # Made on first need: while hypothesis shrinks it raises many of these, and
        # only the last one's picture is ever looked at.
        self._evidence: Callable[[], dict | None] | dict | None = evidence

    @property
    def evidence(self) -> dict | None:
        if callable(self._evidence):
            make, self._evidence = self._evidence, None
            try:
                self._evidence = make()
            except Exception:  # the learner's forward, called again: a picture is not worth a crash
                self._evidence = None
        return self._evidence


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
    numpy = any(op.kind == ARRAY for op in subject.operands)
    with _global_rng_left_as_found(numpy):
        diagnoses, pictured = _check(subject, grad_out, np.random.default_rng(seed), elementwise)
    if diagnoses:
        raise GradientCheckError(message(diagnoses, seed, grad_out is not None), diagnoses,
                                 pictured and functools.partial(_rng_kept, pictured, numpy))


def _check(subject: Subject, grad_out, rng: np.random.Generator,
           elementwise: bool) -> tuple[list[Diagnosis], Callable[[], dict | None] | None]:
    """The faults found, and how to get the numbers behind a picture of them."""
    structure = run_structure(subject, grad_out, rng)
    if structure.fatal:
        return structure.fatal, None
    ops = subject.operands
    probe = Probe(subject, structure.output, structure.grad_outs, rng, LINES)
    model = ErrorModel(structure.eps_out, rel_floor(structure.grad_dtypes))
    evidence = _Evidence(probe, structure, model, elementwise)
    found: dict[int, Diagnosis] = {}
    for i in structure.nonlinear:
        if structure.grads[i] is None:  # its shape changes with grad_out
            found[i] = _ignores_grad_out(ops[i].name)
    for i in structure.misshapen:
        found[i] = diagnose_shape(i, ops, structure.grads[i], structure.shapes[i],
                                  evidence.single(i))
    for i in evidence.suspects():
        grads = structure.grads[i]
        assert grads is not None  # suspects are active: both gradients have the input's shape
        diagnosis = diagnose_values(i, ops, grads, evidence.single(i))
        if diagnosis is not None:  # a nonlinear backward explains whatever went wrong
            found[i] = _ignores_grad_out(ops[i].name) if i in structure.nonlinear else diagnosis
    pictured = functools.partial(picture, found, structure.grads, [op.name for op in ops],
                                 [op.shape for op in ops], evidence.single)
    return [found[i] for i in sorted(found)], pictured if found else None


def _ignores_grad_out(name: str) -> Diagnosis:
    return Diagnosis(name, "ignores_grad_out",
                     cause=Message("gradcheck.ignores_grad_out", name=name))


class _Evidence:
    """Numeric evidence per input, made on first need: elementwise where declared and possible."""

    def __init__(self, probe: Probe, structure: Structure, model: ErrorModel, elementwise: bool):
        self.probe, self.structure, self.model = probe, structure, model
        shape = tuple(structure.output.shape)
        self.diagonal = {i for i, op in enumerate(probe.subject.operands)
                         if elementwise and op.shape == shape}
        self._made: dict[int, ElementwiseEvidence | LineEvidence | _Empty] = {}

    def single(self, i: int):
        if i not in self._made:
            self._made[i] = self._make(i)
        return self._made[i]

    def _make(self, i: int):
        if self.probe.subject.operands[i].value.numel() == 0:
            return _Empty()
        if i in self.diagonal:
            steps, changes, weights, size = elementwise_samples(
                self.probe.subject, i, self.structure.output, self.structure.grad_outs)
            return ElementwiseEvidence(steps, changes, weights, size, self.model)
        return LineEvidence(self.probe, self.probe.layout.ranges_of(i), self.model)

    def suspects(self) -> list[int]:
        """Inputs whose gradient may be wrong: elementwise ones each at once, the rest
        on joint probe lines (each suspect is judged again on its own lines)."""
        ops = self.probe.subject.operands
        active = [i for i in self.structure.active(len(ops)) if ops[i].value.numel()]
        suspects = [i for i in active if i in self.diagonal and self.single(i).wrong(self._cand(i))]
        rest = [i for i in active if i not in self.diagonal]
        if len(rest) <= 1:
            return sorted(suspects + rest)
        ranges = tuple(r for i in rest for r in self.probe.layout.ranges_of(i))
        joint = LineEvidence(self.probe, ranges, self.model)
        if joint.wrong(torch.cat([self._cand(i) for i in rest], dim=1)):
            suspects += rest
        return sorted(suspects)

    def _cand(self, i: int) -> torch.Tensor:
        grads = self.structure.grads[i]
        assert grads is not None  # active inputs have both gradients
        return per_upstream(grads)


class _Empty:
    """The evidence for an input without elements: nothing there can be wrong."""

    def wrong(self, cand: torch.Tensor) -> bool:
        return False


def _rng_kept(make: Callable[[], dict | None], numpy: bool) -> dict | None:
    with _global_rng_left_as_found(numpy):
        return make()


@contextmanager
def _global_rng_left_as_found(numpy: bool):
    """Restore torch's and Python's global RNG (and NumPy's, for array inputs: it costs
    ~0.1 ms), whatever the code under check draws from them."""
    torch_state, python_state = torch.random.get_rng_state(), random.getstate()
    numpy_state = np.random.get_state() if numpy else None  # noqa: NPY002 - the global one
    try:
        yield
    finally:
        torch.random.set_rng_state(torch_state)
        random.setstate(python_state)
        if numpy_state is not None:
            np.random.set_state(numpy_state)  # noqa: NPY002
