"""Reference solutions for topic 5: loss functions and their gradients.

Every loss is the mean over its elements (PyTorch's ``reduction="mean"``), and
``<loss>_backward(<loss inputs>)`` returns dL/d(first input) of that scalar,
of the first input's shape. Losses never broadcast: mismatched shapes raise
``ValueError`` before any arithmetic. Constants are Python scalars, so results
keep the inputs' dtype and device.
"""

import torch

LOG_FLOOR = -100.0  # PyTorch clamps each log of binary_cross_entropy here
DENOMINATOR_FLOOR = 1e-12  # ... and p(1 - p) in its backward here


def _require_same_shape(first, target, first_name):
    if first.shape != target.shape:
        raise ValueError(
            f"{first_name} and target must have the same shape, got {tuple(first.shape)} "
            f"and {tuple(target.shape)}: a loss compares them element by element and "
            f"never broadcasts")


def mse_loss(pred, target):
    _require_same_shape(pred, target, "pred")
    return ((pred - target) ** 2).mean()


def mse_loss_backward(pred, target):
    _require_same_shape(pred, target, "pred")
    # d/dp mean((p - t)^2) = 2 (p - t) / n
    return 2 * (pred - target) / pred.numel()


def bce_loss(prob, target):
    _require_same_shape(prob, target, "prob")
    # Clamped like PyTorch: log(0) = -inf would give inf, and 0 * -inf nan.
    log_p = torch.log(prob).clamp(min=LOG_FLOOR)
    log_not_p = torch.log1p(-prob).clamp(min=LOG_FLOOR)
    return -(target * log_p + (1 - target) * log_not_p).mean()


def bce_loss_backward(prob, target):
    _require_same_shape(prob, target, "prob")
    # -t/p + (1-t)/(1-p) = (p - t) / (p (1 - p)), one denominator to keep away from 0.
    denominator = (prob * (1 - prob)).clamp(min=DENOMINATOR_FLOOR)
    return (prob - target) / denominator / prob.numel()


def _sigmoid(x):
    # exp(-|x|) lies in (0, 1]: no overflow on either side.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def bce_with_logits_loss(logits, target):
    _require_same_shape(logits, target, "logits")
    # -t log s(x) - (1-t) log(1 - s(x)) = max(x, 0) - t x + log(1 + e^{-|x|})
    return (logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))).mean()


def bce_with_logits_loss_backward(logits, target):
    _require_same_shape(logits, target, "logits")
    return (_sigmoid(logits) - target) / logits.numel()


def _require_valid_labels(logits, labels):
    if logits.dim() != 2:
        raise ValueError(f"logits must be 2-D (N, C), got shape {tuple(logits.shape)}")
    n, c = logits.shape
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), one label per row of logits, "
                         f"got shape {tuple(labels.shape)}")
    outside = (labels < 0) | (labels >= c)
    if bool(outside.any()):
        raise ValueError(f"labels must lie in [0, {c}) for {c} classes, got "
                         f"{int(labels[outside][0])}")


def _log_softmax_rows(logits):
    # Shift each row by its max: every exp(...) <= 1 and the row sum >= 1.
    z = logits - logits.amax(dim=1, keepdim=True)
    return z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))


def cross_entropy(logits, labels):
    _require_valid_labels(logits, labels)
    return -_log_softmax_rows(logits).gather(1, labels[:, None]).mean()


def cross_entropy_backward(logits, labels):
    _require_valid_labels(logits, labels)
    # d/dz of -log softmax(z)_y is softmax(z) - one_hot(y); the mean adds 1/N.
    probs = torch.exp(_log_softmax_rows(logits))
    one_hot = torch.zeros_like(logits).scatter(1, labels[:, None], 1.0)
    return (probs - one_hot) / logits.shape[0]
