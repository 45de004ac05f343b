"""Grading tests for topic 2, ``derivatives``: numerical and analytic derivatives.

The learner may not use autograd here; the grader does, outside the guarded
calls, as the reference for the numerical gradients and Jacobians. The
functions handed to the learner (``f``, ``g``, ...) are built before the
call, so that only the learner's own code is judged.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradkata import exercise
from gradkata.checks import devices, purity, values
from gradkata.checks.derivatives_checks import (
    assert_number_close,
    assert_tensor_close,
    check_is_float,
    check_restored_exactly,
)
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.messages import Joined, Message
from gradkata.strategies import float_tensors, shapes

TOPIC = "derivatives"
STEP = 1e-5  # the SPEC's default h

# Forbidden calls, dtypes and writes into inputs do not hide in particular values: fewer
# examples suffice for those families.
FEWER = settings(max_examples=10)


def ex(name: str) -> str:
    return f"{TOPIC}.{name}"


def source_clean(impl, name: str) -> None:
    check_source_clean(scan_source(Path(impl.__file__)), name)


# -- smooth functions of one variable (floats, or tensors elementwise) -------------------

def elementwise(on_tensor: Callable, on_float: Callable) -> Callable:
    return lambda x: on_tensor(x) if isinstance(x, torch.Tensor) else on_float(x)


sin, cos = elementwise(torch.sin, math.sin), elementwise(torch.cos, math.cos)
exp = elementwise(torch.exp, math.exp)


@dataclass(frozen=True)
class Smooth:
    formula: str  # "sin({v})": {v} stands for the variable's name
    f: Callable
    derivative: Callable
    derivative_formula: str

    @property
    def name(self) -> str:
        return self.formula.format(v="x")

    @property
    def derivative_name(self) -> str:
        return self.derivative_formula.format(v="x")

    def __repr__(self) -> str:  # hypothesis shows this in its draws
        return f"f(x) = {self.name}"


SMOOTH = [
    Smooth("{v}^3 - 2{v}", lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, "3{v}^2 - 2"),
    Smooth("sin({v})", sin, cos, "cos({v})"),
    Smooth("exp({v} / 2)", lambda x: exp(x / 2), lambda x: exp(x / 2) / 2, "exp({v} / 2) / 2"),
    Smooth("1 / (1 + {v}^2)", lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2,
           "-2{v} / (1 + {v}^2)^2"),
    Smooth("{v} cos({v})", lambda x: x * cos(x), lambda x: cos(x) - x * sin(x),
           "cos({v}) - {v} sin({v})"),
]
points = st.floats(-2.5, 2.5, allow_nan=False, allow_infinity=False)
steps = st.sampled_from([None, 0.1, 1e-3])  # None: the default h


def central(f, x: float, h: float) -> float:
    """The SPEC's formula, as the grader evaluates it."""
    return (f(x + h) - f(x - h)) / (2 * h)


def with_step(h) -> dict:
    return {} if h is None else {"h": h}


# -- 2.1 central_difference --------------------------------------------------------------

@exercise(ex("central_difference"), check="value")
@given(smooth=st.sampled_from(SMOOTH), x=points, h=steps)
def test_central_difference_follows_the_formula(impl, smooth, x, h):
    step = STEP if h is None else h
    what = f"central_difference(f, {x!r}{', h=' + repr(h) if h else ''}) for f(x) = {smooth.name}"
    expected = central(smooth.f, x, step)
    true = smooth.derivative(x)
    assert_number_close(impl.central_difference(smooth.f, x, **with_step(h)), expected, what=what,
                        reference=Message("tests_derivatives.central_formula",
                                          derivative=smooth.derivative_name, true=true),
                        rtol=1e-9, atol=1e-9)


@exercise(ex("central_difference"), check="property")
@given(a=st.sampled_from([-3.0, -0.5, 1.0, 2.0]), b=st.floats(-2, 2), x=points,
       h=st.sampled_from([0.5, 0.1, 1e-3]))
def test_central_difference_is_exact_for_quadratics(impl, a, b, x, h):
    def quadratic(t):
        return a * t * t + b * t + 1.0

    result = impl.central_difference(quadratic, x, h=h)
    rounding = 1e-15 * max(abs(quadratic(x + h)), abs(quadratic(x - h)), 1.0) / h
    assert_number_close(result, 2 * a * x + b, rtol=1e-12, atol=1e-12 + 10 * rounding,
                        what=Message("tests_derivatives.call_for",
                                     call=f"central_difference(f, {x!r}, h={h!r})",
                                     function=f"f(x) = {a:g}x^2 + {b:g}x + 1"),
                        reference=Message("tests_derivatives.exact_for_quadratic"))


@exercise(ex("central_difference"), check="guard")
@FEWER
@given(smooth=st.sampled_from(SMOOTH), x=points)
def test_central_difference_calls_nothing_forbidden(impl, forbidden, smooth, x):
    source_clean(impl, "central_difference")
    check_no_forbidden_calls(impl.central_difference, smooth.f, x, rules=forbidden)


# -- functions of a tensor: scalar-valued (gradients) and vector-valued (Jacobians) -------

@dataclass(frozen=True)
class TensorFunction:
    name: str
    build: Callable  # (weights...) -> f

    def __repr__(self) -> str:
        return f"f(x) = {self.name}"


SCALAR_FUNCTIONS = [
    TensorFunction("sum(w sin(x))", lambda w: lambda x: (w * torch.sin(x)).sum()),
    TensorFunction("sum(w x^2) + sum(x)^2", lambda w: lambda x: (w * x * x).sum() + x.sum() ** 2),
    TensorFunction("sum(w x^3)", lambda w: lambda x: (w * x**3).sum()),
    TensorFunction("log(1 + sum(w^2 x^2))", lambda w: lambda x: torch.log1p((w * w * x * x).sum())),
]
VECTOR_FUNCTIONS = [
    TensorFunction("A sin(x) + B x^2", lambda a, b: lambda x: a @ torch.sin(x) + b @ (x * x)),
    TensorFunction("(A x) sum(x)", lambda a, b: lambda x: (a @ x) * x.sum()),
    TensorFunction("tanh(A x) + B x^3", lambda a, b: lambda x: torch.tanh(a @ x) + b @ x**3),
]
# Functions with no constant tensors: they run on whatever device x is on (fake CUDA too).
DEVICE_FREE_SCALAR = TensorFunction("sum(1.5 x^2 + sin(x)) + sum(x)^2",
                                    lambda: lambda x: (1.5 * x * x + x.sin()).sum() + x.sum() ** 2)
DEVICE_FREE_VECTOR = TensorFunction("[2 sin(x), sum(x^2)]",
                                    lambda: lambda x: torch.cat([2 * x.sin(), (x * x).sum()[None]]))


@st.composite
def gradient_points(draw, shape=None) -> torch.Tensor:
    """float64 x of any shape (or ``shape``), sometimes a non-contiguous view: the layout
    a transposed matrix has, where x.view(-1) fails and x.reshape(-1) copies."""
    if shape is None and draw(st.booleans()):
        shape = (draw(st.integers(2, 3)), draw(st.integers(2, 3)))
        x = draw(float_tensors(shape=shape[::-1], dtype=torch.float64, scales=(1.0, 2.0)))
        return x.T
    x = draw(float_tensors(shape=shape or shapes(0, 3, 3), dtype=torch.float64, scales=(1.0, 2.0)))
    return x


@st.composite
def gradient_problems(draw, h=None):
    """(function, f, x, keyword options) for numerical_gradient."""
    x = draw(gradient_points())
    function = draw(st.sampled_from(SCALAR_FUNCTIONS))
    weights = draw(float_tensors(shape=tuple(x.shape), dtype=torch.float64, edge_values=(0.0,)))
    options = {} if h is None else {"h": draw(h)}
    return function, function.build(weights), x, options


@st.composite
def jacobian_problems(draw, h=None):
    """(function, f, x, options) for numerical_jacobian; mostly m != n, so a transposed
    Jacobian has the wrong shape."""
    n = draw(st.integers(1, 5))
    m = draw(st.sampled_from([1, n + 1, max(n - 1, 1), n + 2, n]))
    x = draw(gradient_points(shape=(n,)))
    function = draw(st.sampled_from(VECTOR_FUNCTIONS))
    a, b = (draw(float_tensors(shape=(m, n), dtype=torch.float64)) for _ in range(2))
    options = {} if h is None else {"h": draw(h)}
    return function, function.build(a, b), x, options


def autograd_gradient(f, x):
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return grad


def autograd_jacobian(f, x):
    return torch.autograd.functional.jacobian(f, x.detach().clone())


def central_gradient(f, x, h):
    """The SPEC's formula, one element at a time, on a copy of x."""
    work, grad = x.detach().clone(), torch.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        original = work[index].clone()
        work[index] = original + h
        plus = f(work)
        work[index] = original - h
        grad[index] = (plus - f(work)) / (2 * h)
        work[index] = original
    return grad


def central_jacobian(f, x, h):
    work, columns = x.detach().clone(), []
    for j in range(x.shape[0]):
        original = work[j].clone()
        work[j] = original + h
        plus = f(work)
        work[j] = original - h
        columns.append((plus - f(work)) / (2 * h))
        work[j] = original
    return torch.stack(columns, dim=1)


def call_text(name: str, function: TensorFunction, options: dict) -> Message:
    extra = "".join(f", {k}={v!r}" for k, v in options.items())
    return Message("tests_derivatives.call_for", call=f"{name}(f, x{extra})",
                   function=repr(function))


NUMERICAL = {"numerical_gradient": (gradient_problems, autograd_gradient, central_gradient),
             "numerical_jacobian": (jacobian_problems, autograd_jacobian, central_jacobian)}


def numerical_params(family: str) -> list:
    return [pytest.param(name, id=name, marks=exercise(ex(name), family)) for name in NUMERICAL]


# -- 2.2 numerical_gradient and 2.3 numerical_jacobian ------------------------------------

def largest(t: torch.Tensor) -> float:
    return float(t.detach().abs().max()) if t.numel() else 0.0


@pytest.mark.parametrize("name", numerical_params("value"))
@given(data=st.data())
def test_numerical_derivative_matches_autograd(impl, name, data):
    problems, by_autograd, _ = NUMERICAL[name]
    function, f, x, options = data.draw(problems(), label="problem")
    expected = by_autograd(f, x)
    # Central differences with h = 1e-5 err by ~h^2 |f3| + 1e-16 |f| / h (f3: the third
    # derivative), far below this tolerance; a one-sided difference by ~h |f2| / 2, far above.
    atol = 1e-7 * max(1.0, largest(expected)) + 1e-9 * largest(f(x))
    assert_tensor_close(getattr(impl, name)(f, x), expected, rtol=1e-7, atol=atol,
                        what=call_text(name, function, options),
                        reference=Message("tests_derivatives.true_derivatives"))


@pytest.mark.parametrize("name", numerical_params("value"))
@given(data=st.data())
def test_numerical_derivative_uses_the_given_step(impl, name, data):
    problems, _, by_formula = NUMERICAL[name]
    function, f, x, options = data.draw(problems(h=st.sampled_from([0.1, 1e-3])), label="problem")
    expected = by_formula(f, x, options["h"])
    # The same evaluations of f as the grader's: only the last rounding may differ.
    assert_tensor_close(getattr(impl, name)(f, x, **options), expected,
                        what=call_text(name, function, options),
                        reference=Message("tests_derivatives.given_h"),
                        rtol=1e-9, atol=1e-9 * max(1.0, largest(expected)))


@exercise(ex("numerical_jacobian"), check="property")
@given(data=st.data())
def test_numerical_jacobian_of_a_linear_map_is_its_matrix(impl, data):
    # Square A half the time: there a transposed Jacobian keeps its shape and must be caught
    # by its values.
    n = data.draw(st.integers(2, 5), label="n")
    m = data.draw(st.one_of(st.just(n), st.integers(1, 5)), label="m")
    a = data.draw(float_tensors(shape=(m, n), dtype=torch.float64), label="A")
    b = data.draw(float_tensors(shape=(m,), dtype=torch.float64), label="b")
    x = data.draw(gradient_points(shape=(n,)), label="x")
    h = data.draw(st.sampled_from([None, 0.5]), label="h")

    def f(t):
        return a @ t + b

    result = impl.numerical_jacobian(f, x, **with_step(h))
    # Exact but for rounding: each f(x +- h e_j) is off by ~1e-16 |f|, then divided by 2h.
    rounding = 1e-14 * max(1.0, largest(f(x))) / (h or STEP)
    assert_tensor_close(result, a, rtol=1e-9, atol=1e-12 + rounding,
                        what=Message("tests_derivatives.jacobian_call",
                                     call=f"numerical_jacobian(f, x{', h=0.5' if h else ''})",
                                     shape=(m, n)), reference="A")


@pytest.mark.parametrize("name", numerical_params("purity"))
@given(data=st.data())
def test_numerical_derivative_puts_x_back_exactly(impl, name, data):
    problems = NUMERICAL[name][0]
    function, f, x, options = data.draw(problems(), label="problem")
    check_restored_exactly(getattr(impl, name), f, x, what=call_text(name, function, options),
                           name="x", tensor=x)


@pytest.mark.parametrize("name", numerical_params("dtype"))
@FEWER
@given(data=st.data())
def test_numerical_derivative_is_float64_like_x(impl, name, data):
    function, f, x, options = data.draw(NUMERICAL[name][0](), label="problem")
    values.check_dtype(getattr(impl, name)(f, x), torch.float64, call_text(name, function, options))


DEVICE_FREE = {"numerical_gradient": DEVICE_FREE_SCALAR, "numerical_jacobian": DEVICE_FREE_VECTOR}


@pytest.mark.parametrize("name", numerical_params("device"))
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(data=st.data())
def test_numerical_derivative_keeps_the_device_of_x(impl, name, data):
    shape = shapes(0, 2, 2) if name == "numerical_gradient" else shapes(1, 1, 3)
    x = data.draw(float_tensors(shape=shape, dtype=torch.float64), label="x")
    function = DEVICE_FREE[name]
    what = call_text(name, function, {})
    devices.check_device_hygiene(getattr(impl, name), function.build(), x, what=what)


@pytest.mark.parametrize("name", numerical_params("guard"))
@FEWER
@given(data=st.data())
def test_numerical_derivative_calls_nothing_forbidden(impl, forbidden, name, data):
    source_clean(impl, name)
    _, f, x, options = data.draw(NUMERICAL[name][0](), label="problem")
    check_no_forbidden_calls(getattr(impl, name), f, x, rules=forbidden, **options)


# -- 2.4 quadratic_gradient ----------------------------------------------------------------

def quadratic_points(dtype=None) -> st.SearchStrategy:
    return float_tensors(shape=(3,), dtype=dtype)


def by_hand(x: torch.Tensor) -> torch.Tensor:
    return x.double() * torch.tensor([6.0, 8.0, 10.0], dtype=torch.float64)


@exercise(ex("quadratic_gradient"), check="value")
@given(x=quadratic_points())
def test_quadratic_gradient_matches_the_partial_derivatives(impl, x):
    values.assert_close(impl.quadratic_gradient(x), by_hand(x), what="quadratic_gradient(x)",
                        reference=Message("tests_derivatives.partials"),
                        inputs={"x": x})


@exercise(ex("quadratic_gradient"), check="dtype")
@FEWER
@given(x=quadratic_points())
def test_quadratic_gradient_keeps_the_input_dtype(impl, x):
    values.check_dtype(impl.quadratic_gradient(x), x.dtype, "quadratic_gradient(x)")


@exercise(ex("quadratic_gradient"), check="device")
@settings(max_examples=5)
@given(x=quadratic_points())
def test_quadratic_gradient_keeps_the_input_device_on_fake_cuda(impl, x):
    devices.check_device_hygiene(impl.quadratic_gradient, x, what="quadratic_gradient(x)")


@exercise(ex("quadratic_gradient"), check="purity")
@FEWER
@given(x=quadratic_points())
def test_quadratic_gradient_leaves_x_unchanged(impl, x):
    purity.check_inputs_unchanged(impl.quadratic_gradient, x, what="quadratic_gradient(x)")


@exercise(ex("quadratic_gradient"), check="guard")
@FEWER
@given(x=quadratic_points())
def test_quadratic_gradient_calls_nothing_forbidden(impl, forbidden, x):
    source_clean(impl, "quadratic_gradient")
    check_no_forbidden_calls(impl.quadratic_gradient, x, rules=forbidden)


# -- 2.5 polynomial_derivative -----------------------------------------------------------------

coefficients = st.lists(st.one_of(st.integers(-4, 4), st.floats(-3, 3)), min_size=1, max_size=5)


def power_rule(coeffs, x):
    """(p'(x), sum |i c_i x^(i-1)|) for a float x: the value and its rounding scale."""
    terms = [i * c * x ** (i - 1) for i, c in enumerate(coeffs) if i > 0]
    return math.fsum(terms), math.fsum(abs(t) for t in terms)


def power_rule_tensor(coeffs, x: torch.Tensor):
    x = x.double()
    terms = [i * c * x ** (i - 1) for i, c in enumerate(coeffs) if i > 0]
    total = sum(terms, torch.zeros_like(x))
    return total, sum((t.abs() for t in terms), torch.zeros_like(x))


def polynomial_text(coeffs, x) -> Joined:
    shown = (x if not isinstance(x, torch.Tensor)
             else Message("tests_derivatives.x_of_shape", shape=tuple(x.shape)))
    return Joined((f"polynomial_derivative({list(coeffs)!r}, ", shown, ")"), "")


@exercise(ex("polynomial_derivative"), check="value")
def test_polynomial_derivative_of_the_worked_example(impl):
    assert_number_close(impl.polynomial_derivative([1, 3, 2], 2.0), 11.0,
                        what="polynomial_derivative([1, 3, 2], 2.0)",
                        reference="p(x) = 1 + 3x + 2x^2, p'(x) = 3 + 4x")


@exercise(ex("polynomial_derivative"), check="value")
@given(coeffs=coefficients, x=st.one_of(st.just(0.0), points))
def test_polynomial_derivative_at_a_float(impl, coeffs, x):
    expected, scale = power_rule(coeffs, x)
    assert_number_close(impl.polynomial_derivative(coeffs, x), expected,
                        what=polynomial_text(coeffs, x),
                        reference=Message("tests_derivatives.power_rule"),
                        rtol=1e-9, atol=1e-12 * max(1.0, scale))


@exercise(ex("polynomial_derivative"), check="value")
@given(coeffs=coefficients, x=float_tensors(scales=(0.5, 2.0)))
def test_polynomial_derivative_of_a_tensor_elementwise(impl, coeffs, x):
    expected, scale = power_rule_tensor(coeffs, x)
    values.assert_close(impl.polynomial_derivative(coeffs, x), expected,
                        what=polynomial_text(coeffs, x),
                        reference=Message("tests_derivatives.power_rule_elementwise"),
                        inputs={"x": x}, scale_by=(scale,))


@exercise(ex("polynomial_derivative"), check="dtype")
@given(coeffs=coefficients, x=st.one_of(points, float_tensors(scales=(0.5, 2.0))))
def test_polynomial_derivative_gives_a_float_for_a_float(impl, coeffs, x):
    result = impl.polynomial_derivative(coeffs, x)
    if isinstance(x, torch.Tensor):
        values.check_dtype(result, x.dtype, polynomial_text(coeffs, x))
    else:
        check_is_float(result, polynomial_text(coeffs, x),
                       Message("tests_derivatives.float_in_float_out"))


@exercise(ex("polynomial_derivative"), check="device")
@settings(max_examples=5)
@given(coeffs=coefficients, x=float_tensors())
def test_polynomial_derivative_keeps_the_device_of_x(impl, coeffs, x):
    what = polynomial_text(coeffs, x)
    devices.check_device_hygiene(impl.polynomial_derivative, coeffs, x, what=what)


@exercise(ex("polynomial_derivative"), check="purity")
@given(coeffs=coefficients, x=st.one_of(points, float_tensors()))
def test_polynomial_derivative_leaves_coeffs_and_x_unchanged(impl, coeffs, x):
    given_coeffs = list(coeffs)
    purity.check_inputs_unchanged(impl.polynomial_derivative, given_coeffs, x,
                                  what=polynomial_text(coeffs, x))
    if given_coeffs != coeffs:
        raise CheckFailure(Message("tests_derivatives.coeffs_changed",
                                   what=polynomial_text(coeffs, x), coeffs=given_coeffs))


@exercise(ex("polynomial_derivative"), check="guard")
@FEWER
@given(coeffs=coefficients, x=st.one_of(points, float_tensors()))
def test_polynomial_derivative_calls_nothing_forbidden(impl, forbidden, coeffs, x):
    source_clean(impl, "polynomial_derivative")
    check_no_forbidden_calls(impl.polynomial_derivative, coeffs, x, rules=forbidden)


# -- 2.6 chain_rule ------------------------------------------------------------------------------

def chain_text(outer: Smooth, inner: Smooth, x) -> Message:
    shown = (repr(x) if not isinstance(x, torch.Tensor)
             else Message("tests_derivatives.x_of_shape", shape=tuple(x.shape)))
    return Message("tests_derivatives.call_for", call=Joined(("chain_rule(f', g, g')(", shown, ")"),
                                                             ""),
                   function=f"f(y) = {outer.formula.format(v='y')}, g(x) = {inner.name}")


def derivative_of_composition(impl, outer: Smooth, inner: Smooth):
    derivative = impl.chain_rule(outer.derivative, inner.f, inner.derivative)
    if not callable(derivative):
        raise CheckFailure(Message("tests_derivatives.not_a_function",
                                   type=type(derivative).__name__))
    return derivative


@exercise(ex("chain_rule"), check="value")
@given(outer=st.sampled_from(SMOOTH), inner=st.sampled_from(SMOOTH),
       x=st.floats(-1.5, 1.5, allow_nan=False))
def test_chain_rule_matches_finite_differences_of_the_composition(impl, outer, inner, x):
    slope = central(lambda t: outer.f(inner.f(t)), x, STEP)
    result = derivative_of_composition(impl, outer, inner)(x)
    assert_number_close(result, slope, what=chain_text(outer, inner, x), rtol=1e-6, atol=1e-6,
                        reference=Message("tests_derivatives.slope_there"))


@exercise(ex("chain_rule"), check="value")
@given(outer=st.sampled_from(SMOOTH), inner=st.sampled_from(SMOOTH),
       x=float_tensors(dtype=torch.float64, scales=(0.5,)))
def test_chain_rule_works_elementwise_on_tensors(impl, outer, inner, x):
    expected = outer.derivative(inner.f(x)) * inner.derivative(x)
    result = derivative_of_composition(impl, outer, inner)(x)
    values.assert_close(result, expected, what=chain_text(outer, inner, x),
                        reference="f'(g(x)) * g'(x)", inputs={"x": x})


@exercise(ex("chain_rule"), check="guard")
@FEWER
@given(outer=st.sampled_from(SMOOTH), inner=st.sampled_from(SMOOTH), x=points)
def test_chain_rule_calls_nothing_forbidden(impl, forbidden, outer, inner, x):
    source_clean(impl, "chain_rule")

    def build_and_call(chain_rule):
        return chain_rule(outer.derivative, inner.f, inner.derivative)(x)

    check_no_forbidden_calls(build_and_call, impl.chain_rule, rules=forbidden)
