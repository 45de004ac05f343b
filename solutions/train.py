"""Reference solutions for topic 8: training a classifier end to end.

The model, the loss and the optimiser are the course's own (topics 3, 5 and
6): no autograd, no ``torch.nn``, no ``torch.optim``.
"""

import torch

from .layers import Linear, Sequential, Sigmoid
from .losses import cross_entropy, cross_entropy_backward
from .optim import minibatches, sgd_step


def make_classification_data(num_examples, generator=None):
    X = torch.randn(num_examples, 5, generator=generator)
    y = (X[:, 0] > X[:, 4]).long()
    return X, y


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).double().mean().item()


def train_classifier(X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
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
