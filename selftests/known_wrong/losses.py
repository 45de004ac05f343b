"""Known-wrong learner implementations for topic 5, ``losses``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain.
"""

from __future__ import annotations

import torch

from solutions.losses import _log_softmax_rows, _require_same_shape, _require_valid_labels

from .registry import wrong

# -- mse_loss -----------------------------------------------------------------------

@wrong("losses.mse_loss", caught_by="value", says="differs from torch.nn.functional.mse_loss")
def mse_loss_summing_instead_of_averaging(pred, target):
    _require_same_shape(pred, target, "pred")
    return ((pred - target) ** 2).sum()


@wrong("losses.mse_loss", caught_by="errors", says="should raise ValueError")
def mse_loss_letting_pred_broadcast_against_target(pred, target):
    return ((pred - target) ** 2).mean()


@wrong("losses.mse_loss", caught_by="guard", says="mse_loss")
def mse_loss_calling_functional(pred, target):
    _require_same_shape(pred, target, "pred")
    return torch.nn.functional.mse_loss(pred, target)


# -- mse_loss_backward ------------------------------------------------------------------

@wrong("losses.mse_loss_backward", caught_by="grad", says="factor of 1/2")
def mse_loss_backward_missing_the_two(pred, target):
    _require_same_shape(pred, target, "pred")
    return (pred - target) / pred.numel()


@wrong("losses.mse_loss_backward", caught_by="grad", says="mean vs sum")
def mse_loss_backward_missing_the_mean(pred, target):
    _require_same_shape(pred, target, "pred")
    return 2 * (pred - target)


@wrong("losses.mse_loss_backward", caught_by="grad", says="sign")
def mse_loss_backward_subtracting_the_wrong_way(pred, target):
    _require_same_shape(pred, target, "pred")
    return 2 * (target - pred) / pred.numel()


@wrong("losses.mse_loss_backward", caught_by="purity", says="modified its input pred")
def mse_loss_backward_subtracting_in_place(pred, target):
    _require_same_shape(pred, target, "pred")
    difference = pred
    difference -= target  # an alias, not a copy: this changes the caller's pred
    return 2 * difference / pred.numel()


# -- bce_loss -----------------------------------------------------------------------------

@wrong("losses.bce_loss", caught_by="stability", says="not finite")
def bce_loss_without_clamping_the_logs(prob, target):
    _require_same_shape(prob, target, "prob")
    return -(target * torch.log(prob) + (1 - target) * torch.log(1 - prob)).mean()


@wrong("losses.bce_loss", caught_by="guard", says="BCELoss")
def bce_loss_through_the_loss_class(prob, target):
    _require_same_shape(prob, target, "prob")
    return torch.nn.BCELoss()(prob, target)


# -- bce_loss_backward --------------------------------------------------------------------

@wrong("losses.bce_loss_backward", caught_by="stability", says="not finite")
def bce_loss_backward_as_two_unclamped_fractions(prob, target):
    _require_same_shape(prob, target, "prob")
    return (-target / prob + (1 - target) / (1 - prob)) / prob.numel()


@wrong("losses.bce_loss_backward", caught_by="grad", says="mean vs sum")
def bce_loss_backward_missing_the_mean(prob, target):
    _require_same_shape(prob, target, "prob")
    return (prob - target) / (prob * (1 - prob)).clamp(min=1e-12)


# -- bce_with_logits_loss -------------------------------------------------------------------

def _sigmoid_by_the_textbook(x):
    return 1 / (1 + torch.exp(-x))


@wrong("losses.bce_with_logits_loss", caught_by="stability", says="not finite")
def bce_with_logits_loss_through_the_log_of_sigmoid(logits, target):
    _require_same_shape(logits, target, "logits")
    s = _sigmoid_by_the_textbook(logits)
    return -(target * torch.log(s) + (1 - target) * torch.log(1 - s)).mean()


@wrong("losses.bce_with_logits_loss", caught_by="property", says="bce_with_logits_loss(-x, 1 - t)")
def bce_with_logits_loss_dropping_the_max(logits, target):
    _require_same_shape(logits, target, "logits")
    return (-target * logits + torch.log1p(torch.exp(-logits.abs()))).mean()


@wrong("losses.bce_with_logits_loss", caught_by="guard", says="softplus")
def bce_with_logits_loss_through_softplus(logits, target):
    _require_same_shape(logits, target, "logits")
    return (torch.nn.functional.softplus(logits) - target * logits).mean()


# -- bce_with_logits_loss_backward ----------------------------------------------------------

@wrong("losses.bce_with_logits_loss_backward", caught_by="guard", says="torch.sigmoid")
def bce_with_logits_loss_backward_calling_torch_sigmoid(logits, target):
    _require_same_shape(logits, target, "logits")
    return (torch.sigmoid(logits) - target) / logits.numel()


@wrong("losses.bce_with_logits_loss_backward", caught_by="stability", says="not finite")
def bce_with_logits_loss_backward_with_exp_over_one_plus_exp(logits, target):
    _require_same_shape(logits, target, "logits")
    e = torch.exp(logits)
    return (e / (1 + e) - target) / logits.numel()


@wrong("losses.bce_with_logits_loss_backward", caught_by="grad", says="sign")
def bce_with_logits_loss_backward_target_minus_prediction(logits, target):
    _require_same_shape(logits, target, "logits")
    e = torch.exp(-logits.abs())
    s = torch.where(logits >= 0, 1 / (1 + e), e / (1 + e))
    return (target - s) / logits.numel()


# -- cross_entropy --------------------------------------------------------------------------

@wrong("losses.cross_entropy", caught_by="stability", says="not finite")
def cross_entropy_without_subtracting_the_max(logits, labels):
    _require_valid_labels(logits, labels)
    log_probs = logits - torch.log(torch.exp(logits).sum(dim=1, keepdim=True))
    return -log_probs.gather(1, labels[:, None]).mean()


@wrong("losses.cross_entropy", caught_by="value",
       says="differs from torch.nn.functional.cross_entropy")
def cross_entropy_summing_over_the_batch(logits, labels):
    _require_valid_labels(logits, labels)
    return -_log_softmax_rows(logits).gather(1, labels[:, None]).sum()


@wrong("losses.cross_entropy", caught_by="purity", says="modified its input logits")
def cross_entropy_shifting_the_logits_in_place(logits, labels):
    _require_valid_labels(logits, labels)
    logits -= logits.amax(dim=1, keepdim=True)
    log_probs = logits - torch.log(torch.exp(logits).sum(dim=1, keepdim=True))
    return -log_probs.gather(1, labels[:, None]).mean()


@wrong("losses.cross_entropy", caught_by="errors", says="should raise ValueError")
def cross_entropy_trusting_the_labels(logits, labels):
    picked = _log_softmax_rows(logits)[torch.arange(len(labels)), labels]
    return -picked.mean()


@wrong("losses.cross_entropy", caught_by="guard", says="log_softmax")
def cross_entropy_calling_log_softmax(logits, labels):
    _require_valid_labels(logits, labels)
    return -torch.log_softmax(logits, dim=1).gather(1, labels[:, None]).mean()


@wrong("losses.cross_entropy", caught_by="dtype", says="not a torch.Tensor")
def cross_entropy_returning_a_python_float(logits, labels):
    _require_valid_labels(logits, labels)
    return -_log_softmax_rows(logits).gather(1, labels[:, None]).mean().item()  # to print it


# -- cross_entropy_backward ------------------------------------------------------------------

def _one_hot(logits, labels):
    return torch.zeros_like(logits).scatter(1, labels[:, None], 1.0)


@wrong("losses.cross_entropy_backward", caught_by="grad", says="mean vs sum")
def cross_entropy_backward_forgetting_one_over_n(logits, labels):
    _require_valid_labels(logits, labels)
    return torch.exp(_log_softmax_rows(logits)) - _one_hot(logits, labels)


@wrong("losses.cross_entropy_backward", caught_by="property", says="sums to 0")
def cross_entropy_backward_forgetting_the_one_hot(logits, labels):
    _require_valid_labels(logits, labels)
    return torch.exp(_log_softmax_rows(logits)) / logits.shape[0]


@wrong("losses.cross_entropy_backward", caught_by="stability", says="not finite")
def cross_entropy_backward_with_softmax_from_raw_exp(logits, labels):
    _require_valid_labels(logits, labels)
    e = torch.exp(logits)
    return (e / e.sum(dim=1, keepdim=True) - _one_hot(logits, labels)) / logits.shape[0]


@wrong("losses.cross_entropy_backward", caught_by="device", says="cuda")
def cross_entropy_backward_with_one_hot_on_the_default_device(logits, labels):
    _require_valid_labels(logits, labels)
    n, c = logits.shape
    one_hot = torch.zeros(n, c, dtype=logits.dtype)
    one_hot[torch.arange(n), labels] = 1.0
    return (torch.exp(_log_softmax_rows(logits)) - one_hot) / n
