"""The gradient-check engine names every planted mistake.

Each planted bug is one mistake a learner makes, made from a right backward of
test_gradcheck.py; its test asserts the kind of the first diagnosis, the input
it names and, where the kind has them, the factor and the count (SPEC section
5). One wrong element among 100 000 must be caught and located.
"""

from __future__ import annotations

import pytest
import torch

from gradkata.checks.failure import CheckFailure
from gradkata.checks.gradcheck import KINDS, GradientCheckError

from .gradcheck_cases import DTYPES, diagnosis_of, seeded
from .test_gradcheck import linear, linear_backward, sigmoid_backward, tanh_backward

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- planted mistakes, one kind each -------------------------------------------------


def test_the_kinds_are_those_of_the_spec_in_priority_order():
    assert KINDS == ("mutates_input", "nondeterministic", "arity", "transposed",
                     "missing_reduction", "wrong_shape", "ignores_grad_out", "sign", "scale",
                     "elements")


def test_gradient_check_error_is_an_assertion_error_and_a_check_failure():
    assert issubclass(GradientCheckError, CheckFailure)
    assert issubclass(GradientCheckError, AssertionError)


@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_changing_its_input_is_mutates_input(dtype):
    def relu_in_place(x):
        return x.clamp_(min=0)

    diagnosis, _ = diagnosis_of(relu_in_place, lambda g, x: g * (x > 0), [seeded(5, dtype=dtype)],
                                names=["x"])
    assert (diagnosis.kind, diagnosis.input) == ("mutates_input", "x")


def test_backward_changing_grad_out_is_mutates_input():
    def backward(grad_out, x):
        grad_out *= 1 - torch.tanh(x) ** 2
        return grad_out

    diagnosis, error = diagnosis_of(torch.tanh, backward, [seeded(5)])
    assert (diagnosis.kind, diagnosis.input) == ("mutates_input", None)
    assert "grad_out" in str(error)


@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_drawing_random_numbers_is_nondeterministic(dtype):
    def noisy(grad_out, x):
        return tanh_backward(grad_out, x) * (1 + 0.1 * torch.rand(x.shape, dtype=x.dtype))

    diagnosis, _ = diagnosis_of(torch.tanh, noisy, [seeded(5, dtype=dtype)], names=["x"])
    assert (diagnosis.kind, diagnosis.input) == ("nondeterministic", "x")


def test_forgetting_a_gradient_is_arity():
    inputs = [seeded(4, 3), seeded(2, 3, seed=1), seeded(2, seed=2)]
    diagnosis, error = diagnosis_of(linear, lambda g, x, w, b: linear_backward(g, x, w, b)[:2],
                                    inputs)
    assert (diagnosis.kind, diagnosis.input) == ("arity", None)
    assert "returned 2 gradients" in str(error)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_gradient_of_the_transposed_shape_is_transposed(dtype):
    inputs = [seeded(4, 3, dtype=dtype), seeded(2, 3, dtype=dtype, seed=1),
              seeded(2, dtype=dtype, seed=2)]

    def backward(g, x, w, b):
        return g @ w, x.T @ g, g.sum(0)

    diagnosis, _ = diagnosis_of(linear, backward, inputs, names=["x", "weight", "bias"])
    assert (diagnosis.kind, diagnosis.input) == ("transposed", "weight")


def test_square_gradient_transposed_in_place_is_transposed():
    a = seeded(4, 4)
    diagnosis, _ = diagnosis_of(lambda a: (a @ a.T).sum(0), lambda g, a: ((g[:, None] + g) @ a).T,
                                [a], names=["a"])
    assert (diagnosis.kind, diagnosis.input) == ("transposed", "a")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_gradient_left_unsummed_is_missing_reduction(dtype):
    inputs = [seeded(4, 3, dtype=dtype), seeded(2, 3, dtype=dtype, seed=1),
              seeded(2, dtype=dtype, seed=2)]

    def backward(g, x, w, b):
        return g @ w, g.T @ x, g

    diagnosis, error = diagnosis_of(linear, backward, inputs, names=["x", "weight", "bias"])
    assert (diagnosis.kind, diagnosis.input) == ("missing_reduction", "bias")
    assert [d.input for d in error.diagnoses] == ["bias"]  # only wrong inputs are listed


def test_flattened_gradient_is_wrong_shape():
    diagnosis, _ = diagnosis_of(torch.tanh, lambda g, x: tanh_backward(g, x).flatten(),
                                [seeded(3, 4)], names=["x"])
    assert (diagnosis.kind, diagnosis.input) == ("wrong_shape", "x")


@pytest.mark.parametrize("grad_out", [None, "ones"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_ignoring_grad_out_is_ignores_grad_out(dtype, grad_out):
    x = seeded(3, 4, dtype=dtype)
    upstream = torch.ones_like(x) if grad_out == "ones" else None
    diagnosis, _ = diagnosis_of(torch.tanh, lambda g, x: 1 - torch.tanh(x) ** 2, [x],
                                grad_out=upstream, names=["x"])
    assert (diagnosis.kind, diagnosis.input) == ("ignores_grad_out", "x")


@pytest.mark.parametrize("elementwise", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_negated_gradient_is_sign(dtype, elementwise):
    diagnosis, error = diagnosis_of(torch.tanh, lambda g, x: -tanh_backward(g, x),
                                    [seeded(5, 6, dtype=dtype)], names=["x"],
                                    elementwise=elementwise)
    assert (diagnosis.kind, diagnosis.input) == ("sign", "x")
    assert "sign error: your gradient for x is the negative of the right one" in str(error)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mean_instead_of_sum_is_scale_with_the_batch_size(dtype):
    inputs = [seeded(4, 3, dtype=dtype), seeded(2, 3, dtype=dtype, seed=1),
              seeded(2, dtype=dtype, seed=2)]

    def backward(g, x, w, b):
        return g @ w, g.T @ x / 4, g.sum(0)

    diagnosis, error = diagnosis_of(linear, backward, inputs, names=["x", "weight", "bias"])
    assert (diagnosis.kind, diagnosis.input) == ("scale", "weight")
    assert diagnosis.factor == pytest.approx(0.25, rel=1e-3)
    assert "off by a factor of 1/4 — the batch size: mean vs sum?" in str(error)


@pytest.mark.parametrize("elementwise", [False, True])
def test_doubled_gradient_is_scale_2(elementwise):
    diagnosis, _ = diagnosis_of(torch.sigmoid, lambda g, x: 2 * sigmoid_backward(g, x),
                                [seeded(7)], elementwise=elementwise)
    assert (diagnosis.kind, diagnosis.input) == ("scale", "x0")
    assert diagnosis.factor == pytest.approx(2.0, rel=1e-3)


def test_all_zero_gradient_is_scale_0():
    diagnosis, _ = diagnosis_of(torch.tanh, lambda g, x: torch.zeros_like(x), [seeded(3, 3)])
    assert (diagnosis.kind, diagnosis.factor) == ("scale", 0.0)


@pytest.mark.parametrize("elementwise", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_wrong_branch_is_elements_counted_and_described(dtype, elementwise):
    x = seeded(10, 10, dtype=dtype)
    negatives = int((x < 0).sum())

    def backward(grad_out, x):  # the derivative of x > 0 ? x : x**2 / 2, wrong for x < 0
        return grad_out * torch.where(x > 0, 1.0, -x)

    def forward(x):
        return torch.where(x > 0, x, x**2 / 2)

    diagnosis, error = diagnosis_of(forward, backward, [x], names=["x"], elementwise=elementwise)
    assert (diagnosis.kind, diagnosis.input, diagnosis.count) == ("elements", "x", negatives)
    assert len(diagnosis.indices) == 10
    assert all(x[index] < 0 for index in diagnosis.indices)
    assert f"{negatives} of 100 elements wrong, all where x < 0" in str(error)


def test_message_names_worst_elements_tolerance_and_seed():
    _, error = diagnosis_of(torch.tanh, lambda g, x: 3 * tanh_backward(g, x), [seeded(4, 4)],
                            names=["x"], seed=7)
    text = str(error)
    assert text.count("yours") == 3
    assert "tolerance" in text
    assert "seed=7" in text
    assert len(text.splitlines()) <= 8


# -- detection: one wrong element among many -----------------------------------------


@pytest.mark.parametrize("elementwise", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_wrong_element_in_100_000_is_caught_and_located(seed, elementwise):
    x = seeded(100_000, seed=seed)
    bad = (7919 * (seed + 1)) % 100_000

    def backward(grad_out, x):
        result = tanh_backward(grad_out, x)
        result[bad] *= 1.5
        return result

    diagnosis, _ = diagnosis_of(torch.tanh, backward, [x], seed=seed, elementwise=elementwise)
    assert (diagnosis.kind, diagnosis.count, diagnosis.indices) == ("elements", 1, ((bad,),))
