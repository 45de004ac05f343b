"""Known-wrong learner implementations for topic 8, ``train``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain. The training mistakes
use the reference layers, losses and optim, as a learner's would use theirs.
"""

from __future__ import annotations

import torch

from solutions.layers import Linear, Sequential, Sigmoid, Tanh
from solutions.losses import cross_entropy, cross_entropy_backward
from solutions.optim import minibatches, sgd_step

from .registry import wrong

# -- make_classification_data ----------------------------------------------------------

@wrong("train.make_classification_data", caught_by="value", says="exactly where X[:, 0] > X[:, 4]")
def make_classification_data_comparing_the_wrong_columns(num_examples, generator=None):
    X = torch.randn(num_examples, 5, generator=generator)
    return X, (X[:, 0] > X[:, 1]).long()


@wrong("train.make_classification_data", caught_by="value", says="torch.rand is uniform")
def make_classification_data_with_uniform_features(num_examples, generator=None):
    X = torch.rand(num_examples, 5, generator=generator)
    return X, (X[:, 0] > X[:, 4]).long()


@wrong("train.make_classification_data", caught_by="property", says="global RNG")
def make_classification_data_from_the_global_rng(num_examples, generator=None):
    X = torch.randn(num_examples, 5)
    return X, (X[:, 0] > X[:, 4]).long()


@wrong("train.make_classification_data", caught_by="dtype", says="int64 class indices")
def make_classification_data_with_boolean_labels(num_examples, generator=None):
    X = torch.randn(num_examples, 5, generator=generator)
    return X, X[:, 0] > X[:, 4]


# -- accuracy --------------------------------------------------------------------------

@wrong("train.accuracy", caught_by="dtype", says="not a Python float")
def accuracy_returning_a_tensor(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean()


@wrong("train.accuracy", caught_by="value", says="arg-max over the classes")
def accuracy_thresholding_scores_as_probabilities(logits, labels):
    return ((logits[:, 1] > 0.5).long() == labels).float().mean().item()


@wrong("train.accuracy", caught_by="value", says="arg-max over the classes")
def accuracy_counting_rows_whose_top_score_is_positive(logits, labels):
    return (logits.max(dim=1).values > 0).float().mean().item()


@wrong("train.accuracy", caught_by="guard", says="tolist")
def accuracy_through_python_lists(logits, labels):
    predicted, wanted = logits.argmax(dim=1).tolist(), labels.tolist()
    return sum(p == w for p, w in zip(predicted, wanted, strict=True)) / len(wanted)


@wrong("train.accuracy", caught_by="purity", says="modified its input logits")
def accuracy_normalising_logits_in_place(logits, labels):
    logits -= logits.amax(dim=1, keepdim=True)  # harmless for the arg-max, not for the caller
    return (logits.argmax(dim=1) == labels).float().mean().item()


# -- train_classifier ------------------------------------------------------------------

def _model(hidden, generator, activation=Sigmoid):
    return Sequential(Linear(5, hidden, generator=generator), activation(),
                      Linear(hidden, 2, generator=generator))


def _train(X, y, hidden, epochs, lr, batch_size, generator, record):
    """The recipe, with ``record(loss_before, logits_after, batch)`` choosing what is kept."""
    model, losses = _model(hidden, generator), []
    for _ in range(epochs):
        kept = []
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            loss = cross_entropy(logits, y_batch).item()
            model.backward(cross_entropy_backward(logits, y_batch))
            sgd_step(model.parameters(), model.grads(), lr)
            kept.append(record(loss, model, X_batch, y_batch))
        losses.append(sum(k[0] for k in kept) / sum(k[1] for k in kept))
    return model, losses


@wrong("train.train_classifier", caught_by="value", says="after the batch's update")
def train_classifier_recording_the_loss_after_the_update(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    def after(loss, model, X_batch, y_batch):
        return cross_entropy(model.forward(X_batch), y_batch).item() * len(y_batch), len(y_batch)

    return _train(X, y, hidden, epochs, lr, batch_size, generator, after)


@wrong("train.train_classifier", caught_by="value", says="averaged the batches' mean losses")
def train_classifier_averaging_per_batch(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    return _train(X, y, hidden, epochs, lr, batch_size, generator, lambda loss, *_: (loss, 1))


@wrong("train.train_classifier", caught_by="value", says="drew from its generator differently")
def train_classifier_building_the_model_from_the_global_rng(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, None), []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            total += cross_entropy(logits, y_batch).item() * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
            sgd_step(model.parameters(), model.grads(), lr)
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="value", says="the trained model does not follow")
def train_classifier_with_tanh_in_place_of_sigmoid(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, generator, Tanh), []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            total += cross_entropy(logits, y_batch).item() * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
            sgd_step(model.parameters(), model.grads(), lr)
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="property", says="not a Python float")
def train_classifier_keeping_loss_tensors(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, generator), []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            total = total + cross_entropy(logits, y_batch) * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
            sgd_step(model.parameters(), model.grads(), lr)
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="convergence", says="it should reach 0.95")
def train_classifier_forgetting_the_update(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, generator), []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            total += cross_entropy(logits, y_batch).item() * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="guard", says="torch.optim.SGD")
def train_classifier_with_torch_optim_sgd(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, generator), []
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            logits = model.forward(X_batch)
            total += cross_entropy(logits, y_batch).item() * len(y_batch)
            model.backward(cross_entropy_backward(logits, y_batch))
            for p, g in zip(model.parameters(), model.grads(), strict=True):
                p.grad = g
            optimizer.step()
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="guard", says="autograd")
def train_classifier_with_autograd(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model, losses = _model(hidden, generator), []
    for p in model.parameters():
        p.requires_grad_(True)
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            loss = cross_entropy(model.forward(X_batch), y_batch)
            total += loss.item() * len(y_batch)
            loss.backward()
            with torch.no_grad():
                sgd_step(model.parameters(), [p.grad for p in model.parameters()], lr)
            for p in model.parameters():
                p.grad = None
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="guard", says="torch.nn")
def train_classifier_with_torch_nn_layers(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    model = torch.nn.Sequential(torch.nn.Linear(5, hidden), torch.nn.Sigmoid(),
                                torch.nn.Linear(hidden, 2))
    losses = []
    for _ in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, generator):
            loss = torch.nn.functional.cross_entropy(model(X_batch), y_batch)
            total += loss.item() * len(y_batch)
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
        losses.append(total / len(y))
    return model, losses


@wrong("train.train_classifier", caught_by="purity", says="modified its input X")
def train_classifier_standardising_x_in_place(
        X, y, hidden=16, epochs=20, lr=0.5, batch_size=32, generator=None):
    from solutions.train import train_classifier

    X -= X.mean(dim=0)
    return train_classifier(X, y, hidden, epochs, lr, batch_size, generator)
