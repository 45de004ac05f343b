"""Grading tests for topic 4, ``activations``: forward functions and their backwards.

Every exercise is one row of ``CASES``; each test below is one check family,
parametrized over the rows it applies to, and ends in one call of a check
helper from ``gradkata.checks``. Properties specific to one function live in
``PROPERTIES``.
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
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.messages import Message
from gradkata.strategies import Call, dims_of, float_tensors, like, shapes, stress_tensors

TOPIC = "activations"


# -- the exercises and their references ---------------------------------------------


@dataclass(frozen=True)
class Case:
    """One exercise: its name, a PyTorch reference and how to draw its arguments."""

    name: str
    reference: Callable  # same signature as the exercise
    reference_name: str
    options: Callable[[torch.Tensor], st.SearchStrategy[dict]]  # x -> keyword options
    elementwise: bool = True

    @property
    def exercise_id(self) -> str:
        return f"{TOPIC}.{self.name}"

    @property
    def is_backward(self) -> bool:
        return self.name.endswith("_backward")

    @property
    def forward_name(self) -> str:
        return self.name.removesuffix("_backward")

    def calls(self, tensors: st.SearchStrategy | None = None) -> st.SearchStrategy[Call]:
        """Arguments for one call: ``(x, options)``, or ``(grad_out, x, options)``."""
        return _calls(self, tensors if tensors is not None else float_tensors())


@st.composite
def _calls(draw, case: Case, tensors) -> Call:
    x = draw(tensors)
    options = draw(case.options(x))
    if not case.is_backward:
        return Call((x,), options)
    return Call((draw(like(x)), x), options)


def no_options(_x):
    return st.just({})


def slopes(_x):
    return st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2, 1.5, 0.0])})


def approximations(_x):
    return st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])})


def dims(x):
    return st.fixed_dictionaries({"dim": dims_of(x)})


def autograd_of(forward: Callable) -> Callable:
    """``backward(grad_out, x, **options)`` computed by torch autograd through ``forward``."""

    def backward(grad_out, x, **options):
        leaf = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(forward(leaf, **options), leaf, grad_out)
        return grad

    return backward


FORWARDS = {
    "sigmoid": (lambda x: torch.sigmoid(x), "torch.sigmoid", no_options, True),
    "tanh": (lambda x: torch.tanh(x), "torch.tanh", no_options, True),
    "relu": (lambda x: torch.relu(x), "torch.relu", no_options, True),
    "leaky_relu": (
        lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
        "torch.nn.functional.leaky_relu",
        slopes,
        True,
    ),
    "gelu": (
        lambda x, approximate="none": F.gelu(x, approximate=approximate),
        "torch.nn.functional.gelu",
        approximations,
        True,
    ),
    "softmax": (lambda x, dim=-1: torch.softmax(x, dim), "torch.softmax", dims, False),
    "log_softmax": (lambda x, dim=-1: torch.log_softmax(x, dim), "torch.log_softmax", dims, False),
}


def _cases() -> dict[str, Case]:
    cases = {}
    for name, (reference, reference_name, options, elementwise) in FORWARDS.items():
        cases[name] = Case(name, reference, reference_name, options, elementwise)
        cases[f"{name}_backward"] = Case(
            f"{name}_backward",
            autograd_of(reference),
            Message("tests_activations.autograd_of", name=reference_name),
            options,
            elementwise,
        )
    return cases


CASES = _cases()
BACKWARDS = [c for c in CASES.values() if c.is_backward]


def params(family: str | Callable[[Case], str], cases=None) -> list:
    """One ``pytest.param`` per case, marked with its exercise and check family."""
    return exercise_params(CASES.values() if cases is None else cases, family)


def describe(case: Case, call: Call) -> str:
    """The learner's call in words, e.g. ``softmax(x, dim=0)``."""
    names = ["grad_out", "x"] if case.is_backward else ["x"]
    options = [f"{k}={v!r}" for k, v in call.kwargs.items()]
    return f"{case.name}({', '.join(names + options)})"


def named_inputs(case: Case, call: Call) -> dict[str, torch.Tensor]:
    return dict(zip(["grad_out", "x"] if case.is_backward else ["x"], call.args, strict=True))


def assert_matches_reference(case: Case, call: Call, result) -> None:
    """Compare with PyTorch evaluated in float64, so PyTorch's own float32
    rounding is never held against the learner."""
    values.assert_close(
        result,
        call.in_float64()(case.reference),
        what=describe(case, call),
        reference=case.reference_name,
        inputs=named_inputs(case, call),
        scale_by=call.args[:1] if case.is_backward else (),
    )


# -- value / grad: parity with PyTorch ------------------------------------------------


# The finite-difference check comes first: when both grad tests fail, the card
# shows its diagnosis (sign error, a factor, which elements).
@pytest.mark.parametrize("case", params("grad", BACKWARDS))
@given(data=st.data())
def test_backward_matches_finite_differences_of_your_forward(impl, case: Case, data):
    # At least a few elements, so a wrong backward is diagnosed by its
    # pattern (which elements, what factor) rather than by one number.
    call = data.draw(case.calls(float_tensors(shape=shapes(1, 3, min_side=3))), label="call")
    (grad_out, x), options = call.args, call.kwargs
    forward, backward = getattr(impl, case.forward_name), getattr(impl, case.name)
    check_gradient(
        lambda t: forward(t, **options),
        lambda g, t: backward(g, t, **options),
        [x],
        grad_out=grad_out,
        names=["x"],
        elementwise=case.elementwise,
    )


@pytest.mark.parametrize("case", params(lambda c: "grad" if c.is_backward else "value"))
@given(data=st.data())
def test_matches_pytorch(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    assert_matches_reference(case, call, call(getattr(impl, case.name)))


KINK_CASES = [CASES["relu_backward"], CASES["leaky_relu_backward"]]


@pytest.mark.parametrize("case", params("grad", KINK_CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_backward_at_the_kink_follows_pytorch(impl, case: Case, dtype):
    """relu'(0) = 0 and leaky_relu'(0) = negative_slope, PyTorch's convention."""
    x = torch.tensor([-1.0, 0.0, -0.0, 2.0, 0.0], dtype=dtype)
    grad_out = torch.tensor([0.5, 3.0, -2.0, 1.0, 1.0], dtype=dtype)
    for options in ({}, {"negative_slope": 0.2})[: 2 if "leaky" in case.name else 1]:
        call = Call((grad_out, x), options)
        result = call(getattr(impl, case.name))
        values.assert_close(
            result,
            call.in_float64()(case.reference),
            what=Message("tests_activations.at_zero", what=describe(case, call)),
            reference=case.reference_name,
            inputs=named_inputs(case, call),
        )


# -- property: identities each function must satisfy ----------------------------------


def close(actual, expected, identity: str) -> None:
    """Raise CheckFailure naming the identity when ``actual`` and ``expected`` differ."""
    values.assert_close(
        actual, expected, what=Message("tests_activations.left_side", identity=identity),
        reference=Message("tests_activations.right_side"),
    )


def linear_in_grad_out(backward, grad_out, x, **options) -> None:
    """A backward is linear in grad_out: backward(-2.5 g, x) = -2.5 backward(g, x)."""
    scaled = backward(grad_out * -2.5, x, **options)
    if not isinstance(scaled, torch.Tensor):
        raise CheckFailure(Message("tests_activations.backward_not_tensor",
                                   type=type(scaled).__name__))
    close(
        scaled,
        backward(grad_out, x, **options) * -2.5,
        Message("tests_activations.linear_in_grad_out"),
    )


def sigmoid_is_symmetric(fn, x):
    close(fn(-x), 1 - fn(x), "sigmoid(-x) = 1 - sigmoid(x)")


def tanh_is_odd(fn, x):
    close(fn(-x), -fn(x), "tanh(-x) = -tanh(x)")


def relu_is_idempotent(fn, x):
    close(fn(fn(x)), fn(x), "relu(relu(x)) = relu(x)")
    close(fn(x) - fn(-x), x, "relu(x) - relu(-x) = x")


def leaky_relu_is_positively_homogeneous(fn, x, negative_slope=0.01):
    close(fn(x * 2, negative_slope), fn(x, negative_slope) * 2, "leaky_relu(2x) = 2 leaky_relu(x)")


def gelu_minus_mirror_is_identity(fn, x, approximate="none"):
    close(fn(x, approximate) - fn(-x, approximate), x, "gelu(x) - gelu(-x) = x")


def softmax_is_a_distribution(fn, x, dim=-1):
    y = fn(x, dim)
    close(y.sum(dim), torch.ones_like(y.sum(dim)), f"softmax(x).sum(dim={dim}) = 1")
    close(fn(x + 3.0, dim), y, "softmax(x + 3) = softmax(x)")


def log_softmax_normalises(fn, x, dim=-1):
    y = fn(x, dim)
    close(y.exp().sum(dim), torch.ones_like(y.sum(dim)), f"exp(log_softmax(x)).sum(dim={dim}) = 1")
    close(fn(x + 3.0, dim), y, "log_softmax(x + 3) = log_softmax(x)")


def gelu_derivative_mirror_sums_to_one(backward, grad_out, x, approximate="none"):
    ones = torch.ones_like(x)
    close(
        backward(ones, x, approximate) + backward(ones, -x, approximate),
        ones,
        "gelu'(x) + gelu'(-x) = 1",
    )


def softmax_gradient_sums_to_zero(backward, grad_out, x, dim=-1):
    dx = backward(grad_out, x, dim)
    close(dx.sum(dim), torch.zeros_like(dx.sum(dim)),
          Message("tests_activations.sums_to_zero", dim=dim))


PROPERTIES: dict[str, list[Callable]] = {
    "sigmoid": [sigmoid_is_symmetric],
    "tanh": [tanh_is_odd],
    "relu": [relu_is_idempotent],
    "leaky_relu": [leaky_relu_is_positively_homogeneous],
    "gelu": [gelu_minus_mirror_is_identity],
    "softmax": [softmax_is_a_distribution],
    "log_softmax": [log_softmax_normalises],
    "sigmoid_backward": [linear_in_grad_out],
    "tanh_backward": [linear_in_grad_out],
    "relu_backward": [linear_in_grad_out],
    "leaky_relu_backward": [linear_in_grad_out],
    "gelu_backward": [linear_in_grad_out, gelu_derivative_mirror_sums_to_one],
    "softmax_backward": [linear_in_grad_out, softmax_gradient_sums_to_zero],
    "log_softmax_backward": [linear_in_grad_out, softmax_gradient_sums_to_zero],
}


@pytest.mark.parametrize("case", params("property"))
@given(data=st.data())
def test_satisfies_its_identities(impl, case: Case, data):
    # float64 and moderate values: the identities hold to rounding there.
    tensors = float_tensors(dtype=torch.float64, scales=(0.5, 3.0))
    call = data.draw(case.calls(tensors), label="call")
    for identity in PROPERTIES[case.name]:
        identity(getattr(impl, case.name), *call.args, **call.kwargs)


# -- stability, dtype, device, purity, guard ----------------------------------------------


@pytest.mark.parametrize("case", params("stability"))
@given(data=st.data())
def test_is_stable_for_large_float32_inputs(impl, case: Case, data):
    call = data.draw(case.calls(stress_tensors()), label="call")
    result = call(getattr(impl, case.name))
    values.check_finite(result, describe(case, call), named_inputs(case, call))
    assert_matches_reference(case, call, result)


@pytest.mark.parametrize("case", params("dtype"))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@given(data=st.data())
def test_keeps_the_input_dtype(impl, case: Case, dtype, data):
    call = data.draw(case.calls(float_tensors(dtype=dtype)), label="call")
    values.check_dtype(call(getattr(impl, case.name)), dtype, describe(case, call))


@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(data=st.data())
def test_keeps_the_input_device_on_fake_cuda(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    devices.check_device_hygiene(
        getattr(impl, case.name), *call.args, what=describe(case, call), **call.kwargs
    )


@pytest.mark.skipif(
    not devices.cuda_available(), reason="no CUDA device: real GPU parity not checked"
)
@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=10)
@given(data=st.data())
def test_matches_cpu_on_real_cuda(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    what = Message("devices.on_cuda", what=describe(case, call))
    devices.check_cuda_parity(
        getattr(impl, case.name),
        *call.args,
        what=what,
        **call.kwargs,
        compare=lambda gpu, cpu: values.assert_close(
            gpu, cpu, what=what, reference=Message("devices.cpu_result")
        ),
    )


@pytest.mark.parametrize("case", params("purity"))
@given(data=st.data())
def test_leaves_its_inputs_unchanged(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    purity.check_inputs_unchanged(
        getattr(impl, case.name), *call.args, what=describe(case, call), **call.kwargs
    )


@pytest.mark.parametrize("case", params("guard"))
@given(data=st.data())
def test_calls_nothing_forbidden(impl, forbidden, case: Case, data):
    check_source_clean(scan_source(Path(impl.__file__)), case.name)
    call = data.draw(case.calls(), label="call")
    check_no_forbidden_calls(getattr(impl, case.name), *call.args, rules=forbidden, **call.kwargs)
