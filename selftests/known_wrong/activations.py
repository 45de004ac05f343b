"""Known-wrong learner implementations for topic 4, ``activations``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain.
"""

from __future__ import annotations

import math

import torch

from solutions.activations import sigmoid, softmax

from .registry import wrong

# -- sigmoid ----------------------------------------------------------------------


@wrong("activations.sigmoid", caught_by="value", says="differs from torch.sigmoid")
def sigmoid_with_the_sign_of_x_flipped(x):
    return 1 / (1 + torch.exp(x))


@wrong("activations.sigmoid", caught_by="guard", says="torch.sigmoid")
def sigmoid_calling_torch_sigmoid(x):
    return torch.sigmoid(x)


@wrong("activations.sigmoid", caught_by="guard", says="expit")
def sigmoid_calling_an_alias(x):
    return torch.special.expit(x)


# -- sigmoid_backward -------------------------------------------------------------


@wrong("activations.sigmoid_backward", caught_by="grad", says="differs from autograd")
def sigmoid_backward_with_s_instead_of_s_times_one_minus_s(grad_out, x):
    return grad_out * sigmoid(x)


@wrong("activations.sigmoid_backward", caught_by="property", says="did you use grad_out")
def sigmoid_backward_ignoring_grad_out(grad_out, x):
    s = sigmoid(x)
    return s * (1 - s)


@wrong("activations.sigmoid_backward", caught_by="stability", says="not finite")
def sigmoid_backward_from_the_exp_formula(grad_out, x):
    e = torch.exp(-x)
    return grad_out * e / (1 + e) ** 2


# -- tanh -------------------------------------------------------------------------


@wrong("activations.tanh", caught_by="stability", says="not finite")
def tanh_from_exponentials(x):
    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))


@wrong("activations.tanh", caught_by="guard", says="torch.tanh")
def tanh_by_dynamic_lookup(x):
    return getattr(torch, "ta" + "nh")(x)


# -- tanh_backward ----------------------------------------------------------------


@wrong("activations.tanh_backward", caught_by="grad", says="differs from autograd")
def tanh_backward_forgetting_the_square(grad_out, x):
    from solutions.activations import tanh

    return grad_out * (1 - tanh(x))


@wrong("activations.tanh_backward", caught_by="purity", says="modified its input grad_out")
def tanh_backward_scaling_grad_out_in_place(grad_out, x):
    from solutions.activations import tanh

    return grad_out.mul_(1 - tanh(x) ** 2)


# -- relu -------------------------------------------------------------------------


@wrong("activations.relu", caught_by="device", says="torch.zeros")
def relu_against_zeros_on_the_default_device(x):
    return torch.maximum(x, torch.zeros(x.shape, dtype=x.dtype))


@wrong("activations.relu", caught_by="purity", says="modified its input x")
def relu_clamping_x_in_place(x):
    return x.clamp_(min=0)


@wrong("activations.relu", caught_by="guard", says="relu")
def relu_calling_the_in_place_variant(x):
    return torch.relu_(x.clone())


# -- relu_backward ----------------------------------------------------------------


@wrong("activations.relu_backward", caught_by="grad", says="at x = 0")
def relu_backward_passing_gradient_at_zero(grad_out, x):
    return grad_out * (x >= 0)


@wrong("activations.relu_backward", caught_by="grad", says="grad_out")
def relu_backward_returning_the_mask_only(grad_out, x):
    return (x > 0).to(x.dtype)


# -- leaky_relu -------------------------------------------------------------------


@wrong(
    "activations.leaky_relu", caught_by="value", says="differs from torch.nn.functional.leaky_relu"
)
def leaky_relu_ignoring_negative_slope(x, negative_slope=0.01):
    return torch.where(x > 0, x, 0.01 * x)


@wrong("activations.leaky_relu", caught_by="guard", says="leaky_relu")
def leaky_relu_calling_functional(x, negative_slope=0.01):
    return torch.nn.functional.leaky_relu(x, negative_slope)


# -- leaky_relu_backward ----------------------------------------------------------


@wrong("activations.leaky_relu_backward", caught_by="grad", says="at x = 0")
def leaky_relu_backward_with_slope_one_at_zero(grad_out, x, negative_slope=0.01):
    return torch.where(x >= 0, grad_out, negative_slope * grad_out)


@wrong("activations.leaky_relu_backward", caught_by="grad", says="differs from autograd")
def leaky_relu_backward_dropping_grad_out_on_the_negative_side(grad_out, x, negative_slope=0.01):
    return torch.where(x > 0, grad_out, torch.full_like(x, negative_slope))


# -- gelu -------------------------------------------------------------------------


@wrong("activations.gelu", caught_by="value", says="differs from torch.nn.functional.gelu")
def gelu_always_using_the_tanh_approximation(x, approximate="none"):
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    return 0.5 * x * (1 + torch.tanh(inner))


@wrong("activations.gelu", caught_by="guard", says="torch.ops")
def gelu_calling_an_aten_kernel(x, approximate="none"):
    return torch.ops.aten.gelu(x, approximate=approximate)


# -- gelu_backward ----------------------------------------------------------------


@wrong("activations.gelu_backward", caught_by="grad", says="differs from autograd")
def gelu_backward_forgetting_the_x_times_pdf_term(grad_out, x, approximate="none"):
    return grad_out * 0.5 * (1 + torch.erf(x / math.sqrt(2)))


@wrong("activations.gelu_backward", caught_by="dtype", says="torch.float32 for a torch.float64")
def gelu_backward_computing_in_float32(grad_out, x, approximate="none"):
    from solutions.activations import gelu_backward

    return gelu_backward(grad_out.float(), x.float(), approximate)


# -- softmax ----------------------------------------------------------------------


@wrong("activations.softmax", caught_by="stability", says="not finite")
def softmax_without_subtracting_the_max(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim, keepdim=True)


@wrong("activations.softmax", caught_by="value", says="differs from torch.softmax")
def softmax_normalising_over_every_element(x, dim=-1):
    e = torch.exp(x - x.max())
    return e / e.sum()


@wrong("activations.softmax", caught_by="guard", says="softmax")
def softmax_calling_the_tensor_method(x, dim=-1):
    return x.softmax(dim)


# -- softmax_backward -------------------------------------------------------------


@wrong("activations.softmax_backward", caught_by="grad", says="sign")
def softmax_backward_with_the_sign_flipped(grad_out, x, dim=-1):
    s = softmax(x, dim)
    return s * ((grad_out * s).sum(dim, keepdim=True) - grad_out)


@wrong("activations.softmax_backward", caught_by="grad", says="differs from autograd")
def softmax_backward_using_only_the_diagonal(grad_out, x, dim=-1):
    s = softmax(x, dim)
    return grad_out * s * (1 - s)


# -- log_softmax ------------------------------------------------------------------


@wrong("activations.log_softmax", caught_by="stability", says="not finite")
def log_softmax_as_the_log_of_softmax(x, dim=-1):
    return torch.log(softmax(x, dim))


@wrong("activations.log_softmax", caught_by="guard", says="logsumexp")
def log_softmax_calling_logsumexp(x, dim=-1):
    return x - torch.logsumexp(x, dim, keepdim=True)


# -- log_softmax_backward ---------------------------------------------------------


@wrong("activations.log_softmax_backward", caught_by="grad", says="differs from autograd")
def log_softmax_backward_forgetting_the_sum_of_grad_out(grad_out, x, dim=-1):
    return grad_out - softmax(x, dim)


@wrong("activations.log_softmax_backward", caught_by="grad", says="differs from autograd")
def log_softmax_backward_always_along_the_last_dim(grad_out, x, dim=-1):
    return grad_out - softmax(x, -1) * grad_out.sum(-1, keepdim=True)
