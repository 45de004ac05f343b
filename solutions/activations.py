"""Reference solutions for topic 4: activation functions and their derivatives.

Every ``*_backward(grad_out, x, ...)`` returns ``grad_out * f'(x)`` (for softmax
and log_softmax the vector-Jacobian product), of ``x``'s shape. Constants are
Python scalars, so results keep ``x``'s dtype and device.
"""

import math

import torch


def sigmoid(x):
    # exp(-|x|) lies in (0, 1]: no overflow on either side.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad_out, x):
    s = sigmoid(x)
    return grad_out * s * (1 - s)


def tanh(x):
    # tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|}); expm1 keeps small |x| accurate.
    m = torch.expm1(-2 * x.abs())
    return torch.copysign(-m / (2 + m), x)


def tanh_backward(grad_out, x):
    # 1 - tanh(x)^2 as 4e / (1 + e)^2, e = exp(-2|x|): no cancellation where tanh is near +-1.
    e = torch.exp(-2 * x.abs())
    return grad_out * (4 * e / (1 + e) ** 2)


def relu(x):
    return x.clamp(min=0)


def relu_backward(grad_out, x):
    # x > 0, not x >= 0: PyTorch takes relu'(0) = 0.
    return torch.where(x > 0, grad_out, 0)


def leaky_relu(x, negative_slope=0.01):
    return torch.where(x > 0, x, x * negative_slope)


def leaky_relu_backward(grad_out, x, negative_slope=0.01):
    # x > 0, not x >= 0: PyTorch takes leaky_relu'(0) = negative_slope.
    return torch.where(x > 0, grad_out, grad_out * negative_slope)


def gelu(x, approximate="none"):
    if approximate == "none":  # x * Phi(x), Phi the standard normal CDF
        return 0.5 * x * (1 + torch.erf(x * math.sqrt(0.5)))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + torch.tanh(inner))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_backward(grad_out, x, approximate="none"):
    if approximate == "none":  # Phi(x) + x * phi(x)
        cdf = 0.5 * (1 + torch.erf(x * math.sqrt(0.5)))
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad_out * (cdf + x * pdf)
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        u = k * (x + 0.044715 * x * x * x)
        e = torch.exp(-2 * u.abs())
        # 1 - tanh(u)^2 as 4e / (1 + e)^2: no cancellation where tanh(u) is near +-1.
        sech2 = 4 * e / (1 + e) ** 2
        inner_grad = k * (1 + 3 * 0.044715 * x * x)
        return grad_out * (0.5 * (1 + torch.tanh(u)) + 0.5 * x * sech2 * inner_grad)
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def softmax(x, dim=-1):
    if x.numel() == 0:  # amax cannot reduce an empty dimension
        return x.clone()
    # Shifting by the max changes nothing mathematically; exp then never overflows.
    e = torch.exp(x - x.amax(dim, keepdim=True))
    return e / e.sum(dim, keepdim=True)


def softmax_backward(grad_out, x, dim=-1):
    # J = diag(y) - y y^T, so grad_out @ J = y * (grad_out - <grad_out, y>).
    y = softmax(x, dim)
    return y * (grad_out - (grad_out * y).sum(dim, keepdim=True))


def log_softmax(x, dim=-1):
    if x.numel() == 0:  # amax cannot reduce an empty dimension
        return x.clone()
    # z - log(sum(exp(z))) with z = x - max: the sum is >= 1, its log finite.
    z = x - x.amax(dim, keepdim=True)
    return z - torch.log(torch.exp(z).sum(dim, keepdim=True))


def log_softmax_backward(grad_out, x, dim=-1):
    # J = I - 1 y^T with y = softmax(x), so grad_out @ J = grad_out - y * sum(grad_out).
    y = torch.exp(log_softmax(x, dim))
    return grad_out - y * grad_out.sum(dim, keepdim=True)
