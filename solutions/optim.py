"""Reference solutions for topic 3: gradient descent.

Gradients are written by hand; randomness comes only from the ``generator``
argument; new tensors take their dtype and device from the inputs.
"""

import torch


def gradient_descent(grad, x0, lr, steps):
    xs = [x0.clone()]  # a copy: the caller's x0 stays as it was
    for _ in range(steps):
        xs.append(xs[-1] - lr * grad(xs[-1]))
    return torch.stack(xs)


def sgd_step(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p -= lr * g  # in place: the caller's tensor (a model's weight) changes


def synthetic_data(w, b, num_examples, noise=0.01, generator=None):
    if not isinstance(w, torch.Tensor):
        w = torch.tensor(w, dtype=torch.float32)
    X = torch.randn(num_examples, len(w), generator=generator, dtype=w.dtype, device=w.device)
    eps = torch.randn(num_examples, generator=generator, dtype=w.dtype, device=w.device)
    return X, X @ w + b + noise * eps


def minibatches(X, y, batch_size, generator=None):
    # One fresh permutation per call, i.e. per epoch. A permutation drawn on
    # the CPU may index tensors on any device.
    order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


def linear_regression(X, y, lr=0.03, epochs=3, batch_size=10, generator=None):
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
