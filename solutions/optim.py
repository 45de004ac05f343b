r"""Topic 3 - gradient descent (梯度下降), from one step to a linear regression.

Training a model means finding parameters that make a loss small. The
gradient of the loss points in the direction of steepest increase, so a
small step against it lowers the loss:

    x_{t+1} = x_t - lr * grad f(x_t)

lr is the learning rate (学习率), the step size. Too small and progress is
slow; too large and each step overshoots the minimum by more than it started
from, and the iterates diverge (发散). On f(x) = x^2 the gradient is 2x, so
x_{t+1} = (1 - 2 lr) x_t: it converges for 0 < lr < 1 and diverges for lr > 1.

Computing the gradient over the whole data set before every step is slow.
Minibatch stochastic gradient descent (小批量随机梯度下降) shuffles the examples
once per epoch (one pass over the data), cuts them into batches, and takes
one step per batch with the gradient of that batch's mean loss.

This topic builds that loop piece by piece: 3.1 plain gradient descent,
3.2 one in-place update of a model's parameters, 3.3 a synthetic data set,
3.4 the shuffled batches of an epoch, 3.5 linear regression trained with
all of them.

Randomness: every function that draws random numbers takes a
torch.Generator and draws ONLY from it (torch.randn(..., generator=generator),
torch.randperm(n, generator=generator)), so the same generator state gives
the same result. Without generator= torch uses its global random state, and
the grader notices. generator=None means the global state, which is what
torch's functions do with generator=None anyway.

Forbidden in the whole topic: autograd (.backward(), torch.autograd.*,
torch.func.*), torch.optim.*, torch.nn.*, torch.linalg.* and closed-form
solvers (lstsq, pinverse, inverse, cholesky_solve, triangular_solve);
torch.ops.*, torch._*, .numpy(), .tolist(). Work every gradient out by
hand. Everything else is allowed, and so are your own functions from this
file.

Check your work with `pytest --exercise optim`, or one exercise at a time:
`pytest --exercise 3.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 3: gradient descent.
#
# Gradients are written by hand; randomness comes only from the ``generator``
# argument; new tensors take their dtype and device from the inputs.

import torch

# END SOLUTION
# BEGIN STUB
# import torch  # noqa: F401 - for your solutions
# END STUB


def gradient_descent(grad, x0, lr, steps):
    r"""Exercise 3.1 - plain gradient descent, keeping every iterate.

        x_0 = x0,    x_{t+1} = x_t - lr * grad(x_t)    for t = 0 .. steps-1

    Args:
        grad: a function taking a tensor x of x0's shape and returning the
            gradient of f at x, of the same shape (e.g. lambda x: 2 * x for
            f(x) = x^2). Call it once per step.
        x0: (...) the starting point, any shape (a 0-dim tensor for a
            function of one number), floating dtype.
        lr: float, the learning rate.
        steps: int >= 0, the number of updates.

    Returns:
        (steps + 1, *x0.shape): x_0, x_1, ..., x_steps stacked along a new
        first axis (torch.stack), so row t is x_t and row 0 equals x0. Same
        dtype and device as x0.

    Example: grad = lambda x: 2 * x, x0 = tensor(1.0), lr = 0.25, steps = 3
    gives [1.0, 0.5, 0.25, 0.125], since each step multiplies by 1 - 2 * 0.25.

    Pitfalls: x0 must be left as it was, so never update it in place
    (x -= ... on x = x0 changes the caller's tensor). And if you do update
    a tensor in place, the list keeps the SAME tensor object every time:
    all rows would come out equal to the last iterate.
    """
    # BEGIN SOLUTION
    xs = [x0.clone()]  # a copy: the caller's x0 stays as it was
    for _ in range(steps):
        xs.append(xs[-1] - lr * grad(xs[-1]))
    return torch.stack(xs)
    # END SOLUTION


def sgd_step(params, grads, lr):
    r"""Exercise 3.2 - one stochastic gradient descent update, in place.

        p <- p - lr * g      for every (p, g) in zip(params, grads)

    A model holds its parameters (weights, biases) as tensors and keeps
    using the same tensor objects; the optimiser must change those tensors
    themselves, not make new ones.

    Args:
        params: list of tensors (any shapes), the parameters to update.
        grads: list of tensors, grads[i] the gradient for params[i], same shape.
        lr: float, the learning rate.

    Returns:
        None. The update is visible through the caller's own tensors.

    Example: p = tensor([1.0, 2.0]), g = tensor([0.5, -1.0]), lr = 0.1:
    afterwards p is tensor([0.95, 2.1]), g unchanged.

    Pitfall: `p = p - lr * g` inside the loop only binds the local name p to
    a new tensor; the caller's tensor stays as it was. An in-place operation
    (p -= ..., p.sub_(...), p.copy_(...)) changes the tensor itself. Do not
    write into the gradients, and do not replace p.data.
    """
    # BEGIN SOLUTION
    for p, g in zip(params, grads, strict=True):
        p -= lr * g  # in place: the caller's tensor (a model's weight) changes
    # END SOLUTION


def synthetic_data(w, b, num_examples, noise=0.01, generator=None):
    r"""Exercise 3.3 - a data set from a known linear model, plus noise.

        X ~ N(0, 1)                        (num_examples, len(w))
        y = X @ w + b + eps,  eps ~ N(0, noise^2)     (num_examples,)

    Because the true w and b are known, a regression trained on this data
    can be checked: it should recover them (exercise 3.5).

    Args:
        w: the true weights, a list of floats or a 1-D tensor of length d.
        b: float, the true bias.
        num_examples: int, the number of rows n.
        noise: float, the standard deviation of eps (not its variance).
        generator: torch.Generator or None; every random number comes from it.

    Returns:
        (X, y): X (n, d), y (n,). dtype and device: those of w when w is a
        tensor; float32 on the CPU when w is a list.

    Example: synthetic_data([2, -3.4], 4.2, 1000) gives X of shape (1000, 2)
    with mean ~0 and std ~1, and y - (X @ [2, -3.4] + 4.2) of std ~0.01.

    Pitfalls: torch.randn draws from N(0, 1); torch.rand is uniform on [0, 1).
    Scale N(0, 1) noise by noise, not noise^2. Pass generator= to every draw.
    torch.tensor([2, -3.4]) without dtype= is float32, but torch.tensor([2, 3])
    is int64: give the dtype.
    """
    # BEGIN SOLUTION
    if not isinstance(w, torch.Tensor):
        w = torch.tensor(w, dtype=torch.float32)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    eps = torch.randn(num_examples, generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w + b + noise * eps
    # END SOLUTION


def minibatches(X, y, batch_size, generator=None):
    r"""Exercise 3.4 - one epoch of shuffled minibatches.

    Draw a random permutation of the n example indices from the generator
    (torch.randperm), then yield the examples in that order, batch_size at a
    time. The last batch holds what is left and may be smaller. Each call
    is one epoch and draws a new permutation.

    Args:
        X: (n, ...) features, y: (n, ...) targets; row i of both is example i.
        batch_size: int >= 1 (it may exceed n: then one batch of n).
        generator: torch.Generator or None, the source of the permutation.

    Returns:
        An iterator of (X_batch, y_batch) pairs (write it as a generator
        function, with yield). X_batch and y_batch hold the same examples,
        in the same order. Over one call every example appears exactly once.

    Example: n = 10, batch_size = 4 gives batches of 4, 4 and 2 examples,
    e.g. indices [7, 2, 9, 0], [5, 1, 8, 3], [6, 4].

    Pitfalls: do not drop the last, smaller batch; index X and y with the
    SAME indices; shuffle indices, not X itself (never reorder X in place).
    A permutation drawn on the CPU can index tensors on any device.
    """
    # BEGIN SOLUTION
    # One fresh permutation per call, i.e. per epoch. A permutation drawn on
    # the CPU may index tensors on any device.
    order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]
    # END SOLUTION


def linear_regression(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
    r"""Exercise 3.5 - linear regression (线性回归) trained by minibatch SGD.

    Model and loss on a batch of m examples (the ½ makes the gradient neat):

        y_hat = X_batch @ w + b
        L(w, b) = mean(½ (y_hat - y_batch)^2)

    Work out dL/dw (shape (d,)) and dL/db (a 0-dim tensor) by hand; both
    are means over the batch's m examples.

    Recipe: w = 0 (shape (d,)) and b = 0 (0-dim), in X's dtype and device.
    For each of `epochs` epochs, call your minibatches(X, y, batch_size,
    generator) and, for each batch, compute both gradients from the SAME
    prediction y_hat, then update w and b with your sgd_step. The grader
    replays this recipe with your minibatches and the same generator state
    and compares w and b with what it gets.

    Args:
        X: (n, d) features, y: (n,) targets, floating.
        lr, epochs, batch_size: the learning rate, passes over the data and
            examples per step.
        generator: torch.Generator or None, passed on to minibatches.

    Returns:
        (w, b): w (d,), b 0-dim, in X's dtype and on X's device.

    Example: on X, y = synthetic_data([2, -3.4], 4.2, 1000) the defaults
    recover w ~ [2, -3.4] and b ~ 4.2 within 0.05.

    Pitfalls: summing the batch's gradient instead of averaging it, or
    dropping the ½ (the gradient doubles), still lands near the answer with
    these defaults, and is still wrong: the grader checks the steps
    themselves. Compute both gradients from the same y_hat before updating
    either parameter, and shuffle anew every epoch.
    """
    # BEGIN SOLUTION
    w = X.new_zeros(X.shape[1])
    b = X.new_zeros(())
    for _ in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            # loss = mean(½ err²), err = X_batch @ w + b - y_batch:
            # d loss / dw = X_batch^T err / n,  d loss / db = mean(err).
            err = X_batch @ w + b - y_batch
            grad_w = X_batch.T @ err / len(y_batch)
            grad_b = err.mean()
            sgd_step([w, b], [grad_w, grad_b], lr)
    return w, b
    # END SOLUTION
