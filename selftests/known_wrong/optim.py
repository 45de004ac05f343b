"""Known-wrong learner implementations for topic 3, ``optim``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain.
"""

from __future__ import annotations

import torch

from solutions.optim import minibatches, sgd_step

from .registry import wrong

# -- gradient_descent ------------------------------------------------------------------

@wrong("optim.gradient_descent", caught_by="value", says="stacked")
def gradient_descent_returning_only_the_final_x(grad, x0, lr, steps):
    x = x0
    for _ in range(steps):
        x = x - lr * grad(x)
    return x


@wrong("optim.gradient_descent", caught_by="value", says="departs from the rule")
def gradient_descent_appending_the_same_tensor(grad, x0, lr, steps):
    x = x0.clone()
    xs = [x]
    for _ in range(steps):
        x -= lr * grad(x)
        xs.append(x)
    return torch.stack(xs)


@wrong("optim.gradient_descent", caught_by="purity", says="modified its input x0")
def gradient_descent_updating_x0_in_place(grad, x0, lr, steps):
    xs = [x0.clone()]
    for _ in range(steps):
        x0 -= lr * grad(x0)
        xs.append(x0.clone())
    return torch.stack(xs)


@wrong("optim.gradient_descent", caught_by="convergence", says="must converge")
def gradient_descent_climbing_uphill(grad, x0, lr, steps):
    xs = [x0.clone()]
    for _ in range(steps):
        xs.append(xs[-1] + lr * grad(xs[-1]))
    return torch.stack(xs)


@wrong("optim.gradient_descent", caught_by="dtype", says="torch.float32 for a torch.float64")
def gradient_descent_filling_a_float32_tensor(grad, x0, lr, steps):
    out = torch.zeros((steps + 1, *x0.shape), device=x0.device)
    out[0] = x0
    for t in range(steps):
        out[t + 1] = out[t] - lr * grad(out[t])
    return out


@wrong("optim.gradient_descent", caught_by="device", says="cuda")
def gradient_descent_filling_a_tensor_on_the_default_device(grad, x0, lr, steps):
    out = torch.zeros((steps + 1, *x0.shape), dtype=x0.dtype)
    out[0] = x0
    for t in range(steps):
        out[t + 1] = out[t] - lr * grad(out[t])
    return out


@wrong("optim.gradient_descent", caught_by="guard", says="torch.optim")
def gradient_descent_with_torch_optim(grad, x0, lr, steps):
    x = x0.clone()
    optimizer = torch.optim.SGD([x], lr=lr)
    xs = [x0.clone()]
    for _ in range(steps):
        x.grad = grad(x)
        optimizer.step()
        xs.append(x.clone())
    return torch.stack(xs)


# -- sgd_step --------------------------------------------------------------------------

@wrong("optim.sgd_step", caught_by="value", says="only rebinds")
def sgd_step_rebinding_p(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p = p - lr * g  # the mistake itself: rebinds the name p


@wrong("optim.sgd_step", caught_by="value", says="differs from p - lr * g")
def sgd_step_adding_the_gradient(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p += lr * g


@wrong("optim.sgd_step", caught_by="property", says="should return None")
def sgd_step_returning_new_tensors(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p -= lr * g
    return [p.clone() for p in params]


@wrong("optim.sgd_step", caught_by="property", says="replaced params")
def sgd_step_replacing_the_list_entries(params, grads, lr):
    for i, g in enumerate(grads):
        params[i] = params[i] - lr * g


@wrong("optim.sgd_step", caught_by="property", says="new memory")
def sgd_step_swapping_data(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p.data = p - lr * g


@wrong("optim.sgd_step", caught_by="purity", says="modified its input grads")
def sgd_step_scaling_the_gradient_in_place(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p -= g.mul_(lr)


@wrong("optim.sgd_step", caught_by="guard", says="torch.optim")
def sgd_step_with_torch_optim_sgd(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    torch.optim.SGD(params, lr=lr).step()


# -- synthetic_data --------------------------------------------------------------------

def _weights(w):
    return w if isinstance(w, torch.Tensor) else torch.tensor(w, dtype=torch.float32)


@wrong("optim.synthetic_data", caught_by="property", says="global RNG")
def synthetic_data_from_the_global_rng(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.randn(num_examples, len(w), dtype=w.dtype, device=w.device)
    return X, X @ w + b + noise * torch.randn(num_examples, dtype=w.dtype, device=w.device)


@wrong("optim.synthetic_data", caught_by="value", says="almost no spread")
def synthetic_data_forgetting_the_noise(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w + b


@wrong("optim.synthetic_data", caught_by="value", says="noise is the standard deviation")
def synthetic_data_scaling_noise_by_its_variance(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    eps = torch.randn(num_examples, generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w + b + noise**2 * eps


@wrong("optim.synthetic_data", caught_by="value", says="its mean is")
def synthetic_data_with_uniform_features(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.rand(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    eps = torch.randn(num_examples, generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w + b + noise * eps


@wrong("optim.synthetic_data", caught_by="value", says="expected (")
def synthetic_data_with_y_as_a_column(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    eps = torch.randn(num_examples, 1, generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w.reshape(-1, 1) + b + noise * eps


@wrong("optim.synthetic_data", caught_by="dtype", says="torch.float32 for a torch.float64")
def synthetic_data_always_in_float32(w, b, num_examples, noise=0.01, generator=None):
    w = torch.as_tensor(w, dtype=torch.float32)
    X = torch.randn(num_examples, len(w), generator=generator, device=w.device)
    eps = torch.randn(num_examples, generator=generator, device=w.device)
    return X, X @ w + b + noise * eps


@wrong("optim.synthetic_data", caught_by="device", says="mixes devices")
def synthetic_data_on_the_default_device(w, b, num_examples, noise=0.01, generator=None):
    w = _weights(w)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype)
    eps = torch.randn(num_examples, generator=generator, dtype=w.dtype)
    return X, X @ w + b + noise * eps


# -- minibatches -----------------------------------------------------------------------

@wrong("optim.minibatches", caught_by="value", says="never yielded")
def minibatches_dropping_the_last_partial_batch(X, y, batch_size, generator=None):
    order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X) - batch_size + 1, batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


@wrong("optim.minibatches", caught_by="value", says="not the same examples")
def minibatches_shuffling_x_and_y_separately(X, y, batch_size, generator=None):
    x_order = torch.randperm(len(X), generator=generator)
    y_order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), batch_size):
        yield X[x_order[start:start + batch_size]], y[y_order[start:start + batch_size]]


@wrong("optim.minibatches", caught_by="property", says="original order")
def minibatches_without_shuffling(X, y, batch_size, generator=None):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


@wrong("optim.minibatches", caught_by="property", says="global RNG")
def minibatches_shuffled_by_the_global_rng(X, y, batch_size, generator=None):
    order = torch.randperm(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


@wrong("optim.minibatches", caught_by="purity", says="modified its input X")
def minibatches_shuffling_x_in_place(X, y, batch_size, generator=None):
    order = torch.randperm(len(X), generator=generator)
    X[:] = X[order]
    y = y[order]
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


# -- linear_regression -----------------------------------------------------------------

def _descend(X, y, lr, epochs, batch_size, generator, step):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    for _ in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            w, b = step(X_batch, y_batch, w, b, lr)
    return w, b


@wrong("optim.linear_regression", caught_by="value", says="summed the batch's gradient")
def linear_regression_summing_the_gradient(X, y, lr=0.03, epochs=3, batch_size=10,
                                           generator=None):
    def step(X_batch, y_batch, w, b, lr):
        err = X_batch @ w + b - y_batch
        return w - lr * X_batch.T @ err, b - lr * err.sum()

    return _descend(X, y, lr, epochs, batch_size, generator, step)


@wrong("optim.linear_regression", caught_by="value", says="twice the rule's")
def linear_regression_forgetting_the_half(X, y, lr=0.03, epochs=3, batch_size=10,
                                          generator=None):
    def step(X_batch, y_batch, w, b, lr):
        err = X_batch @ w + b - y_batch
        return w - lr * 2 * X_batch.T @ err / len(y_batch), b - lr * 2 * err.mean()

    return _descend(X, y, lr, epochs, batch_size, generator, step)


@wrong("optim.linear_regression", caught_by="value", says="updated b before")
def linear_regression_updating_b_first(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
    def step(X_batch, y_batch, w, b, lr):
        b = b - lr * (X_batch @ w + b - y_batch).mean()
        return w - lr * X_batch.T @ (X_batch @ w + b - y_batch) / len(y_batch), b

    return _descend(X, y, lr, epochs, batch_size, generator, step)


@wrong("optim.linear_regression", caught_by="value", says="same batches")
def linear_regression_with_one_permutation_for_all_epochs(X, y, lr=0.03, epochs=3,
                                                          batch_size=10, generator=None):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    batches = list(minibatches(X, y, batch_size, generator))
    for _ in range(epochs):
        for X_batch, y_batch in batches:
            err = X_batch @ w + b - y_batch
            sgd_step([w, b], [X_batch.T @ err / len(y_batch), err.mean()], lr)
    return w, b


@wrong("optim.linear_regression", caught_by="value", says="original order")
def linear_regression_in_the_original_order(X, y, lr=0.03, epochs=3, batch_size=10,
                                            generator=None):
    w, b = X.new_zeros(X.shape[1]), X.new_zeros(())
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]
            err = X_batch @ w + b - y_batch
            sgd_step([w, b], [X_batch.T @ err / len(y_batch), err.mean()], lr)
    return w, b


@wrong("optim.linear_regression", caught_by="convergence", says="should recover")
def linear_regression_with_a_tiny_learning_rate(X, y, lr=0.003, epochs=3, batch_size=10,
                                                generator=None):
    from solutions.optim import linear_regression

    return linear_regression(X, y, lr, epochs, batch_size, generator)


@wrong("optim.linear_regression", caught_by="device", says="torch.zeros")
def linear_regression_starting_on_the_default_device(X, y, lr=0.03, epochs=3, batch_size=10,
                                                     generator=None):
    w, b = torch.zeros(X.shape[1], dtype=X.dtype), X.new_zeros(())
    for _ in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            err = X_batch @ w + b - y_batch
            sgd_step([w, b], [X_batch.T @ err / len(y_batch), err.mean()], lr)
    return w, b


@wrong("optim.linear_regression", caught_by="dtype", says="torch.float32 for a torch.float64")
def linear_regression_in_float32(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
    from solutions.optim import linear_regression

    w, b = linear_regression(X.float(), y.float(), lr, epochs, batch_size, generator)
    return w, b


@wrong("optim.linear_regression", caught_by="purity", says="modified its input X")
def linear_regression_centring_x_in_place(X, y, lr=0.03, epochs=3, batch_size=10,
                                          generator=None):
    from solutions.optim import linear_regression

    X -= X.mean(0)  # centred features train faster, but this is the caller's X
    return linear_regression(X, y, lr, epochs, batch_size, generator)


@wrong("optim.linear_regression", caught_by="guard", says="lstsq")
def linear_regression_by_least_squares(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
    ones = X.new_ones(len(X), 1)
    solution = torch.linalg.lstsq(torch.cat([X, ones], dim=1), y[:, None]).solution[:, 0]
    return solution[:-1], solution[-1]


@wrong("optim.linear_regression", caught_by="guard", says="autograd")
def linear_regression_with_autograd(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
    w = X.new_zeros(X.shape[1]).requires_grad_(True)
    b = X.new_zeros(()).requires_grad_(True)
    for _ in range(epochs):
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            (0.5 * (X_batch @ w + b - y_batch) ** 2).mean().backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad, b.grad = None, None
    return w.detach(), b.detach()
