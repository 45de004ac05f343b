r"""Topic 5 - loss functions (损失函数) and their gradients.

A loss turns "how wrong is the model" into one number L, and training is
gradient descent on it. Gradient descent needs dL/d(prediction), so a loss
must be differentiable: accuracy, precision or recall count right answers and
are flat almost everywhere, which is why they are evaluation metrics
(评测指标) and not losses.

Every exercise here comes as a pair:

    L      = loss(input, target)              a 0-dim tensor
    grad   = loss_backward(input, target)     dL/d(input), of input's shape

Unlike the activations' backwards there is no grad_out argument: a loss is
where backpropagation starts, and dL/dL = 1. (A caller with an upstream
factor g multiplies: g * loss_backward(...).)

Rules for the whole topic:
- Mean reduction, like PyTorch's default reduction="mean": the loss is the
  average over all elements (over the N rows for cross_entropy), so its
  gradient carries a factor 1/n. Forgetting it, or dividing by the wrong
  count, is the most common mistake here.
- No broadcasting: input and target must have exactly the same shape, else
  raise ValueError with a message that names both shapes. (pred of shape
  (N, 1) against target of shape (N,) would silently broadcast to (N, N)
  and give a wrong loss without any error: check the shapes yourself.)
- Results keep the input's dtype (float32, float64) and device (CPU or GPU);
  build new tensors from the inputs (torch.zeros_like(x), x.new_zeros(...)).
- Never modify the inputs (no logits -= ..., no prob.clamp_(...)).
- Numerical stability is graded: bce_loss must be finite for probabilities
  exactly 0 and 1; bce_with_logits_loss and cross_entropy for float32 logits
  with |x| up to 1e4. In float32, exp(x) overflows to inf above ~88.7 and
  log(0) = -inf; inf - inf, 0 * inf and inf / inf are nan.
- Forbidden in every exercise of the topic: torch.nn.functional.*, the loss
  classes torch.nn.*Loss, torch.special.*, and torch's sigmoid, logsigmoid,
  softmax, log_softmax, logsumexp in every spelling; autograd (.backward(),
  torch.autograd.*), torch.ops.*, torch._*, .numpy(), .tolist(). Allowed:
  torch.exp, torch.log, torch.log1p, clamp, amax, sum, mean, where, gather,
  scatter, ... and your own functions from this file or from activations
  (from .activations import log_softmax).

Check your work with `pytest --exercise losses`, or one exercise at a time:
`pytest --exercise 5.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 5: loss functions and their gradients.
#
# Every loss is the mean over its elements (PyTorch's ``reduction="mean"``), and
# ``<loss>_backward(<loss inputs>)`` returns dL/d(first input) of that scalar,
# of the first input's shape. Losses never broadcast: mismatched shapes raise
# ``ValueError`` before any arithmetic. Constants are Python scalars, so results
# keep the inputs' dtype and device.

import torch

LOG_FLOOR = -100.0  # PyTorch clamps each log of binary_cross_entropy here
DENOMINATOR_FLOOR = 1e-12  # ... and p(1 - p) in its backward here

# END SOLUTION
# BEGIN STUB
# import math  # noqa: F401 - for your solutions
#
# import torch  # noqa: F401 - for your solutions
# END STUB


# BEGIN SOLUTION
def _require_same_shape(first, target, first_name):
    if first.shape != target.shape:
        raise ValueError(
            f"{first_name} and target must have the same shape, got {tuple(first.shape)} "
            f"and {tuple(target.shape)}: a loss compares them element by element and "
            f"never broadcasts")
# END SOLUTION


def mse_loss(pred, target):
    r"""Exercise 5.1 - mean squared error (均方误差).

        L = (1/n) * sum_i (pred_i - target_i)^2      n = number of elements

    The loss of regression: it punishes a prediction by the square of its
    distance to the target, so large errors dominate. Minimising it is
    maximum likelihood under Gaussian noise.

    Args:
        pred: (...) any shape, floating dtype: the predictions.
        target: exactly pred's shape and dtype: the true values.

    Returns:
        0-dim tensor of pred's dtype and device.

    Raises:
        ValueError: when pred.shape != target.shape (no broadcasting).

    Examples: mse_loss([1, 2, 3], [1, 2, 5]) = 4 / 3 ~ 1.3333;
    mse_loss(x, x) = 0.

    Pitfall: the mean, not the sum; n counts every element of every
    dimension, not only the rows.

    Forbidden (the topic's list): e.g. torch.nn.functional.mse_loss,
    torch.nn.MSELoss.
    """
    # BEGIN SOLUTION
    _require_same_shape(pred, target, "pred")
    return ((pred - target) ** 2).mean()
    # END SOLUTION


def mse_loss_backward(pred, target):
    r"""Exercise 5.2 - gradient of the mean squared error with respect to pred.

        dL/dpred_i = 2 * (pred_i - target_i) / n

    Two factors come from the loss's definition and are easy to lose: the 2
    from differentiating the square, and the 1/n from the mean.

    Args:
        pred: (...) any shape, floating dtype.
        target: exactly pred's shape and dtype.

    Returns:
        dL/dpred: pred's shape, dtype and device.

    Raises:
        ValueError: when pred.shape != target.shape (no broadcasting).

    Example: pred = [1, 2, 3], target = [1, 2, 5] gives [0, 0, -4/3].

    Forbidden (the topic's list): e.g. torch.nn.functional.mse_loss.
    """
    # BEGIN SOLUTION
    _require_same_shape(pred, target, "pred")
    # d/dp mean((p - t)^2) = 2 (p - t) / n
    return 2 * (pred - target) / pred.numel()
    # END SOLUTION


def bce_loss(prob, target):
    r"""Exercise 5.3 - binary cross-entropy (二元交叉熵) on probabilities.

        L = -(1/n) * sum_i [ t_i * log(p_i) + (1 - t_i) * log(1 - p_i) ]

    The loss of yes/no classification: p_i in [0, 1] is the predicted
    probability of "yes" (typically a sigmoid output), t_i the target, 0 or
    1 (or a soft target in between). A confident wrong answer costs a lot:
    p = 0.01 for a true "yes" costs -log(0.01) ~ 4.6.

    Args:
        prob: (...) any shape, floating dtype, values in [0, 1].
        target: exactly prob's shape and dtype, values in [0, 1].

    Returns:
        0-dim tensor of prob's dtype and device.

    Raises:
        ValueError: when prob.shape != target.shape (no broadcasting).

    Examples: bce_loss([0.5], [1]) = log 2 ~ 0.6931;
    bce_loss([0.9, 0.2], [1, 0]) ~ 0.1643; bce_loss([0.0], [1]) = 100.

    Numerical pitfall: at p = 0 (or 1) a log is -inf, the loss inf, and
    0 * -inf = nan even for the term whose target weight is 0. PyTorch
    clamps each log at >= -100 (so log(0) counts as -100), and so does this
    exercise: both results must then be finite. Near 1, torch.log1p(-p)
    computes log(1 - p) more accurately than torch.log(1 - p).

    Forbidden (the topic's list): e.g. torch.nn.functional.binary_cross_entropy,
    torch.nn.BCELoss.
    """
    # BEGIN SOLUTION
    _require_same_shape(prob, target, "prob")
    # Clamped like PyTorch: log(0) = -inf would give inf, and 0 * -inf nan.
    log_p = torch.log(prob).clamp(min=LOG_FLOOR)
    log_not_p = torch.log1p(-prob).clamp(min=LOG_FLOOR)
    return -(target * log_p + (1 - target) * log_not_p).mean()
    # END SOLUTION


def bce_loss_backward(prob, target):
    r"""Exercise 5.4 - gradient of binary cross-entropy with respect to prob.

        dL/dp_i = (1/n) * ( -t_i / p_i + (1 - t_i) / (1 - p_i) )
                = (1/n) * (p_i - t_i) / (p_i * (1 - p_i))

    Args:
        prob: (...) any shape, floating dtype, values in [0, 1].
        target: exactly prob's shape and dtype, values in [0, 1].

    Returns:
        dL/dprob: prob's shape, dtype and device.

    Raises:
        ValueError: when prob.shape != target.shape (no broadcasting).

    Examples: prob = [0.5], target = [1] gives [-2];
    prob = [0.0], target = [1] gives [-1e12] (the clamp below).

    Numerical pitfall: at p = 0 or 1 the first form divides by zero
    (0 / 0 = nan where p = t). PyTorch uses the second form and clamps the
    denominator p (1 - p) at >= 1e-12, and so does this exercise: the result
    is then finite, if huge, for every p in [0, 1]. (Clamping each fraction's
    denominator instead is not the same: at p = t = 1 it gives -1/n where
    PyTorch's form gives 0.)

    Forbidden (the topic's list): e.g. torch.nn.functional.binary_cross_entropy.
    """
    # BEGIN SOLUTION
    _require_same_shape(prob, target, "prob")
    # -t/p + (1-t)/(1-p) = (p - t) / (p (1 - p)), one denominator to keep away from 0.
    denominator = (prob * (1 - prob)).clamp(min=DENOMINATOR_FLOOR)
    return (prob - target) / denominator / prob.numel()
    # END SOLUTION


# BEGIN SOLUTION
def _sigmoid(x):
    # exp(-|x|) lies in (0, 1]: no overflow on either side.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
# END SOLUTION


def bce_with_logits_loss(logits, target):
    r"""Exercise 5.5 - binary cross-entropy on logits (raw scores).

        L = (1/n) * sum_i bce(sigmoid(x_i), t_i)
          = (1/n) * sum_i [ -t_i * log(sigmoid(x_i)) - (1 - t_i) * log(1 - sigmoid(x_i)) ]

    The same loss as bce_loss, with the sigmoid folded in. Why a separate
    function: in float32 sigmoid(x) rounds to exactly 1 for x above about 17
    (and to 0 below about -104), the log of 1 - sigmoid(x) is then -inf, while
    the loss itself is a perfectly ordinary number (about |x|). Working on the
    logits keeps it.

    Args:
        logits: (...) any shape, floating dtype, any real values.
        target: exactly logits' shape and dtype, values in [0, 1].

    Returns:
        0-dim tensor of logits' dtype and device.

    Raises:
        ValueError: when logits.shape != target.shape (no broadcasting).

    Examples: bce_with_logits_loss([0.0], [1]) = log 2 ~ 0.6931;
    bce_with_logits_loss([1e4], [0]) = 1e4; bce_with_logits_loss([-1e4], [0]) = 0.

    Numerical pitfall: rewrite the loss without sigmoid. With
    log(sigmoid(x)) = -log(1 + e^{-x}) and log(1 - sigmoid(x)) = -x - log(1 + e^{-x}),
    each term is x - t x + log(1 + e^{-x}); e^{-x} overflows for very negative
    x, so split off max(x, 0) first, leaving only e^{-|x|} (between 0 and 1):

        x - t x + log(1 + e^{-x}) = max(x, 0) - t x + log(1 + e^{-|x|})

    torch.log1p(u) = log(1 + u), accurate for tiny u, completes it. Must be
    finite and match PyTorch for float32 |logits| up to 1e4.

    Forbidden (the topic's list): e.g.
    torch.nn.functional.binary_cross_entropy_with_logits, torch.sigmoid,
    logsigmoid, torch.nn.functional.softplus.
    """
    # BEGIN SOLUTION
    _require_same_shape(logits, target, "logits")
    # -t log s(x) - (1-t) log(1 - s(x)) = max(x, 0) - t x + log(1 + e^{-|x|})
    return (logits.clamp(min=0) - target * logits + torch.log1p(torch.exp(-logits.abs()))).mean()
    # END SOLUTION


def bce_with_logits_loss_backward(logits, target):
    r"""Exercise 5.6 - gradient of binary cross-entropy on logits.

        dL/dx_i = (sigmoid(x_i) - t_i) / n

    The sigmoid's derivative s (1 - s) cancels against bce's denominator
    p (1 - p): the gradient is simply "prediction minus target" (the same
    pleasant form as for cross_entropy), bounded by 1/n in size.

    Args:
        logits: (...) any shape, floating dtype.
        target: exactly logits' shape and dtype, values in [0, 1].

    Returns:
        dL/dlogits: logits' shape, dtype and device.

    Raises:
        ValueError: when logits.shape != target.shape (no broadcasting).

    Examples: logits = [0.0], target = [1] gives [-0.5];
    logits = [1e4, -1e4], target = [0, 0] gives [0.5, 0].

    Numerical pitfall: torch.sigmoid is forbidden in this topic, so you
    need a sigmoid that is stable for |x| up to 1e4 in float32 (no nan from
    inf / inf): write one here, or use your own from activations
    (from .activations import sigmoid).

    Forbidden (the topic's list): e.g.
    torch.nn.functional.binary_cross_entropy_with_logits, torch.sigmoid.
    """
    # BEGIN SOLUTION
    _require_same_shape(logits, target, "logits")
    return (_sigmoid(logits) - target) / logits.numel()
    # END SOLUTION


# BEGIN SOLUTION
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
# END SOLUTION


def cross_entropy(logits, labels):
    r"""Exercise 5.7 - cross-entropy (交叉熵) of a softmax classifier.

        L = (1/N) * sum_i -log softmax(logits_i)[labels_i]
          = (1/N) * sum_i ( log sum_c e^{logits[i, c]} - logits[i, labels[i]] )

    The loss of multi-class classification, what nn.CrossEntropyLoss
    computes: each row of logits holds C raw scores for one example, labels
    the index of its true class. It is the negative log-likelihood of the
    right class under the softmax distribution: about 0 when that class gets
    almost all the probability, large when the model is confidently wrong.

    Args:
        logits: (N, C) floating dtype: N examples, C classes.
        labels: (N,) int64, each in [0, C), on logits' device.

    Returns:
        0-dim tensor of logits' dtype and device.

    Raises:
        ValueError: when labels is not of shape (N,), or a label lies
            outside [0, C). Say which, and what you got.

    Examples: cross_entropy([[0, 0]], [1]) = log 2 ~ 0.6931;
    cross_entropy([[1, 2, 3]], [2]) ~ 0.4076;
    cross_entropy([[1e4, -1e4, 0]], [1]) = 2e4.

    Numerical pitfall: e^{logit} overflows for logits above ~88.7 in float32,
    and taking softmax first and then the log gives log(0) = -inf once a
    probability underflows. Use log-softmax with the max-subtraction trick,
    row by row: log sum_c e^{x_c} = m + log sum_c e^{x_c - m}, m = the row's max.
    Pick each row's entry at its label with gather (or indexing by
    torch.arange(N) and labels), not with a Python loop.

    Forbidden (the topic's list): e.g. torch.nn.functional.cross_entropy,
    torch.nn.CrossEntropyLoss, torch.nn.functional.nll_loss, torch.softmax,
    torch.log_softmax, torch.logsumexp. Your own log_softmax from
    activations is allowed.
    """
    # BEGIN SOLUTION
    _require_valid_labels(logits, labels)
    return -_log_softmax_rows(logits).gather(1, labels[:, None]).mean()
    # END SOLUTION


def cross_entropy_backward(logits, labels):
    r"""Exercise 5.8 - gradient of cross-entropy with respect to the logits.

        dL/dlogits[i, c] = ( softmax(logits_i)[c] - [c == labels[i]] ) / N

    The predicted distribution minus the one-hot target (独热编码), divided by
    N for the mean. Each row sums to 0: raising every score of a row by the
    same amount changes nothing.

    Args:
        logits: (N, C) floating dtype.
        labels: (N,) int64, each in [0, C), on logits' device.

    Returns:
        dL/dlogits: (N, C), logits' dtype and device.

    Raises:
        ValueError: as cross_entropy.

    Examples: logits = [[0, 0]], labels = [1] gives [[0.5, -0.5]];
    logits = [[0, 0], [0, 0]], labels = [0, 1] gives
    [[-0.25, 0.25], [0.25, -0.25]].

    Pitfalls: compute softmax with the max trick (stable for |logits| up to
    1e4); make the one-hot matrix with logits' dtype and device
    (torch.zeros_like(logits) and scatter, or a comparison with
    torch.arange(C, device=logits.device)); do not forget the 1/N.

    Forbidden (the topic's list): e.g. torch.nn.functional.cross_entropy,
    torch.softmax, torch.nn.functional.one_hot.
    """
    # BEGIN SOLUTION
    _require_valid_labels(logits, labels)
    # d/dz of -log softmax(z)_y is softmax(z) - one_hot(y); the mean adds 1/N.
    probs = torch.exp(_log_softmax_rows(logits))
    one_hot = torch.zeros_like(logits).scatter(1, labels[:, None], 1.0)
    return (probs - one_hot) / logits.shape[0]
    # END SOLUTION
