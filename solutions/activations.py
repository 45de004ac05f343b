r"""Topic 4 - activation functions (激活函数) and their derivatives.

Why a network needs them: two linear layers in a row are still one linear map,
    g(f(x)) = w2 (w1 x + b1) + b2 = (w2 w1) x + (w2 b1 + b2),
so stacking linear layers alone gains nothing. An activation function is a
fixed non-linear function applied elementwise (softmax: slice-wise) between
the layers; linear pieces joined by non-linear bends can fit curves that no
single linear map can.

Every exercise here comes as a forward / backward pair:

    y      = f(x, ...)                         forward pass  (前向传播)
    grad_x = f_backward(grad_out, x, ...)      backward pass (反向传播)

The backward convention is the chain rule (链式法则). Somewhere downstream a
scalar loss L is computed from y. The caller hands you the upstream gradient
(梯度) grad_out = dL/dy, of the same shape as x, and you return dL/dx, again of
x's shape. For an elementwise f that is

    dL/dx = grad_out * f'(x)                   (elementwise product)

Returning f'(x) alone is wrong: the grader passes a random grad_out, not ones.
For softmax and log_softmax every output depends on every input of its slice,
so dL/dx is a vector-Jacobian product, spelled out at those exercises.

Rules for the whole topic:
- Any shape: x may be a 0-dim tensor (a single number), a vector, ... up to
  4-D and beyond. Results have x's shape, dtype (float32, float64, ...) and
  device (CPU or GPU).
- Build new tensors from x, never from scratch: Python numbers mix with a
  tensor without changing its dtype or device (0.5 * x, 1 + x), and
  torch.zeros_like(x) / torch.ones_like(x) / x.new_zeros(...) copy them.
  torch.zeros(x.shape) is float32 on the default device: wrong for a float64
  x or a GPU x.
- Never modify the inputs: no x.clamp_(...), no x[x < 0] = 0 on the caller's
  tensor. Return a new tensor.
- Numerical stability (数值稳定) is graded: for float32 inputs with |x| up to
  1e4 every function must return finite values that match PyTorch. e^x
  overflows to inf once x > 88.7 in float32 (709.8 in float64), and then
  inf / inf and 0 * inf give nan.
- Forbidden in every exercise of the topic: torch.nn.functional.*,
  torch.special.*, logsigmoid, logsumexp, softmax, log_softmax; autograd
  (.backward(), torch.autograd.*), torch.ops.*, torch._*, .numpy(), .tolist().
  Each exercise also forbids its namesake (no torch.sigmoid / x.sigmoid() in
  sigmoid and sigmoid_backward, and so on). Everything else is allowed:
  torch.exp, torch.log, torch.expm1, torch.erf, torch.where, clamp, amax, sum,
  ... and your own functions from this file.

Check your work with `pytest --exercise activations`, or one exercise at a
time: `pytest --exercise 4.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 4: activation functions and their derivatives.
#
# Every ``*_backward(grad_out, x, ...)`` returns ``grad_out * f'(x)`` (for softmax
# and log_softmax the vector-Jacobian product), of ``x``'s shape. Constants are
# Python scalars, so results keep ``x``'s dtype and device.

import math

import torch

# END SOLUTION
# BEGIN STUB
# import math  # noqa: F401 - for your solutions
#
# import torch  # noqa: F401 - for your solutions
# END STUB


def sigmoid(x):
    r"""Exercise 4.1 - the logistic sigmoid, elementwise.

        sigmoid(x) = 1 / (1 + e^{-x})

    It squashes any real number into (0, 1) and is differentiable everywhere,
    which made it the first popular activation. Its outputs are centred on 0.5,
    not 0. Symmetry: sigmoid(-x) = 1 - sigmoid(x).

    Args:
        x: (...) any shape, floating dtype.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: sigmoid(0) = 0.5, sigmoid(2) ~ 0.8808, sigmoid(-2) ~ 0.1192,
    sigmoid(1e4) = 1, sigmoid(-1e4) = 0.

    Numerical pitfall: e^{-x} overflows to inf for x < -88.7 in float32.
    1 / (1 + inf) happens to give 0, but the equivalent form
    e^{x} / (1 + e^{x}) gives inf / inf = nan for large positive x. A safe
    version only ever exponentiates a number <= 0: treat x >= 0 and x < 0
    separately, rewriting the fraction for the negative side. Note that
    torch.where computes both of its branches for every element; make sure
    the value it keeps is never nan.

    Forbidden here (besides the topic's list): torch.sigmoid, Tensor.sigmoid.
    """
    # BEGIN SOLUTION
    # exp(-|x|) lies in (0, 1]: no overflow on either side.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
    # END SOLUTION


def sigmoid_backward(grad_out, x):
    r"""Exercise 4.2 - gradient of sigmoid: grad_out * sigmoid'(x).

        sigmoid'(x) = e^{-x} / (1 + e^{-x})^2 = sigmoid(x) * (1 - sigmoid(x))

    The derivative peaks at x = 0 with 0.25 and tends to 0 for large |x|:
    the vanishing gradient (梯度消失) that makes deep sigmoid networks learn
    slowly.

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy, y = sigmoid(x).
        x: (...) any shape, the forward input.

    Returns:
        dL/dx = grad_out * sigmoid'(x): same shape, dtype and device as x.

    Examples: x = 0, grad_out = 1 gives 0.25; x = 0, grad_out = 2 gives 0.5;
    x = 1e4 or -1e4 gives 0.

    Numerical pitfall: the quotient e^{-x} / (1 + e^{-x})^2 is inf / inf = nan
    for x < -88.7 in float32. The second form, through sigmoid(x) itself, has
    no such problem (you may call your own sigmoid).

    Forbidden here (besides the topic's list): torch.sigmoid, Tensor.sigmoid.
    """
    # BEGIN SOLUTION
    s = sigmoid(x)
    return grad_out * s * (1 - s)
    # END SOLUTION


def tanh(x):
    r"""Exercise 4.3 - the hyperbolic tangent, elementwise.

        tanh(x) = (e^{x} - e^{-x}) / (e^{x} + e^{-x}) = 2 * sigmoid(2x) - 1

    The same S shape as sigmoid, but with range (-1, 1) and centred on 0
    (tanh is odd: tanh(-x) = -tanh(x)), so the next layer sees zero-mean
    inputs.

    Args:
        x: (...) any shape, floating dtype.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: tanh(0) = 0, tanh(1) ~ 0.7616, tanh(-1) ~ -0.7616,
    tanh(1e4) = 1, tanh(-1e4) = -1.

    Numerical pitfalls: the textbook formula computes both e^{x} and e^{-x};
    for |x| > 88.7 in float32 one of them is inf, and inf / inf = nan.
    Divide numerator and denominator by e^{|x|}, so that only e^{-2|x|}
    (between 0 and 1) appears, and restore the sign at the end. Near 0,
    1 - e^{-2|x|} loses its relative precision to cancellation (in float32
    it is exactly 0 for x = 1e-8, where tanh(x) ~ 1e-8);
    torch.expm1(t) = e^t - 1, computed accurately for small t, avoids that.

    Forbidden here (besides the topic's list): torch.tanh, Tensor.tanh.
    """
    # BEGIN SOLUTION
    # tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|}); expm1 keeps small |x| accurate.
    m = torch.expm1(-2 * x.abs())
    return torch.copysign(-m / (2 + m), x)
    # END SOLUTION


def tanh_backward(grad_out, x):
    r"""Exercise 4.4 - gradient of tanh: grad_out * tanh'(x).

        tanh'(x) = 1 - tanh(x)^2

    Like sigmoid's, this derivative vanishes for large |x| (the unit
    saturates); its peak is 1, at x = 0.

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy, y = tanh(x).
        x: (...) any shape, the forward input.

    Returns:
        dL/dx = grad_out * tanh'(x): same shape, dtype and device as x.

    Examples: x = 0, grad_out = 3 gives 3; x = 1, grad_out = 1 gives ~0.4200;
    x = 1e4 or -1e4 gives 0.

    Numerical pitfalls: a tanh(x) computed by the overflowing textbook formula
    carries its nan into the derivative. And where tanh(x) is close to +-1
    (|x| above about 4 in float32), 1 - tanh(x)^2 subtracts two nearly equal
    numbers: a last-bit error in tanh(x) becomes a large relative error, and
    grad_out magnifies it. The same quantity without the subtraction:

        1 - tanh(x)^2 = 1 / cosh(x)^2 = 4 e^{-2|x|} / (1 + e^{-2|x|})^2

    Forbidden here (besides the topic's list): torch.tanh, Tensor.tanh.
    """
    # BEGIN SOLUTION
    # 1 - tanh(x)^2 as 4e / (1 + e)^2, e = exp(-2|x|): no cancellation where tanh is near +-1.
    e = torch.exp(-2 * x.abs())
    return grad_out * (4 * e / (1 + e) ** 2)
    # END SOLUTION


def relu(x):
    r"""Exercise 4.5 - the rectified linear unit, elementwise.

        relu(x) = x if x > 0, else 0        (that is, max(x, 0))

    Cheap (no exponential) and, for every positive input, a gradient of
    exactly 1 that does not vanish as sigmoid's and tanh's do. Negative inputs
    are switched off. The default activation of convolutional networks.

    Args:
        x: (...) any shape, floating dtype.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: relu(3) = 3, relu(-2) = 0, relu(0) = 0.

    Pitfalls: return a new tensor; setting the negative entries of x to 0 in
    place would change the caller's tensor. A tensor to compare against made
    with torch.zeros(x.shape) lands on the default device and dtype; the
    Python number 0 or torch.zeros_like(x) does not.

    Forbidden here (besides the topic's list): torch.relu, Tensor.relu,
    relu_.
    """
    # BEGIN SOLUTION
    return x.clamp(min=0)
    # END SOLUTION


def relu_backward(grad_out, x):
    r"""Exercise 4.6 - gradient of relu: grad_out * relu'(x).

        relu'(x) = 1 if x > 0,  0 if x < 0

    At x = 0 relu has a kink (a corner) and no derivative: any value in
    [0, 1] would be a valid choice. PyTorch takes relu'(0) = 0, and so does
    this exercise.

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy, y = relu(x).
        x: (...) any shape, the forward input.

    Returns:
        dL/dx = grad_out * relu'(x): same shape, dtype and device as x.

    Example: x = [-1, 0, 2], grad_out = [5, 5, 5] gives [0, 0, 5].

    Pitfalls: mind x == 0 exactly (> versus >=). The result must have
    grad_out's floating dtype: a comparison such as x > 0 is a bool tensor.

    Forbidden here (besides the topic's list): torch.relu, Tensor.relu,
    relu_.
    """
    # BEGIN SOLUTION
    # x > 0, not x >= 0: PyTorch takes relu'(0) = 0.
    return torch.where(x > 0, grad_out, 0)
    # END SOLUTION


def leaky_relu(x, negative_slope=0.01):
    r"""Exercise 4.7 - the leaky ReLU, elementwise.

        leaky_relu(x) = x if x > 0, else negative_slope * x

    Instead of switching negative inputs off, it lets a small slope through,
    so those units still receive a gradient and can recover ("dying ReLU").

    Args:
        x: (...) any shape, floating dtype.
        negative_slope: float, the slope a on the negative side (PyTorch's
            default 0.01; 0.2 is another common choice). Any float works,
            0 included (then it is relu).

    Returns:
        (...) same shape, dtype and device as x.

    Examples: leaky_relu(3) = 3, leaky_relu(-2) = -0.02,
    leaky_relu(-2, negative_slope=0.2) = -0.4, leaky_relu(0) = 0.

    Pitfalls: return a new tensor, do not scale x's negative entries in place;
    let the Python float negative_slope multiply the tensor (it keeps x's
    dtype and device).

    Forbidden here (besides the topic's list): torch's leaky_relu in every
    spelling (leaky_relu, leaky_relu_).
    """
    # BEGIN SOLUTION
    return torch.where(x > 0, x, x * negative_slope)
    # END SOLUTION


def leaky_relu_backward(grad_out, x, negative_slope=0.01):
    r"""Exercise 4.8 - gradient of the leaky ReLU: grad_out * leaky_relu'(x).

        leaky_relu'(x) = 1 if x > 0, else negative_slope

    At the kink x = 0 PyTorch takes the "else" side: leaky_relu'(0) =
    negative_slope, and so does this exercise.

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy,
            y = leaky_relu(x, negative_slope).
        x: (...) any shape, the forward input.
        negative_slope: float, the forward's slope for x <= 0.

    Returns:
        dL/dx = grad_out * leaky_relu'(x): same shape, dtype and device as x.

    Example: x = [-1, 0, 2], grad_out = [5, 5, 5], negative_slope = 0.1
    gives [0.5, 0.5, 5].

    Forbidden here (besides the topic's list): torch's leaky_relu in every
    spelling (leaky_relu, leaky_relu_).
    """
    # BEGIN SOLUTION
    # x > 0, not x >= 0: PyTorch takes leaky_relu'(0) = negative_slope.
    return torch.where(x > 0, grad_out, grad_out * negative_slope)
    # END SOLUTION


def gelu(x, approximate="none"):
    r"""Exercise 4.9 - the Gaussian Error Linear Unit, elementwise.

        gelu(x) = x * Phi(x),   Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))

    Phi is the standard normal CDF, P(Z <= x) for Z ~ N(0, 1): x is weighted
    by how likely a standard normal sample falls below it. A smooth relu:
    about x for large x, about 0 for very negative x, slightly negative in
    between (minimum ~ -0.1700 near x = -0.75). Used in BERT and GPT.

    approximate="tanh" selects the approximation (same constants as PyTorch):

        gelu(x) ~ 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))

    Args:
        x: (...) any shape, floating dtype.
        approximate: "none" (the exact erf form, default) or "tanh", as in
            PyTorch; no other value is valid.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: gelu(0) = 0, gelu(1) ~ 0.8413, gelu(-1) ~ -0.1587;
    tanh form: gelu(1) ~ 0.8412, gelu(-1) ~ -0.1588; gelu(1e4) = 1e4,
    gelu(-1e4) = 0.

    Pitfalls: torch.erf is allowed (torch.special.erf is not, the whole
    torch.special namespace is forbidden); torch.tanh is allowed in this
    exercise. Compute sqrt(2 / pi) and 1 / sqrt(2) with math, in full
    precision, not as rounded decimals.

    Forbidden here (besides the topic's list): torch's gelu in every spelling.
    """
    # BEGIN SOLUTION
    if approximate == "none":  # x * Phi(x), Phi the standard normal CDF
        return 0.5 * x * (1 + torch.erf(x * math.sqrt(0.5)))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + torch.tanh(inner))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    # END SOLUTION


def gelu_backward(grad_out, x, approximate="none"):
    r"""Exercise 4.10 - gradient of gelu: grad_out * gelu'(x).

    "none" (product rule on x * Phi(x)):

        gelu'(x) = Phi(x) + x * phi(x),   phi(x) = e^{-x^2 / 2} / sqrt(2 pi)

    phi is the standard normal density, the derivative of Phi.

    "tanh" (product rule on 0.5 * x * (1 + t), chain rule through u), with
    u = sqrt(2 / pi) * (x + 0.044715 * x^3) and t = tanh(u):

        gelu'(x) = 0.5 * (1 + t)
                   + 0.5 * x * (1 - t^2) * sqrt(2 / pi) * (1 + 3 * 0.044715 * x^2)

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy,
            y = gelu(x, approximate).
        x: (...) any shape, the forward input.
        approximate: "none" or "tanh", the forward's choice.

    Returns:
        dL/dx = grad_out * gelu'(x): same shape, dtype and device as x.

    Examples: gelu'(0) = 0.5 (both forms), gelu'(1) ~ 1.0833 (tanh form
    ~ 1.0830); gelu'(1e4) = 1, gelu'(-1e4) = 0.

    Numerical pitfalls: keep every factor finite. e^{-x^2 / 2} underflows to
    0 for large |x|, and x * 0 = 0 is fine; written as 1 / e^{x^2 / 2} it is
    still 0, but any factor that becomes inf turns a 0 next to it into nan.
    In the tanh form, 1 - t^2 is exactly 0 for large |x| while the last
    factor is about 1e7 at |x| = 1e4: finite, so the product is 0. Around
    |x| ~ 4-6 that last factor is about 10 and multiplies the rounding error
    of 1 - t^2, a subtraction of nearly equal numbers; 1 - t^2 = 1 / cosh(u)^2
    = 4 e^{-2|u|} / (1 + e^{-2|u|})^2 avoids it (see tanh_backward).

    Forbidden here (besides the topic's list): torch's gelu in every spelling.
    """
    # BEGIN SOLUTION
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
    # END SOLUTION


def softmax(x, dim=-1):
    r"""Exercise 4.11 - softmax along dimension dim.

        softmax(x)_i = e^{x_i} / sum_j e^{x_j}      (i, j run along dim)

    Turns a slice of scores (logits) into a probability distribution: every
    entry in (0, 1], each slice along dim sums to 1, order preserved. All
    other dimensions are batch dimensions; each slice is normalised on its
    own.

    Args:
        x: (...) any shape. A 0-dim x is a single entry (softmax gives 1);
            dim must then be 0 or -1, as in PyTorch. An empty x gives an
            empty result.
        dim: int, the dimension to normalise over; negative counts from the
            end (-1 is the last), as in PyTorch.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: softmax([1, 2, 3]) ~ [0.0900, 0.2447, 0.6652];
    softmax([1000, 1000]) = [0.5, 0.5];
    softmax([[1, 2], [3, 4]], dim=0) ~ [[0.1192, 0.1192], [0.8808, 0.8808]].

    Numerical pitfall, overflow: e^{1000} is inf even in float64, and
    inf / inf = nan. The max-subtraction trick: softmax(x) = softmax(x - c)
    for any constant c, because the factor e^{-c} cancels between numerator
    and denominator. With c = the max of the slice along dim, every exponent
    is <= 0, every e^{...} <= 1, and the sum is >= 1 (the max contributes
    e^0 = 1): no overflow, no division by 0. Take the max along dim, keeping
    the dimension (keepdim=True) so it broadcasts back against x; a single
    max over the whole tensor is not enough: in [[0, 1e4], [-1e4, -1e4]] the
    second row would underflow to 0 / 0.

    Forbidden here (besides the topic's list): softmax, log_softmax and
    logsumexp in every spelling.
    """
    # BEGIN SOLUTION
    if x.numel() == 0:  # amax cannot reduce an empty dimension
        return x.clone()
    # Shifting by the max changes nothing mathematically; exp then never overflows.
    e = torch.exp(x - x.amax(dim, keepdim=True))
    return e / e.sum(dim, keepdim=True)
    # END SOLUTION


def softmax_backward(grad_out, x, dim=-1):
    r"""Exercise 4.12 - gradient of softmax: the vector-Jacobian product.

    Within one slice along dim, with y = softmax(x), every y_i depends on
    every x_j:

        dy_i / dx_j = y_i * (delta_ij - y_j)       (delta_ij = 1 if i == j else 0)

    so the chain rule sums over all outputs i:

        dL/dx_j = sum_i grad_out_i * dy_i/dx_j = y_j * (grad_out_j - sum_i grad_out_i * y_i)

    Never build the n x n Jacobian: the right-hand side needs one sum along
    dim per slice (keepdim=True).

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy,
            y = softmax(x, dim).
        x: (...) any shape, the forward input (0-dim and empty as in softmax).
        dim: int, the forward's dimension.

    Returns:
        dL/dx: same shape, dtype and device as x.

    Examples: x = [0, 0], grad_out = [1, 0] gives [0.25, -0.25]. A grad_out
    that is constant along dim gives 0 (adding a constant to every score
    does not change softmax).

    Pitfalls: the diagonal term alone, grad_out * y * (1 - y), is wrong: it
    forgets that y_i also depends on x_j for j != i. Recompute y with the
    max trick (your own softmax is allowed), never from e^{x} directly.

    Forbidden here (besides the topic's list): softmax, log_softmax and
    logsumexp in every spelling.
    """
    # BEGIN SOLUTION
    # J = diag(y) - y y^T, so grad_out @ J = y * (grad_out - <grad_out, y>).
    y = softmax(x, dim)
    return y * (grad_out - (grad_out * y).sum(dim, keepdim=True))
    # END SOLUTION


def log_softmax(x, dim=-1):
    r"""Exercise 4.13 - log of softmax along dimension dim.

        log_softmax(x)_i = log(softmax(x)_i) = x_i - log(sum_j e^{x_j})

    Log-probabilities, what the cross-entropy loss (交叉熵) consumes. Every
    entry is <= 0, and their exponentials sum to 1 along dim.

    Args:
        x: (...) any shape (0-dim and empty as in softmax).
        dim: int, the dimension to normalise over; negative counts from the
            end, as in PyTorch.

    Returns:
        (...) same shape, dtype and device as x.

    Examples: log_softmax([1, 2, 3]) ~ [-2.4076, -1.4076, -0.4076];
    log_softmax([0, 1000]) = [-1000, 0].

    Numerical pitfall, the log of a tiny probability: taking softmax first
    and then its log fails as soon as a probability underflows to 0. For
    x = [0, 1000], softmax is [0, 1] in floating point and its log is
    [-inf, 0], not [-1000, 0]. Work with the right-hand side instead, with
    the max trick inside the log: for m = the max along dim,

        log(sum_j e^{x_j}) = m + log(sum_j e^{x_j - m})

    where the sum lies between 1 and the slice length, so its log is finite
    and accurate.

    Forbidden here (besides the topic's list): log_softmax, softmax and
    logsumexp in every spelling.
    """
    # BEGIN SOLUTION
    if x.numel() == 0:  # amax cannot reduce an empty dimension
        return x.clone()
    # z - log(sum(exp(z))) with z = x - max: the sum is >= 1, its log finite.
    z = x - x.amax(dim, keepdim=True)
    return z - torch.log(torch.exp(z).sum(dim, keepdim=True))
    # END SOLUTION


def log_softmax_backward(grad_out, x, dim=-1):
    r"""Exercise 4.14 - gradient of log_softmax: the vector-Jacobian product.

    Within one slice along dim, with y = softmax(x) = e^{log_softmax(x)}:

        d log_softmax(x)_i / dx_j = delta_ij - y_j

        dL/dx_j = sum_i grad_out_i * (delta_ij - y_j) = grad_out_j - y_j * sum_i grad_out_i

    Args:
        grad_out: same shape as x, the upstream gradient dL/dy,
            y = log_softmax(x, dim).
        x: (...) any shape, the forward input (0-dim and empty as in softmax).
        dim: int, the forward's dimension.

    Returns:
        dL/dx: same shape, dtype and device as x.

    Examples: x = [0, 0], grad_out = [1, 0] gives [0.5, -0.5];
    x = [0, 1000], grad_out = [1, 1] gives [1, -1].

    Pitfall: compute y stably, with the max trick or as the exponential of a
    stable log_softmax (your own is allowed), never from e^{x} directly.

    Forbidden here (besides the topic's list): log_softmax, softmax and
    logsumexp in every spelling.
    """
    # BEGIN SOLUTION
    # J = I - 1 y^T with y = softmax(x), so grad_out @ J = grad_out - y * sum(grad_out).
    y = torch.exp(log_softmax(x, dim))
    return grad_out - y * grad_out.sum(dim, keepdim=True)
    # END SOLUTION
