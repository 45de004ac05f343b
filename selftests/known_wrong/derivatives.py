"""Known-wrong learner implementations for topic 2, ``derivatives``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain.
"""

from __future__ import annotations

import itertools

import torch

from .registry import wrong


def _indices(x):
    return itertools.product(*(range(size) for size in x.shape))


# -- central_difference -----------------------------------------------------------

@wrong("derivatives.central_difference", caught_by="value", says="(f(x + h) - f(x - h)) / (2h)")
def central_difference_as_a_forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


@wrong("derivatives.central_difference", caught_by="value", says="the true derivative")
def central_difference_with_a_precedence_slip(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 * h


@wrong("derivatives.central_difference", caught_by="value", says="h=0.1")
def central_difference_ignoring_h(f, x, h=1e-5):
    step = 1e-5
    return (f(x + step) - f(x - step)) / (2 * step)


@wrong("derivatives.central_difference", caught_by="property", says="exact for a quadratic")
def central_difference_as_a_backward_difference(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


@wrong("derivatives.central_difference", caught_by="guard", says="autograd")
def central_difference_by_autograd(f, x, h=1e-5):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (slope,) = torch.autograd.grad(f(t), t)
    return slope.item()


# -- numerical_gradient -----------------------------------------------------------

@wrong("derivatives.numerical_gradient", caught_by="purity", says="left x changed")
def numerical_gradient_restoring_x_by_arithmetic(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    for index in _indices(x):
        x[index] += h
        f_plus = f(x)
        x[index] -= 2 * h
        f_minus = f(x)
        x[index] += h  # back where it was ... up to rounding
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


@wrong("derivatives.numerical_gradient", caught_by="purity", says="left x changed")
def numerical_gradient_forgetting_to_restore_x(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    for index in _indices(x):
        original = x[index].clone()
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
    return grad


@wrong("derivatives.numerical_gradient", caught_by="value", says="the true derivatives")
def numerical_gradient_by_forward_differences(f, x, h=1e-5):
    grad, f_x = torch.zeros_like(x), f(x)
    for index in _indices(x):
        original = x[index].clone()
        x[index] = original + h
        grad[index] = (f(x) - f_x) / h
        x[index] = original
    return grad


@wrong("derivatives.numerical_gradient", caught_by="value", says="the true derivatives")
def numerical_gradient_perturbing_a_flattened_copy(f, x, h=1e-5):
    # reshape(-1) is a view only for a contiguous x; otherwise f never sees the nudges.
    flat, grad = x.reshape(-1), torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    for i in range(flat.numel()):
        original = flat[i].clone()
        flat[i] = original + h
        f_plus = f(x)
        flat[i] = original - h
        grad[i] = (f_plus - f(x)) / (2 * h)
        flat[i] = original
    return grad.reshape(x.shape)


@wrong("derivatives.numerical_gradient", caught_by="dtype", says="returned torch.float32")
def numerical_gradient_filling_float32_zeros(f, x, h=1e-5):
    grad = torch.zeros(x.shape, device=x.device)
    for index in _indices(x):
        original = x[index].clone()
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
        x[index] = original
    return grad


@wrong("derivatives.numerical_gradient", caught_by="device", says="torch.zeros")
def numerical_gradient_on_the_default_device(f, x, h=1e-5):
    grad = torch.zeros(x.shape, dtype=x.dtype)
    for index in _indices(x):
        original = x[index].clone()
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
        x[index] = original
    return grad


@wrong("derivatives.numerical_gradient", caught_by="guard", says="autograd")
def numerical_gradient_by_autograd(f, x, h=1e-5):
    leaf = x.detach().clone().requires_grad_(True)
    f(leaf).backward()
    return leaf.grad


# -- numerical_jacobian -----------------------------------------------------------

def _jacobian_columns(f, x, h):
    columns = []
    for j in range(x.shape[0]):
        original = x[j].clone()
        x[j] = original + h
        f_plus = f(x)
        x[j] = original - h
        columns.append((f_plus - f(x)) / (2 * h))
        x[j] = original
    return columns


@wrong("derivatives.numerical_jacobian", caught_by="value", says="returned shape")
def numerical_jacobian_transposed(f, x, h=1e-5):
    return torch.stack(_jacobian_columns(f, x, h))  # (n, m): one row per x_j


@wrong("derivatives.numerical_jacobian", caught_by="value", says="with the given h")
def numerical_jacobian_ignoring_h(f, x, h=1e-5):
    return torch.stack(_jacobian_columns(f, x, 1e-5), dim=1)


@wrong("derivatives.numerical_jacobian", caught_by="purity", says="left x changed")
def numerical_jacobian_restoring_x_by_arithmetic(f, x, h=1e-5):
    columns = []
    for j in range(x.shape[0]):
        x[j] += h
        f_plus = f(x)
        x[j] -= 2 * h
        columns.append((f_plus - f(x)) / (2 * h))
        x[j] += h
    return torch.stack(columns, dim=1)


@wrong("derivatives.numerical_jacobian", caught_by="property", says="f(x) = A x + b")
def numerical_jacobian_of_a_transposed_square(f, x, h=1e-5):
    # Right when m != n; for a square J the rows and columns come out swapped.
    columns = _jacobian_columns(f, x, h)
    jacobian = torch.stack(columns, dim=1)
    return jacobian.T.contiguous() if jacobian.shape[0] == jacobian.shape[1] else jacobian


@wrong("derivatives.numerical_jacobian", caught_by="device", says="torch.zeros")
def numerical_jacobian_on_the_default_device(f, x, h=1e-5):
    columns = _jacobian_columns(f, x, h)
    jacobian = torch.zeros(columns[0].shape[0], x.shape[0], dtype=x.dtype)
    for j, column in enumerate(columns):
        jacobian[:, j] = column
    return jacobian


@wrong("derivatives.numerical_jacobian", caught_by="guard", says="torch.autograd.functional")
def numerical_jacobian_by_autograd(f, x, h=1e-5):
    return torch.autograd.functional.jacobian(f, x)


# -- quadratic_gradient -----------------------------------------------------------

@wrong("derivatives.quadratic_gradient", caught_by="value", says="differs from")
def quadratic_gradient_forgetting_the_factor_two(x):
    return torch.stack([3 * x[0], 4 * x[1], 5 * x[2]])


@wrong("derivatives.quadratic_gradient", caught_by="device", says="mixes devices")
def quadratic_gradient_with_coefficients_on_the_cpu(x):
    return torch.tensor([6.0, 8.0, 10.0], dtype=x.dtype) * x


@wrong("derivatives.quadratic_gradient", caught_by="dtype", says="returned torch.float32")
def quadratic_gradient_rebuilt_from_python_floats(x):
    return torch.tensor([6 * x[0].item(), 8 * x[1].item(), 10 * x[2].item()], device=x.device)


@wrong("derivatives.quadratic_gradient", caught_by="purity", says="modified its input x")
def quadratic_gradient_scaling_x_in_place(x):
    grad = x  # not a copy: the caller's tensor
    grad[0] *= 6
    grad[1] *= 8
    grad[2] *= 10
    return grad


@wrong("derivatives.quadratic_gradient", caught_by="guard", says="autograd")
def quadratic_gradient_by_autograd(x):
    leaf = x.detach().clone().requires_grad_(True)
    y = 3 * leaf[0] ** 2 + 4 * leaf[1] ** 2 + 5 * leaf[2] ** 2
    y.backward()
    return leaf.grad


# -- polynomial_derivative --------------------------------------------------------

@wrong("derivatives.polynomial_derivative", caught_by="value", says="the power rule")
def polynomial_derivative_keeping_the_constant_term(coeffs, x):
    result = coeffs[0] + x * 0.0
    for i in range(1, len(coeffs)):
        result = result + i * coeffs[i] * x ** (i - 1)
    return result


@wrong("derivatives.polynomial_derivative", caught_by="value", says="ZeroDivisionError")
def polynomial_derivative_dividing_by_zero_at_the_origin(coeffs, x):
    result = x * 0.0
    for i, c in enumerate(coeffs):
        result = result + i * c * x ** (i - 1)  # i = 0: 0 * c * x^-1, undefined at x = 0
    return result


@wrong("derivatives.polynomial_derivative", caught_by="value", says="not a torch.Tensor")
def polynomial_derivative_summing_from_int_zero(coeffs, x):
    total = 0
    for i in range(1, len(coeffs)):
        total = total + i * coeffs[i] * x ** (i - 1)
    return total


@wrong("derivatives.polynomial_derivative", caught_by="dtype", says="not a Python float")
def polynomial_derivative_returning_a_tensor_for_a_float(coeffs, x):
    t = torch.as_tensor(x, dtype=torch.float64)
    result = t * 0.0
    for power in range(len(coeffs) - 1, 0, -1):
        result = result * t + power * coeffs[power]
    return result.to(x.dtype) if isinstance(x, torch.Tensor) else result


@wrong("derivatives.polynomial_derivative", caught_by="purity", says="changed the caller's coeffs")
def polynomial_derivative_popping_the_constant_term(coeffs, x):
    coeffs.pop(0)  # the constant disappears ... from the caller's list too
    result = x * 0.0
    for i, c in enumerate(coeffs):
        result = result + (i + 1) * c * x**i
    return result


@wrong("derivatives.polynomial_derivative", caught_by="device", says="torch.zeros")
def polynomial_derivative_starting_from_default_zeros(coeffs, x):
    result = torch.zeros(x.shape, dtype=x.dtype) if isinstance(x, torch.Tensor) else 0.0
    for power in range(len(coeffs) - 1, 0, -1):
        result = result * x + power * coeffs[power]
    return result


@wrong("derivatives.polynomial_derivative", caught_by="guard", says="autograd")
def polynomial_derivative_by_autograd(coeffs, x):
    t = torch.as_tensor(x, dtype=torch.float64).detach().clone().requires_grad_(True)
    p = sum(c * t**i for i, c in enumerate(coeffs))
    (slope,) = torch.autograd.grad(p.sum(), t)
    return slope.to(x.dtype) if isinstance(x, torch.Tensor) else slope.item()


# -- chain_rule -------------------------------------------------------------------

@wrong("derivatives.chain_rule", caught_by="value", says="central differences")
def chain_rule_evaluating_f_prime_at_x(f_prime, g, g_prime):
    return lambda x: f_prime(x) * g_prime(x)


@wrong("derivatives.chain_rule", caught_by="value", says="central differences")
def chain_rule_forgetting_the_inner_derivative(f_prime, g, g_prime):
    return lambda x: f_prime(g(x))


@wrong("derivatives.chain_rule", caught_by="value", says="central differences")
def chain_rule_evaluating_g_prime_at_g(f_prime, g, g_prime):
    return lambda x: f_prime(g(x)) * g_prime(g(x))


@wrong("derivatives.chain_rule", caught_by="value", says="not a function")
def chain_rule_returning_the_formula_unevaluated(f_prime, g, g_prime):
    return (f_prime, g, g_prime)  # meant: a function of x that combines them


@wrong("derivatives.chain_rule", caught_by="guard", says="autograd")
def chain_rule_differentiating_g_by_autograd(f_prime, g, g_prime):
    def derivative(x):
        t = torch.as_tensor(x, dtype=torch.float64).detach().clone().requires_grad_(True)
        (inner,) = torch.autograd.grad(g(t).sum(), t)
        slope = f_prime(g(x)) * inner
        return slope if isinstance(x, torch.Tensor) else slope.item()

    return derivative
