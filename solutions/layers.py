"""Reference solutions for topic 6: backpropagation through a network.

``linear`` / ``linear_backward`` are the maths; the classes are modules with
one protocol: ``forward(x)`` keeps what ``backward`` needs, ``backward(grad_out)``
returns dL/dx and stores the parameters' gradients (overwriting),
``parameters()`` and ``grads()`` list them in matching order. The activation
modules use this submission's own activations.
"""

import math

import torch

from .activations import relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward


def _require_multipliable(x, weight):
    if x.dim() != 2 or weight.dim() != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            "mat1 and mat2 shapes cannot be multiplied "
            f"({'x'.join(map(str, x.shape))} and {'x'.join(map(str, weight.T.shape))})")


def linear(x, weight, bias=None):
    _require_multipliable(x, weight)
    out = x @ weight.T
    return out if bias is None else out + bias


def linear_backward(grad_out, x, weight, bias=None):
    # y = x W^T + b:  dx = g W,  dW = g^T x,  db = sum of g over the batch.
    grad_x = grad_out @ weight
    grad_weight = grad_out.T @ x
    grad_bias = None if bias is None else grad_out.sum(dim=0)
    return grad_x, grad_weight, grad_bias


def _uniform(shape, bound, generator):
    """float32 entries uniform in [-bound, bound), all drawn from ``generator``."""
    return (torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1) * bound


class Linear:
    def __init__(self, in_features, out_features, bias=True, generator=None):
        bound = 1 / math.sqrt(in_features)  # nn.Linear's bound: variance 1 / (3 in)
        self.weight = _uniform((out_features, in_features), bound, generator)
        self.bias = _uniform((out_features,), bound, generator) if bias else None
        self.grad_weight = torch.zeros_like(self.weight)
        self.grad_bias = None if self.bias is None else torch.zeros_like(self.bias)
        self.x = None

    def forward(self, x):
        self.x = x
        return linear(x, self.weight, self.bias)

    def backward(self, grad_out):
        grad_x, self.grad_weight, self.grad_bias = linear_backward(
            grad_out, self.x, self.weight, self.bias)
        return grad_x

    def parameters(self):
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def grads(self):
        return [self.grad_weight] if self.bias is None else [self.grad_weight, self.grad_bias]


class Sigmoid:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return sigmoid(x)

    def backward(self, grad_out):
        return sigmoid_backward(grad_out, self.x)

    def parameters(self):
        return []

    def grads(self):
        return []


class Tanh:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return tanh(x)

    def backward(self, grad_out):
        return tanh_backward(grad_out, self.x)

    def parameters(self):
        return []

    def grads(self):
        return []


class ReLU:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return relu(x)

    def backward(self, grad_out):
        return relu_backward(grad_out, self.x)

    def parameters(self):
        return []

    def grads(self):
        return []


class Sequential:
    def __init__(self, *modules):
        self.modules = list(modules)

    def forward(self, x):
        for module in self.modules:
            x = module.forward(x)
        return x

    def backward(self, grad_out):
        # The chain rule runs from the loss back to the input: last module first.
        for module in reversed(self.modules):
            grad_out = module.backward(grad_out)
        return grad_out

    def parameters(self):
        return [p for module in self.modules for p in module.parameters()]

    def grads(self):
        return [g for module in self.modules for g in module.grads()]
