r"""Topic 8 - training a classifier end to end (端到端训练一个分类器).

Everything so far comes together here: a data set (8.1), a way to score a
model (8.2), and the training loop (8.3) that fits a small network with
your own layers (topic 6), your own cross-entropy loss and its gradient
(topic 5), and your own minibatches and sgd_step (topic 3).

The task is binary classification (二分类): each example has 5 features,
and its class is 1 when the first feature is larger than the fifth, else 0.
A network that outputs one score (logit) per class, (N, 2), is trained with
the cross-entropy loss (交叉熵), and predicts the class with the larger score.

One training step on a batch is the same four moves as in every framework:

    logits = model.forward(X_batch)                      forward pass
    loss   = cross_entropy(logits, y_batch)              how wrong, a number
    model.backward(cross_entropy_backward(logits, y_batch))   gradients
    sgd_step(model.parameters(), model.grads(), lr)      update in place

Your layers, losses and optim are used as they are: if one of them still
raises NotImplementedError, these exercises say which one blocks them.

Forbidden in the whole topic: torch.nn.* and torch.optim.*, and, as
everywhere, autograd (.backward() on a tensor, torch.autograd.*),
torch.ops.*, torch._*, .numpy() and .tolist() of a whole tensor. .item()
on a one-element tensor is fine.

Check your work with `pytest --exercise train`, or one exercise at a time:
`pytest --exercise 8.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 8: training a classifier end to end.
#
# The model, the loss and the optimiser are the course's own (topics 3, 5 and
# 6): no autograd, no ``torch.nn``, no ``torch.optim``.

import torch

from .layers import Linear, Sequential, Sigmoid
from .losses import cross_entropy, cross_entropy_backward
from .optim import minibatches, sgd_step

# END SOLUTION
# BEGIN STUB
# import torch  # noqa: F401 - for your solutions
#
# from .layers import Linear, Sequential, Sigmoid  # noqa: F401 - for your solutions
# from .losses import cross_entropy, cross_entropy_backward  # noqa: F401 - for your solutions
# from .optim import minibatches, sgd_step  # noqa: F401 - for your solutions
# END STUB


def make_classification_data(num_examples, generator=None):
    r"""Exercise 8.1 - a labelled data set for binary classification.

        X ~ N(0, 1)                                       (num_examples, 5) float32
        y[i] = 1 if X[i, 0] > X[i, 4] else 0              (num_examples,)   int64

    Args:
        num_examples: int, the number of rows.
        generator: torch.Generator or None; every random number comes from it,
            so the same generator state gives the same data set.

    Returns:
        (X, y). y holds class indices, the int64 labels cross_entropy expects.

    Example: a row X[i] = [0.3, -1.2, 0.8, 0.1, -0.5] has X[i, 0] = 0.3 >
    X[i, 4] = -0.5, so y[i] = 1. About half the labels are 1.

    Pitfalls: a comparison gives a bool tensor; labels are int64 (.long()).
    torch.rand is uniform, torch.randn normal.
    """
    # BEGIN SOLUTION
    X = torch.randn(num_examples, 5, generator=generator)
    y = (X[:, 0] > X[:, 4]).long()
    return X, y
    # END SOLUTION


def accuracy(logits, labels):
    r"""Exercise 8.2 - the share of examples classified correctly.

        accuracy = (1/N) * #{ i : argmax_c logits[i, c] == labels[i] }

    Args:
        logits: (N, C) one score per class for each example (not
            probabilities: any real numbers; the largest score wins).
        labels: (N,) int64 class indices.

    Returns:
        A Python float in [0, 1], not a tensor (.item() turns a one-element
        tensor into one).

    Example: logits [[2.0, -1.0], [0.1, 0.3], [-3.0, -2.0]] predict classes
    [0, 1, 1]; with labels [0, 0, 1] that is 2 of 3 right: 0.666...

    Pitfalls: take the arg-max along the class axis (dim=1), one per row.
    Comparing scores with 0.5, as if they were probabilities, is wrong.
    A comparison gives bools: convert before taking a mean.
    """
    # BEGIN SOLUTION
    return (logits.argmax(dim=1) == labels).double().mean().item()
    # END SOLUTION


def train_classifier(X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    r"""Exercise 8.3 - train a two-layer network by minibatch SGD.

    The model, the loss and the optimiser are yours, in this order:

        generator draws: model = Sequential(Linear(5, hidden, generator=generator),
                                            Sigmoid(),
                                            Linear(hidden, 2, generator=generator))
        for each of `epochs` epochs:
            for X_batch, y_batch in minibatches(X, y, batch_size, generator):
                forward, cross_entropy, backward, sgd_step (see the module docstring)

    Record one loss per epoch: the mean over the epoch's examples of the
    loss computed on their batch, BEFORE that batch's update. A batch's
    cross_entropy is the mean over its examples, so add loss * len(y_batch)
    over the batches and divide by len(y) at the end of the epoch.

    The grader replays this recipe with your own layers, losses and optim
    and the same generator state, and compares the trained parameters and
    the losses; so draw from the generator exactly as above: first the two
    Linear layers, then one minibatches call per epoch.

    Args:
        X: (N, 5) float32 features; y: (N,) int64 labels in {0, 1}.
        hidden: int, the width of the hidden layer.
        epochs, lr, batch_size: passes over the data, learning rate, batch size.
        generator: torch.Generator or None.

    Returns:
        (model, losses): the trained Sequential, and a list of `epochs`
        Python floats (use .item() or float(...) on the loss).

    Example: on 2 000 examples of make_classification_data, the defaults
    reach over 95% accuracy on 1 000 fresh examples, with losses falling
    from about 0.4 in the first epoch to about 0.03 in the last.

    Pitfalls: recording the loss after the update, or averaging the batch
    means (the last batch may be smaller), trains just as well and is still
    wrong. No autograd, torch.nn or torch.optim: backward and sgd_step are
    yours.
    """
    # BEGIN SOLUTION
    model = Sequential(Linear(5, hidden, generator=generator), Sigmoid(),
                       Linear(hidden, 2, generator=generator))
    losses = []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            # The batch's loss is a mean: times the batch size it is the batch's sum,
            # so a smaller last batch weighs what its examples weigh.
            total += cross_entropy(logits, y_batch).item() * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
            sgd_step(model.parameters(), model.grads(), lr)
        losses.append(total / len(y))
    return model, losses
    # END SOLUTION
