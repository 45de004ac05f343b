r"""Topic 6 - backpropagation (反向传播) through a network.

A network is a chain of modules, y = f_3(f_2(f_1(x))). Training needs the
gradient of a scalar loss L with respect to every parameter, and the chain
rule (链式法则) delivers it module by module, from the loss back to the input:

    forward:   h1 = f1.forward(x),  h2 = f2.forward(h1),  y = f3.forward(h2)
    backward:  g2 = f3.backward(dL/dy),  g1 = f2.backward(g2),  gx = f1.backward(g1)

Each module only knows its own local rule: given grad_out = dL/d(its output)
it returns dL/d(its input), and on the way stores dL/d(its parameters). To
do so it needs values from its forward pass (the input x), so forward keeps
them: which is why forward must run before backward (前向传播 before 反向传播).

The protocol every module here follows (a tiny nn.Module without autograd):

    module.forward(x)          output; keeps what backward needs
    module.backward(grad_out)  dL/dx, of x's shape; stores the parameter gradients
    module.parameters()        list of parameter tensors (the module's own tensors)
    module.grads()             list of their gradients, same order and shapes

Shapes, as in PyTorch: a batch of N examples with `in` features each is a
matrix x of shape (N, in); nn.Linear(in, out) holds weight (out, in) and
bias (out,) and maps it to (N, out). Getting these shapes right is most of
the work: nn.Linear(10, 5) followed by nn.Linear(8, 3) fails with
"mat1 and mat2 shapes cannot be multiplied (4x5 and 8x3)" for N = 4.

Rules for the whole topic:
- No autograd (.backward(), torch.autograd.*), nothing from torch.nn
  (torch.nn.Linear, torch.nn.init, torch.nn.functional.*), no addmm;
  torch.ops.*, torch._*, .numpy(), .tolist() are forbidden as everywhere.
  The matrix product `@` (torch.matmul) is allowed here.
- The activation modules Sigmoid, Tanh and ReLU must use your own functions
  from topic 4, imported below; until those are done, the modules are
  reported as "blocked by 4.x".
- Never modify inputs or parameters in forward or backward (backward
  computes gradients; updating the parameters is the optimiser's job).

Check your work with `pytest --exercise layers`, or one exercise at a time:
`pytest --exercise 6.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 6: backpropagation through a network.
#
# ``linear`` / ``linear_backward`` are the maths; the classes are modules with
# one protocol: ``forward(x)`` keeps what ``backward`` needs, ``backward(grad_out)``
# returns dL/dx and stores the parameters' gradients (overwriting),
# ``parameters()`` and ``grads()`` list them in matching order. The activation
# modules use this submission's own activations.

import math

import torch

from .activations import relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward

# END SOLUTION
# BEGIN STUB
# import math  # noqa: F401 - for your solutions
#
# import torch  # noqa: F401 - for your solutions
#
# from .activations import (  # noqa: F401 - your own activations, for the modules below
#     relu,
#     relu_backward,
#     sigmoid,
#     sigmoid_backward,
#     tanh,
#     tanh_backward,
# )
# END STUB


# BEGIN SOLUTION
def _require_multipliable(x, weight):
    if x.dim() != 2 or weight.dim() != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            "mat1 and mat2 shapes cannot be multiplied "
            f"({'x'.join(map(str, x.shape))} and {'x'.join(map(str, weight.T.shape))})")
# END SOLUTION


def linear(x, weight, bias=None):
    r"""Exercise 6.1 - the fully connected (linear) layer (全连接层), as nn.Linear.

        y = x @ weight^T + bias          y[n, o] = sum_i x[n, i] * weight[o, i] + bias[o]

    Each of the `out` outputs is a weighted sum of all `in` inputs plus its
    own bias; the bias (out,) broadcasts over the N rows.

    Args:
        x: (N, in) floating dtype: N examples, `in` features each.
        weight: (out, in), x's dtype and device. Note the order: one row per
            output, as nn.Linear stores it, hence the transpose.
        bias: (out,) or None (then no bias is added).

    Returns:
        (N, out), x's dtype and device.

    Raises:
        ValueError: when x's second size differs from weight's second size,
            with exactly PyTorch's message for x @ weight.T, e.g. for x of
            shape (4, 10) and weight of shape (5, 8):
            "mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)"
            (the sizes of x and of weight.T, in that order).

    Example: x = [[1, 2]], weight = [[1, 0], [1, 1], [0, -1]], bias = [0, 0, 1]
    gives [[1, 3, -1]].

    Forbidden (the topic's list): torch.nn.functional.linear, torch.addmm,
    torch.nn.Linear, ...
    """
    # BEGIN SOLUTION
    _require_multipliable(x, weight)
    out = x @ weight.T
    return out if bias is None else out + bias
    # END SOLUTION


def linear_backward(grad_out, x, weight, bias=None):
    r"""Exercise 6.2 - gradients of the linear layer.

    With y = x @ weight^T + bias and grad_out = dL/dy of shape (N, out):

        dL/dx      = grad_out @ weight          (N, out) @ (out, in)  -> (N, in)
        dL/dweight = grad_out^T @ x             (out, N) @ (N, in)    -> (out, in)
        dL/dbias   = sum of grad_out over the batch (rows)             -> (out,)

    A way to remember them: every gradient has exactly the shape of what it
    is the gradient of, and there is only one way to multiply grad_out with
    the other factor to get that shape. The bias was added to every row, so
    its gradient collects the contribution of every row.

    Args:
        grad_out: (N, out) the upstream gradient dL/dy.
        x: (N, in) the forward input.
        weight: (out, in).
        bias: (out,) or None, as given to the forward.

    Returns:
        (grad_x, grad_weight, grad_bias): of the shapes of x, weight and bias
        exactly, x's dtype and device; grad_bias is None when bias is None.

    Example: x = [[1, 2], [3, 4]], weight = [[1, 1]], bias = [0],
    grad_out = [[1], [2]] gives grad_x = [[1, 1], [2, 2]],
    grad_weight = [[7, 10]], grad_bias = [3].

    Pitfalls: grad_bias = grad_out (shape (N, out)) is the missing batch
    reduction; grad_weight of shape (in, out) is transposed. Autograd would
    hide both mistakes by summing or complaining for you; here the shapes are
    compared exactly.
    """
    # BEGIN SOLUTION
    # y = x W^T + b:  dx = g W,  dW = g^T x,  db = sum of g over the batch.
    grad_x = grad_out @ weight
    grad_weight = grad_out.T @ x
    grad_bias = None if bias is None else grad_out.sum(dim=0)
    return grad_x, grad_weight, grad_bias
    # END SOLUTION


# BEGIN SOLUTION
def _uniform(shape, bound, generator):
    """float32 entries uniform in [-bound, bound), all drawn from ``generator``."""
    return (torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1) * bound
# END SOLUTION


class Linear:
    r"""Exercise 6.3 - a linear layer module holding its parameters, as nn.Linear.

    Linear(in_features, out_features, bias=True, generator=None)

    Attributes:
        weight: (out_features, in_features) float32.
        bias: (out_features,) float32, or None when bias=False.

    Initialisation, as nn.Linear: every entry of weight and bias is drawn
    uniformly from [-k, k] with k = 1 / sqrt(in_features). Random but small,
    and smaller for wider inputs, so that y = x @ weight^T sums `in` terms
    without growing with `in`. Not zeros: with equal weights every output
    unit would compute, and learn, the same thing. All randomness comes from
    `generator` (a torch.Generator; pass generator=generator to torch.rand),
    so the same generator state gives the same parameters; None means
    torch's global generator.

    Example: Linear(4, 3).weight has shape (3, 4), entries in [-0.5, 0.5].

    Use linear and linear_backward. Forbidden: torch.nn.init.*, torch.nn.Linear.
    """

    def __init__(self, in_features, out_features, bias=True, generator=None):
        """Create weight and bias as above; grads() is zeros until the first backward."""
        # BEGIN SOLUTION
        bound = 1 / math.sqrt(in_features)  # nn.Linear's bound: variance 1 / (3 in)
        self.weight = _uniform((out_features, in_features), bound, generator)
        self.bias = _uniform((out_features,), bound, generator) if bias else None
        self.grad_weight = torch.zeros_like(self.weight)
        self.grad_bias = None if self.bias is None else torch.zeros_like(self.bias)
        self.x = None
        # END SOLUTION

    def forward(self, x):
        """x (N, in_features) -> (N, out_features); keep x for backward."""
        # BEGIN SOLUTION
        self.x = x
        return linear(x, self.weight, self.bias)
        # END SOLUTION

    def backward(self, grad_out):
        """grad_out (N, out_features) -> dL/dx (N, in_features).

        Stores grad_weight and grad_bias (None without bias), replacing those
        of any earlier backward: each backward describes one forward, it does
        not add to the last one. Uses the x of the latest forward.
        """
        # BEGIN SOLUTION
        grad_x, self.grad_weight, self.grad_bias = linear_backward(
            grad_out, self.x, self.weight, self.bias)
        return grad_x
        # END SOLUTION

    def parameters(self):
        """[weight, bias], or [weight] without bias: the module's own tensors, not copies."""
        # BEGIN SOLUTION
        return [self.weight] if self.bias is None else [self.weight, self.bias]
        # END SOLUTION

    def grads(self):
        """[grad_weight, grad_bias] (or [grad_weight]), matching parameters().

        Before the first backward: zeros of the parameters' shapes and dtype.
        """
        # BEGIN SOLUTION
        return [self.grad_weight] if self.bias is None else [self.grad_weight, self.grad_bias]
        # END SOLUTION


class Sigmoid:
    r"""Exercise 6.4 - the sigmoid activation as a module.

    forward(x) = sigmoid(x); backward(grad_out) = sigmoid_backward(grad_out, x),
    with x the input of the latest forward. No parameters: parameters() and
    grads() are empty lists. Use your own sigmoid and sigmoid_backward from
    activations (imported at the top of this file).

    Pitfall: sigmoid_backward takes the forward's input x, not its output.
    """

    def __init__(self):
        # BEGIN SOLUTION
        self.x = None
        # END SOLUTION

    def forward(self, x):
        """Any shape -> same shape; keep what backward needs."""
        # BEGIN SOLUTION
        self.x = x
        return sigmoid(x)
        # END SOLUTION

    def backward(self, grad_out):
        """grad_out of the output's shape -> dL/dx."""
        # BEGIN SOLUTION
        return sigmoid_backward(grad_out, self.x)
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION

    def grads(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION


class Tanh:
    r"""Exercise 6.5 - the tanh activation as a module.

    forward(x) = tanh(x); backward(grad_out) = tanh_backward(grad_out, x), with
    x the input of the latest forward. No parameters. Use your own tanh and
    tanh_backward from activations.
    """

    def __init__(self):
        # BEGIN SOLUTION
        self.x = None
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        self.x = x
        return tanh(x)
        # END SOLUTION

    def backward(self, grad_out):
        # BEGIN SOLUTION
        return tanh_backward(grad_out, self.x)
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION

    def grads(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION


class ReLU:
    r"""Exercise 6.6 - the relu activation as a module.

    forward(x) = relu(x); backward(grad_out) = relu_backward(grad_out, x), with
    x the input of the latest forward. No parameters. Use your own relu and
    relu_backward from activations.

    Pitfall: keep the cache on the instance (self.x = x). A class attribute
    (ReLU.x = x) is shared by every ReLU in the network, so the first layer's
    backward would use the last layer's input.
    """

    def __init__(self):
        # BEGIN SOLUTION
        self.x = None
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        self.x = x
        return relu(x)
        # END SOLUTION

    def backward(self, grad_out):
        # BEGIN SOLUTION
        return relu_backward(grad_out, self.x)
        # END SOLUTION

    def parameters(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION

    def grads(self):
        # BEGIN SOLUTION
        return []
        # END SOLUTION


class Sequential:
    r"""Exercise 6.7 - a chain of modules, as nn.Sequential.

    Sequential(*modules), e.g.
    Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8)) maps (N, 10) to (N, 8),
    like nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 8)).

    It works with any objects that follow the module protocol (forward,
    backward, parameters, grads), not only the ones of this file.
    """

    def __init__(self, *modules):
        # BEGIN SOLUTION
        self.modules = list(modules)
        # END SOLUTION

    def forward(self, x):
        """Feed x through the modules in order; return the last output."""
        # BEGIN SOLUTION
        for module in self.modules:
            x = module.forward(x)
        return x
        # END SOLUTION

    def backward(self, grad_out):
        """Run the modules' backward in reverse order, each receiving the gradient
        the next one returned; return dL/dx for the Sequential's input."""
        # BEGIN SOLUTION
        # The chain rule runs from the loss back to the input: last module first.
        for module in reversed(self.modules):
            grad_out = module.backward(grad_out)
        return grad_out
        # END SOLUTION

    def parameters(self):
        """Every module's parameters(), concatenated in module order."""
        # BEGIN SOLUTION
        return [p for module in self.modules for p in module.parameters()]
        # END SOLUTION

    def grads(self):
        """Every module's grads(), concatenated in the same order as parameters()."""
        # BEGIN SOLUTION
        return [g for module in self.modules for g in module.grads()]
        # END SOLUTION
