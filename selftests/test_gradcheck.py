"""The gradient-check engine passes right backwards and keeps its contract.

Right backwards pass in both dtypes, elementwise or not: kinks, saturation,
losses near zero, edge inputs, numpy arrays and broadcast inputs must not be
mistaken for bugs. The contract: the same call gives the same message, the
global random generators and the caller's tensors are left as they were, and
the code under check raises its own exceptions untouched. The planted mistakes
and their diagnoses are in test_gradcheck_diagnosis.py, built on the right
backwards defined here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradkata.checks.gradcheck import GradientCheckError, check_gradient

from .gradcheck_cases import DTYPES, diagnosis_of, seeded

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- right backwards -------------------------------------------------------------------


def tanh_backward(grad_out, x):
    return grad_out * (1 - torch.tanh(x) ** 2)


def sigmoid_backward(grad_out, x):
    s = torch.sigmoid(x)
    return grad_out * s * (1 - s)


def softmax_backward(grad_out, x, dim):
    s = torch.softmax(x, dim)
    return s * (grad_out - (grad_out * s).sum(dim, keepdim=True))


def linear(x, weight, bias):
    return x @ weight.T + bias


def linear_backward(grad_out, x, weight, bias):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("elementwise", [False, True])
@pytest.mark.parametrize(("forward", "backward"), [(torch.tanh, tanh_backward),
                                                   (torch.sigmoid, sigmoid_backward)])
def test_right_elementwise_backwards_pass(forward, backward, dtype, elementwise):
    check_gradient(forward, backward, [seeded(6, 7, dtype=dtype, scale=3.0)],
                   elementwise=elementwise)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_backward_along_any_dim_passes(dim):
    check_gradient(lambda x: torch.softmax(x, dim), lambda g, x: softmax_backward(g, x, dim),
                   [seeded(4, 5, scale=2.0)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_layer_backward_with_three_inputs_passes(dtype):
    inputs = [seeded(8, 5, dtype=dtype), seeded(3, 5, dtype=dtype, seed=1),
              seeded(3, dtype=dtype, seed=2)]
    check_gradient(linear, linear_backward, inputs, names=["x", "weight", "bias"])


@pytest.mark.parametrize("elementwise", [False, True])
@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2])
def test_relu_and_leaky_relu_at_exactly_zero_follow_pytorch(slope, elementwise):
    """relu'(0) = 0 and leaky_relu'(0) = slope lie between the one-sided derivatives."""
    x = torch.tensor([-1.5, 0.0, -0.0, 2.0, 0.0, 0.3, 0.0])

    def backward(grad_out, x):
        return grad_out * torch.where(x > 0, 1.0, slope)

    check_gradient(lambda x: F.leaky_relu(x, slope), backward, [x], elementwise=elementwise)


def test_relu_with_many_kinks_passes_and_one_wrong_element_among_them_is_found():
    x = seeded(24, 24)
    x[x.abs() < 0.4] = 0.0  # a third of the elements sit on the kink

    def relu_backward(grad_out, x):
        return grad_out * (x > 0)

    check_gradient(torch.relu, relu_backward, [x])

    def one_wrong(grad_out, x):
        result = relu_backward(grad_out, x)
        result[7, 9] *= 1.5
        return result

    x[7, 9] = 1.0
    diagnosis, _ = diagnosis_of(torch.relu, one_wrong, [x], names=["x"])
    assert (diagnosis.kind, diagnosis.count, diagnosis.indices) == ("elements", 1, ((7, 9),))


def test_loss_backward_bound_by_a_closure_passes():
    target = seeded(6, 3, seed=1)

    def mse_loss(pred, t):
        return ((pred - t) ** 2).mean()

    def mse_loss_backward(pred, t):
        return 2 * (pred - t) / pred.numel()

    check_gradient(lambda p: mse_loss(p, target), lambda g, p: g * mse_loss_backward(p, target),
                   [seeded(6, 3)])


def test_cross_entropy_near_zero_loss_passes():
    """A loss of ~1e-40 made of terms near 100: the measured rounding noise sets the tolerance."""
    logits = seeded(8, 5, scale=30.0)
    labels = logits.argmax(1)

    def backward(grad_out, z):
        return grad_out * (torch.softmax(z, 1) - F.one_hot(labels, 5)) / len(z)

    check_gradient(lambda z: F.cross_entropy(z, labels), backward, [logits])


@pytest.mark.parametrize("elementwise", [False, True])
def test_numpy_inputs_pass_and_are_handed_out_as_arrays(elementwise):
    seen = set()

    def forward(x):
        seen.add(type(x))
        return np.tanh(x)

    def backward(grad_out, x):
        seen.update({type(grad_out), type(x)})
        return grad_out * (1 - np.tanh(x) ** 2)

    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    check_gradient(forward, backward, [x], elementwise=elementwise)
    assert seen == {np.ndarray}


def test_saturated_functions_pass_where_forward_rounds_to_a_constant():
    """tanh(-20) is -1.0 exactly and gelu(-30) is 0: the numeric slope reads 0."""
    x = torch.tensor([-30.0, -20.0, -8.0, 0.5, 20.0], dtype=torch.float64)
    for elementwise in (False, True):
        check_gradient(torch.tanh, tanh_backward, [x], elementwise=elementwise)
        check_gradient(F.gelu, _autograd_backward(F.gelu), [x], elementwise=elementwise)


def _autograd_backward(forward):
    def backward(grad_out, x):
        x = x.detach().clone().requires_grad_()
        with torch.enable_grad():
            return torch.autograd.grad(forward(x), x, grad_out)[0]

    return backward


@pytest.mark.parametrize(("forward", "backward", "x"), [
    (torch.tanh, tanh_backward, torch.empty(0, 3)),
    (torch.tanh, tanh_backward, torch.tensor(0.3)),
    (torch.tanh, lambda g, x: tanh_backward(g, x).float(), seeded(20)),  # float32 returned
    (lambda x: x**2, lambda g, x: 2 * g * x, seeded(20, scale=1e8)),
    (lambda x: x**2, lambda g, x: 2 * g * x, seeded(20, scale=1e-8)),
    (torch.tanh, tanh_backward, seeded(3, 4).requires_grad_()),
], ids=["empty", "0-dim", "float32-gradient", "huge", "tiny", "requires-grad"])
def test_edge_inputs_pass(forward, backward, x):
    check_gradient(forward, backward, [x])


@pytest.mark.parametrize("elementwise", [False, True])
def test_forward_writing_into_the_same_buffer_every_call_passes(elementwise):
    buffer = torch.empty(6, dtype=torch.float64)

    def forward(x):
        return torch.tanh(x, out=buffer)

    check_gradient(forward, tanh_backward, [seeded(6)], elementwise=elementwise)


def test_broadcast_input_of_an_elementwise_check_is_judged_on_probe_lines():
    """Only x has the output's shape: w (broadcast along rows) is probed like any input."""
    inputs = [seeded(4, 3), seeded(3, seed=1)]
    check_gradient(torch.mul, lambda g, x, w: (g * w, (g * x).sum(0)), inputs, elementwise=True)
    diagnosis, _ = diagnosis_of(torch.mul, lambda g, x, w: (g * w, (g * x).mean(0)), inputs,
                                names=["x", "w"], elementwise=True)
    assert (diagnosis.kind, diagnosis.input) == ("scale", "w")
    assert diagnosis.factor == pytest.approx(0.25, rel=1e-3)


# -- contract: randomness, copies, exceptions ----------------------------------------


def test_same_call_gives_the_same_message_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    messages = []
    for _ in range(2):
        with pytest.raises(GradientCheckError) as failure:
            check_gradient(torch.tanh, lambda g, x: tanh_backward(g, x) * (1 + (x > 1)),
                           [seeded(6, 6)], seed=3)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]
    assert torch.equal(torch.random.get_rng_state(), before)


def test_numpy_global_rng_is_left_alone_for_array_inputs():
    before = np.random.get_state()[1].copy()  # noqa: NPY002 - the global state under test
    x = np.random.default_rng(1).standard_normal(5)
    check_gradient(lambda x: x * 2 + 0 * np.random.rand(), lambda g, x: 2 * g, [x])  # noqa: NPY002
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_global_rng_is_restored_even_when_the_code_under_check_draws_from_it():
    before = torch.random.get_rng_state()
    check_gradient(lambda x: x * 2 + 0 * torch.rand(()), lambda g, x: 2 * g, [seeded(3)])
    assert torch.equal(torch.random.get_rng_state(), before)


def test_caller_inputs_and_grad_out_are_never_modified():
    x = seeded(4, 5, dtype=torch.float32).requires_grad_()
    grad_out = seeded(4, 5, dtype=torch.float32, seed=1)
    originals = x.detach().clone(), grad_out.clone()

    def vandal_forward(x):
        y = torch.tanh(x)
        x.zero_()
        return y

    with pytest.raises(GradientCheckError):
        check_gradient(vandal_forward, tanh_backward, [x], grad_out=grad_out)
    assert torch.equal(x.detach(), originals[0])
    assert torch.equal(grad_out, originals[1])
    assert x.dtype == torch.float32
    assert x.grad is None


@pytest.mark.parametrize("exception", [NotImplementedError("todo"), TypeError("bad"),
                                       pytest.skip.Exception("skipped")])
def test_exceptions_of_the_code_under_check_propagate_untouched(exception):
    def backward(grad_out, x):
        raise exception

    with pytest.raises(type(exception)) as raised:
        check_gradient(torch.tanh, backward, [seeded(3)])
    assert raised.value is exception
