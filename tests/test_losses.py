"""Grading tests for topic 5, ``losses``: four losses and their backwards.

Each loss is one ``Loss`` row (its PyTorch reference and how to draw its
arguments); each exercise is a ``Case``, the loss or its backward. Every
test below is one check family, parametrized over the cases it applies to,
and ends in one call of a check helper from ``gradkata.checks``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradkata import check_gradient, exercise_params
from gradkata.checks import devices, purity, values
from gradkata.checks.errors import check_raises_value_error
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.messages import Message
from gradkata.strategies import Call, generator_for, shapes, stress_tensors

TOPIC = "losses"
NO_GPU = "no CUDA device: real GPU parity not checked"

# -- drawing arguments -------------------------------------------------------------

SEEDS = st.integers(0, 2**32)
SCALES = (0.1, 1.0, 3.0, 10.0)
# Probabilities for value and gradient checks stay inside (0, 1), where every
# formula is finite; the stability checks put exact 0s and 1s in.
INTERIOR = (0.02, 0.98)
PROBABILITY_EDGES = (0.0, 1.0, 1e-30, 1.0 - 2.0**-24)


def share_of_examples(fraction: float) -> settings:
    """A fraction of the active profile's examples, for checks whose bugs do not hide
    in particular values (dtype, purity, guard): dev runs stay fast, grading scales."""
    return settings(max_examples=max(3, round(settings.default.max_examples * fraction)))


def dtypes(dtype: torch.dtype | None) -> st.SearchStrategy:
    return st.just(dtype) if dtype is not None else st.sampled_from([torch.float32, torch.float64])


# One seeded generator per call makes every tensor of it: a hypothesis draw per
# tensor costs more than the loss itself. Hypothesis still draws shapes, dtypes,
# scales and the exact edge values, so those shrink.
@st.composite
def seeded(draw) -> torch.Generator:
    return generator_for(draw(SEEDS))


def normal(shape, scale: float, dtype, generator) -> torch.Tensor:
    return (torch.randn(tuple(shape), generator=generator, dtype=torch.float64) * scale).to(dtype)


@st.composite
def targets(draw, shape, dtype, generator) -> torch.Tensor:
    """Binary targets in {0, 1}, or soft ones in [0, 1] (PyTorch accepts both)."""
    if draw(st.booleans()):
        return torch.randint(0, 2, tuple(shape), generator=generator).to(dtype)
    return torch.rand(tuple(shape), generator=generator, dtype=torch.float64).to(dtype)


@st.composite
def probabilities(draw, shape, dtype, generator, edges: bool = False) -> torch.Tensor:
    """Uniform in INTERIOR; with ``edges``, uniform in [0, 1] with 1 to 3 exact edge values."""
    low, high = (0.0, 1.0) if edges else INTERIOR
    prob = torch.rand(tuple(shape), generator=generator, dtype=torch.float64)
    prob = (low + (high - low) * prob).to(dtype)
    flat = prob.view(-1)
    for _ in range(draw(st.integers(1, min(3, flat.numel()))) if edges else 0):
        flat[draw(st.integers(0, flat.numel() - 1))] = draw(st.sampled_from(PROBABILITY_EDGES))
    return prob


ANY_SHAPE = shapes(0, 3)
ANY_MATRIX = st.tuples(st.integers(1, 6), st.integers(1, 6))
# For the finite-difference checks: at least 3 elements (rows), so that a missing 1/n
# is told apart from a missing 2 (the engine names "mean vs sum" only for n > 2).
GRADIENT_SHAPE = st.lists(st.integers(3, 5), min_size=1, max_size=3).map(tuple)
GRADIENT_MATRIX = st.tuples(st.integers(3, 6), st.integers(2, 6))


@st.composite
def regression_calls(draw, dtype=None, shape=ANY_SHAPE) -> Call:
    shape, dtype, generator = draw(shape), draw(dtypes(dtype)), draw(seeded())
    return Call(tuple(normal(shape, draw(st.sampled_from(SCALES)), dtype, generator)
                      for _ in range(2)))


@st.composite
def probability_calls(draw, dtype=None, shape=ANY_SHAPE, edges: bool = False) -> Call:
    shape, dtype, generator = draw(shape), draw(dtypes(dtype)), draw(seeded())
    return Call((draw(probabilities(shape, dtype, generator, edges)),
                 draw(targets(shape, dtype, generator))))


@st.composite
def logit_calls(draw, dtype=None, shape=ANY_SHAPE, stress: bool = False) -> Call:
    generator = draw(seeded())
    if stress:  # float32 up to |1e4|, with the exact values where exp() overflows
        logits = draw(stress_tensors(shape=shape))
    else:
        logits = normal(draw(shape), draw(st.sampled_from(SCALES)), draw(dtypes(dtype)),
                        generator)
    return Call((logits, draw(targets(logits.shape, logits.dtype, generator))))


@st.composite
def classification_calls(draw, dtype=None, shape=ANY_MATRIX, stress: bool = False) -> Call:
    (n, c), generator = draw(shape), draw(seeded())
    if stress:
        logits = draw(stress_tensors(shape=(n, c)))
    else:
        logits = normal((n, c), draw(st.sampled_from(SCALES)), draw(dtypes(dtype)), generator)
    return Call((logits, torch.randint(0, c, (n,), generator=generator)))



# -- the losses and their exercises -------------------------------------------------

@dataclass(frozen=True)
class Loss:
    """One loss: its PyTorch reference and how to draw arguments for it."""

    name: str
    reference: Callable  # (first, second) -> 0-dim loss
    reference_name: str
    first: str  # the name of the differentiable argument, for messages
    second: str  # "target" or "labels"
    calls: Callable[..., st.SearchStrategy[Call]]  # calls(dtype=None, shape=...)
    stress_calls: st.SearchStrategy[Call] | None  # None: no stability family


LOSSES = {
    "mse_loss": Loss("mse_loss", F.mse_loss, "torch.nn.functional.mse_loss", "pred", "target",
                     regression_calls, None),
    "bce_loss": Loss("bce_loss", F.binary_cross_entropy, "torch.nn.functional.binary_cross_entropy",
                     "prob", "target", probability_calls,
                     probability_calls(torch.float32, edges=True)),
    "bce_with_logits_loss": Loss(
        "bce_with_logits_loss", F.binary_cross_entropy_with_logits,
        "torch.nn.functional.binary_cross_entropy_with_logits", "logits", "target", logit_calls,
        logit_calls(stress=True)),
    "cross_entropy": Loss("cross_entropy", F.cross_entropy, "torch.nn.functional.cross_entropy",
                          "logits", "labels", classification_calls,
                          classification_calls(stress=True)),
}
GRADIENT_SHAPES = {"labels": GRADIENT_MATRIX, "target": GRADIENT_SHAPE}


def autograd_of(reference: Callable) -> Callable:
    """dL/d(first argument) of ``reference``, computed by torch autograd."""

    def backward(first, second):
        leaf = first.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(reference(leaf, second), leaf)
        return grad

    return backward


@dataclass(frozen=True)
class Case:
    """One exercise: a loss, or its backward."""

    loss: Loss
    is_backward: bool

    @property
    def name(self) -> str:
        return f"{self.loss.name}_backward" if self.is_backward else self.loss.name

    @property
    def exercise_id(self) -> str:
        return f"{TOPIC}.{self.name}"

    @property
    def reference(self) -> Callable:
        return autograd_of(self.loss.reference) if self.is_backward else self.loss.reference

    @property
    def reference_name(self) -> str:
        return (Message("tests_activations.autograd_of", name=self.loss.reference_name)
                if self.is_backward else self.loss.reference_name)

    @property
    def call_text(self) -> str:
        """The learner's call in words, e.g. ``cross_entropy(logits, labels)``."""
        return f"{self.name}({self.loss.first}, {self.loss.second})"

    def inputs(self, call: Call) -> dict[str, torch.Tensor]:
        return dict(zip([self.loss.first, self.loss.second], call.args, strict=True))


CASES = {c.name: c for loss in LOSSES.values() for c in (Case(loss, False), Case(loss, True))}
BACKWARDS = [c for c in CASES.values() if c.is_backward]
STABLE = [c for c in CASES.values() if c.loss.stress_calls is not None]
SAME_SHAPE = [c for c in CASES.values() if c.loss.second == "target"]
CLASSIFIERS = [c for c in CASES.values() if c.loss.second == "labels"]


def params(family: str | Callable[[Case], str], cases=None) -> list:
    """One ``pytest.param`` per case, marked with its exercise and check family."""
    return exercise_params(CASES.values() if cases is None else cases, family)


def assert_matches_reference(case: Case, call: Call, result) -> None:
    """Compare with PyTorch evaluated in float64: its own float32 rounding never counts.

    For logits the absolute tolerance grows with max |logits|: the stable formulas add
    and subtract terms of that size (m + log sum e^{x - m} - x_y), so a correct float32
    loss of 1.3 at logits near 1e4 is off by ~1e-4, as PyTorch's own would be.
    """
    scale_by = call.args[:1] if case.loss.first == "logits" else ()
    values.assert_close(result, call.in_float64()(case.reference), what=case.call_text,
                        reference=case.reference_name, inputs=case.inputs(call),
                        scale_by=scale_by)


# -- value / grad: parity with PyTorch ------------------------------------------------

# The finite-difference check comes first: when both grad tests fail, the card
# shows its diagnosis (a factor 2, 1/N, a sign).
@pytest.mark.parametrize("case", params("grad", BACKWARDS))
@given(data=st.data())
def test_backward_matches_finite_differences_of_your_forward(impl, case: Case, data):
    shape = GRADIENT_SHAPES[case.loss.second]
    first, second = data.draw(case.loss.calls(torch.float64, shape), label="call").args
    forward, backward = getattr(impl, case.loss.name), getattr(impl, case.name)
    backward(first, second)  # a stub backward is todo itself, not "blocked by" its forward
    check_gradient(lambda p: forward(p, second), lambda g, p: g * backward(p, second),
                   [first], names=[case.loss.first])


@pytest.mark.parametrize("case", params(lambda c: "grad" if c.is_backward else "value"))
@given(data=st.data())
def test_matches_pytorch(impl, case: Case, data):
    call = data.draw(case.loss.calls(), label="call")
    assert_matches_reference(case, call, call(getattr(impl, case.name)))


# -- property: identities of the logit losses -------------------------------------------

def close(actual, expected, identity: str) -> None:
    values.assert_close(actual, expected,
                        what=Message("tests_activations.left_side", identity=identity),
                        reference=Message("tests_activations.right_side"))


def logit_loss_is_symmetric(fn, logits, target):
    close(fn(-logits, 1 - target), fn(logits, target),
          "bce_with_logits_loss(-x, 1 - t) = bce_with_logits_loss(x, t)")


def logit_gradient_is_antisymmetric(fn, logits, target):
    close(fn(-logits, 1 - target), -fn(logits, target),
          "bce_with_logits_loss_backward(-x, 1 - t) = -bce_with_logits_loss_backward(x, t)")


def cross_entropy_ignores_a_shift_per_row(fn, logits, labels):
    shift = torch.arange(logits.shape[0], dtype=logits.dtype)[:, None] * 3.0
    close(fn(logits + shift, labels), fn(logits, labels),
          "cross_entropy(logits + c_row, labels) = cross_entropy(logits, labels)")


def cross_entropy_gradient_rows_sum_to_zero(fn, logits, labels):
    grad = fn(logits, labels)
    close(grad.sum(dim=1), torch.zeros(logits.shape[0], dtype=logits.dtype),
          Message("tests_losses.rows_sum_to_zero"))


PROPERTIES: dict[str, list[Callable]] = {
    "bce_with_logits_loss": [logit_loss_is_symmetric],
    "bce_with_logits_loss_backward": [logit_gradient_is_antisymmetric],
    "cross_entropy": [cross_entropy_ignores_a_shift_per_row],
    "cross_entropy_backward": [cross_entropy_gradient_rows_sum_to_zero],
}


@pytest.mark.parametrize("case", params("property", [CASES[name] for name in PROPERTIES]))
@given(data=st.data())
def test_satisfies_its_identities(impl, case: Case, data):
    call = data.draw(case.loss.calls(torch.float64), label="call")
    for identity in PROPERTIES[case.name]:
        identity(getattr(impl, case.name), *call.args)


# -- stability ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", params("stability", STABLE))
@given(data=st.data())
def test_is_stable_at_extreme_inputs(impl, case: Case, data):
    """Probabilities exactly 0 and 1 (bce), float32 logits up to |1e4| (the others)."""
    call = data.draw(case.loss.stress_calls, label="call")
    result = call(getattr(impl, case.name))
    values.check_finite(result, case.call_text, case.inputs(call))
    assert_matches_reference(case, call, result)


# -- errors: no broadcasting, valid labels -------------------------------------------------

@st.composite
def mismatched_shapes(draw) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two different shapes, mostly ones that broadcast: the mistake a loss must not hide."""
    shape = draw(shapes(0, 3, max_side=4))
    others = [(*shape, 1), (1, *shape), (draw(st.integers(2, 4)), *shape)]
    if shape:
        others += [shape[:-1], (*shape[:-1], shape[-1] + 1)]
    other = draw(st.sampled_from(others))
    return (shape, other) if draw(st.booleans()) else (other, shape)


@pytest.mark.parametrize("case", params("errors", SAME_SHAPE))
@share_of_examples(1 / 2)
@given(shape_pair=mismatched_shapes(), seed=SEEDS)
def test_raises_value_error_for_mismatched_shapes(impl, case: Case, shape_pair, seed):
    first_shape, second_shape = shape_pair
    generator = generator_for(seed)
    first = torch.rand(first_shape, generator=generator, dtype=torch.float64) * 0.9 + 0.05
    second = torch.rand(second_shape, generator=generator, dtype=torch.float64).round()
    check_raises_value_error(
        getattr(impl, case.name), first, second,
        what=Message("tests_losses.shapes_call", name=case.name, first=case.loss.first,
                     first_shape=first_shape, second=case.loss.second,
                     second_shape=second_shape))


@st.composite
def bad_label_calls(draw) -> tuple[Call, str]:
    """Labels of another length than N, or with one label outside [0, C)."""
    logits, labels = draw(classification_calls(torch.float64)).args
    n, c = logits.shape
    if draw(st.booleans()):
        length = draw(st.integers(0, n + 2).filter(lambda m: m != n))
        labels = torch.randint(0, c, (length,), generator=generator_for(draw(SEEDS)))
        return Call((logits, labels)), Message("tests_losses.labels_of_length", length=length,
                                               shape=(n, c))
    labels = labels.clone()
    labels[draw(st.integers(0, n - 1))] = draw(st.sampled_from([-1, c, c + 3]))
    return Call((logits, labels)), Message("tests_losses.bad_labels", labels=labels.tolist(),
                                           shape=(n, c))


@pytest.mark.parametrize("case", params("errors", CLASSIFIERS))
@share_of_examples(1 / 2)
@given(bad=bad_label_calls())
def test_raises_value_error_for_invalid_labels(impl, case: Case, bad):
    call, problem = bad
    check_raises_value_error(getattr(impl, case.name), *call.args,
                             what=Message("tests_losses.labels_call", name=case.name,
                                          problem=problem))


# -- dtype, device, purity, guard ----------------------------------------------------------

@pytest.mark.parametrize("case", params("dtype"))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@share_of_examples(1 / 4)
@given(data=st.data())
def test_keeps_the_input_dtype(impl, case: Case, dtype, data):
    call = data.draw(case.loss.calls(dtype), label="call")
    values.check_dtype(call(getattr(impl, case.name)), dtype, case.call_text)


@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(data=st.data())
def test_keeps_the_input_device_on_fake_cuda(impl, case: Case, data):
    call = data.draw(case.loss.calls(), label="call")
    devices.check_device_hygiene(getattr(impl, case.name), *call.args, what=case.call_text)


@pytest.mark.skipif(not devices.cuda_available(), reason=NO_GPU)
@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=10)
@given(data=st.data())
def test_matches_cpu_on_real_cuda(impl, case: Case, data):
    call = data.draw(case.loss.calls(), label="call")
    what = Message("devices.on_cuda", what=case.call_text)
    devices.check_cuda_parity(
        getattr(impl, case.name), *call.args, what=what,
        compare=lambda gpu, cpu: values.assert_close(gpu, cpu, what=what,
                                                     reference=Message(
                                                         "devices.cpu_result")))


@pytest.mark.parametrize("case", params("purity"))
@share_of_examples(1 / 4)
@given(data=st.data())
def test_leaves_its_inputs_unchanged(impl, case: Case, data):
    call = data.draw(case.loss.calls(), label="call")
    purity.check_inputs_unchanged(getattr(impl, case.name), *call.args, what=case.call_text)


@pytest.mark.parametrize("case", params("guard"))
@share_of_examples(1 / 4)
@given(data=st.data())
def test_calls_nothing_forbidden(impl, forbidden, case: Case, data):
    check_source_clean(scan_source(Path(impl.__file__)), case.name)
    call = data.draw(case.loss.calls(), label="call")
    check_no_forbidden_calls(getattr(impl, case.name), *call.args, rules=forbidden)
