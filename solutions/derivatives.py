"""Reference solutions for topic 2: derivatives and gradients, without autograd.

The numerical functions nudge one coordinate of ``x`` at a time in place and
put back the saved original value (not ``x + h - h``, which rounds), so the
caller's ``x`` ends exactly as it was.
"""

import itertools

import torch


def central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def _nudged_difference(f, x, index, h):
    """(f(x + h e_index) - f(x - h e_index)) / 2h, with x restored exactly afterwards."""
    original = x[index].clone()
    x[index] = original + h
    f_plus = f(x)
    x[index] = original - h
    f_minus = f(x)
    x[index] = original
    return (f_plus - f_minus) / (2 * h)


def numerical_gradient(f, x, h=1e-5):
    grad = torch.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        grad[index] = _nudged_difference(f, x, index, h)
    return grad


def numerical_jacobian(f, x, h=1e-5):
    # Column j is d f / d x_j, so the stack over j goes along dim 1: J is (m, n).
    columns = [_nudged_difference(f, x, j, h) for j in range(x.shape[0])]
    return torch.stack(columns, dim=1)


def quadratic_gradient(x):
    # y = 3 x1^2 + 4 x2^2 + 5 x3^2  =>  dy/dx_i = 2 * c_i * x_i.
    return torch.stack([6 * x[0], 8 * x[1], 10 * x[2]])


def polynomial_derivative(coeffs, x):
    # p'(x) = sum_{i>=1} i c_i x^(i-1), by Horner's rule from the highest power down.
    # Starting from 0 * x keeps x's kind: a float stays a float, a tensor keeps shape,
    # dtype and device.
    result = x * 0.0
    for power in range(len(coeffs) - 1, 0, -1):
        result = result * x + power * coeffs[power]
    return result


def chain_rule(f_prime, g, g_prime):
    def derivative(x):
        return f_prime(g(x)) * g_prime(x)

    return derivative
