"""Known-wrong learner implementations for topic 6, ``layers``.

Each function or class is a realistic mistake, named for what it gets wrong,
and registered with the exercise it attempts, the check family meant to
catch it and a phrase that family's message must contain. A wrong class
overrides only the method the mistake lives in.
"""

from __future__ import annotations

import math

import torch

from solutions.activations import relu, relu_backward, sigmoid, tanh_backward
from solutions.layers import Linear, ReLU, Sequential, Sigmoid, Tanh, linear_backward

from .registry import wrong


def _check_shapes(x, weight):
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} "
                         f"and {weight.shape[1]}x{weight.shape[0]})")


# -- linear -------------------------------------------------------------------------------

@wrong("layers.linear", caught_by="value", says="linear(x, weight")
def linear_forgetting_the_transpose(x, weight, bias=None):
    _check_shapes(x, weight)
    out = x @ weight
    return out if bias is None else out + bias


@wrong("layers.linear", caught_by="errors", says="it should raise ValueError")
def linear_letting_torch_raise(x, weight, bias=None):
    out = x @ weight.T
    return out if bias is None else out + bias


@wrong("layers.linear", caught_by="errors", says="expected exactly")
def linear_quoting_the_shape_of_weight_not_weight_t(x, weight, bias=None):
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} "
                         f"and {weight.shape[0]}x{weight.shape[1]})")
    out = x @ weight.T
    return out if bias is None else out + bias


@wrong("layers.linear", caught_by="guard", says="addmm")
def linear_through_addmm(x, weight, bias=None):
    _check_shapes(x, weight)
    if bias is None:
        return x @ weight.T
    return torch.addmm(bias, x, weight.T)


@wrong("layers.linear", caught_by="dtype", says="torch.float32 for a torch.float64")
def linear_casting_to_float32(x, weight, bias=None):
    _check_shapes(x, weight)  # nn.Linear's parameters are float32, but the input's dtype wins
    out = x.float() @ weight.float().T
    return out if bias is None else out + bias.float()


@wrong("layers.linear", caught_by="device", says="torch.zeros")
def linear_with_a_default_bias_on_the_default_device(x, weight, bias=None):
    _check_shapes(x, weight)
    if bias is None:
        bias = torch.zeros(weight.shape[0], dtype=x.dtype)
    return x @ weight.T + bias


# -- linear_backward --------------------------------------------------------------------------

@wrong("layers.linear_backward", caught_by="grad", says="transposed")
def linear_backward_with_grad_weight_transposed(grad_out, x, weight, bias=None):
    grad_bias = None if bias is None else grad_out.sum(dim=0)
    return grad_out @ weight, x.T @ grad_out, grad_bias


@wrong("layers.linear_backward", caught_by="grad", says="missing reduction")
def linear_backward_not_summing_grad_bias_over_the_batch(grad_out, x, weight, bias=None):
    return grad_out @ weight, grad_out.T @ x, None if bias is None else grad_out.clone()


@wrong("layers.linear_backward", caught_by="grad", says="elements wrong")
def linear_backward_with_weight_transposed_in_grad_x(grad_out, x, weight, bias=None):
    return grad_out @ weight.T, grad_out.T @ x, None if bias is None else grad_out.sum(dim=0)


@wrong("layers.linear_backward", caught_by="grad", says="expected None")
def linear_backward_with_zero_grad_bias_without_bias(grad_out, x, weight, bias=None):
    grad_bias = grad_out.sum(dim=0) * (0 if bias is None else 1)
    return grad_out @ weight, grad_out.T @ x, grad_bias


# -- Linear ------------------------------------------------------------------------------------

@wrong("layers.Linear", caught_by="property", says="outside")
class LinearInitialisedWithRandn(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, generator)
        bound = 1 / math.sqrt(in_features)
        self.weight = torch.randn(out_features, in_features, generator=generator) * bound


@wrong("layers.Linear", caught_by="property", says="span only")
class LinearWithZeroBias(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, generator)
        if bias:
            self.bias = torch.zeros(out_features)


@wrong("layers.Linear", caught_by="property", says="span only")
class LinearWithBoundOneOverIn(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, generator)
        self.weight = self.weight / math.sqrt(in_features)  # 1/in instead of 1/sqrt(in)


@wrong("layers.Linear", caught_by="property", says="generators in the same state")
class LinearIgnoringTheGenerator(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, None)


@wrong("layers.Linear", caught_by="grad", says="not add to them")
class LinearAccumulatingGradients(Linear):
    def backward(self, grad_out):
        grad_x, grad_weight, grad_bias = linear_backward(grad_out, self.x, self.weight, self.bias)
        self.grad_weight = self.grad_weight + grad_weight
        if grad_bias is not None:
            self.grad_bias = self.grad_bias + grad_bias
        return grad_x


@wrong("layers.Linear", caught_by="purity", says="modified its input weight")
class LinearTakingAStepInBackward(Linear):
    def backward(self, grad_out):
        grad_x = super().backward(grad_out)
        self.weight -= 0.1 * self.grad_weight  # the optimiser's job, not backward's
        return grad_x


@wrong("layers.Linear", caught_by="guard", says="torch.nn.init")
class LinearThroughNnInit(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, generator)
        torch.nn.init.uniform_(self.weight, -in_features**-0.5, in_features**-0.5,
                               generator=generator)


@wrong("layers.Linear", caught_by="property", says="grads() before any backward")
class LinearWithNoGradientsBeforeBackward(Linear):
    def __init__(self, in_features, out_features, bias=True, generator=None):
        super().__init__(in_features, out_features, bias, generator)
        self.grad_weight = self.grad_bias = None


# -- Sigmoid, Tanh, ReLU ------------------------------------------------------------------------

@wrong("layers.Sigmoid", caught_by="grad", says="differs from autograd")
class SigmoidDifferentiatingAtItsOutput(Sigmoid):
    def forward(self, x):
        self.x = sigmoid(x)  # keeps the output, then hands it to sigmoid_backward as if x
        return self.x


@wrong("layers.Sigmoid", caught_by="guard", says="never called your own sigmoid")
class SigmoidThroughTorch(Sigmoid):
    def forward(self, x):
        self.x = x
        return torch.sigmoid(x)


@wrong("layers.Tanh", caught_by="grad", says="grad_out")
class TanhIgnoringGradOut(Tanh):
    def backward(self, grad_out):
        return tanh_backward(torch.ones_like(grad_out), self.x)


@wrong("layers.Tanh", caught_by="purity", says="modified its input grad_out")
class TanhScalingGradOutInPlace(Tanh):
    def backward(self, grad_out):
        return grad_out.mul_(tanh_backward(torch.ones_like(grad_out), self.x))


@wrong("layers.ReLU", caught_by="property", says="latest forward on the instance")
class ReLUCachingOnTheClass(ReLU):
    def forward(self, x):
        type(self).cache = x  # a class attribute: one cache shared by every ReLU
        return relu(x)

    def backward(self, grad_out):
        return relu_backward(grad_out, type(self).cache)


@wrong("layers.ReLU", caught_by="grad", says="differs from autograd")
class ReLUPassingGradientAtZero(ReLU):
    def backward(self, grad_out):
        return grad_out * (self.x >= 0)


# -- Sequential ---------------------------------------------------------------------------------

@wrong("layers.Sequential", caught_by="property", says="last to first")
class SequentialBackwardInForwardOrder(Sequential):
    def backward(self, grad_out):
        for module in self.modules:
            grad_out = module.backward(grad_out)
        return grad_out


@wrong("layers.Sequential", caught_by="property", says="parameters()")
class SequentialListingOnlyTheFirstModulesParameters(Sequential):
    def parameters(self):
        return list(self.modules[0].parameters())


@wrong("layers.Sequential", caught_by="grad", says="grads()")
class SequentialReturningParametersAsGrads(Sequential):
    def grads(self):
        return [p for module in self.modules for p in module.parameters()]

