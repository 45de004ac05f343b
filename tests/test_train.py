"""Grading tests for topic 8, ``train``: a classifier trained end to end.

``train_classifier`` is judged two ways. One full training run per
implementation (2 000 examples, the default options) is shared by the
convergence and property families. Short runs serve the rest: one is
replayed by the grader with the submission's own layers, losses and optim
(the trained parameters and the recorded losses must be the recipe's, so a
loss recorded after the update, or averaged per batch instead of per
example, is caught even though it trains just as well); another runs under
the forbidden-call guard, which slows every torch call down: a full run
under it would cost more than the full run and a short guarded one.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from gradkata import exercise
from gradkata.checks import purity
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.checks.training_checks import (
    RunOnce,
    check_draws_from_generator,
    check_follows_rule,
    check_normal,
    check_python_float,
)
from gradkata.checks.values import check_is_tensor, check_shape
from gradkata.messages import Message
from gradkata.strategies import float_tensors, generator_for

TOPIC = "train"
SEEDS = st.integers(0, 2**32)
# Training runs are too slow to shrink: a failing example is reported as found.
NO_SHRINKING = (Phase.explicit, Phase.generate)


def guarded(impl, forbidden, name: str, *args, **kwargs):
    """The guard family: a clean source, then one call watched for forbidden calls."""
    check_source_clean(scan_source(Path(impl.__file__)), name)
    return check_no_forbidden_calls(getattr(impl, name), *args, rules=forbidden, **kwargs)


def classification_data(n: int, generator: torch.Generator):
    """The data set by its definition: X ~ N(0, 1) (n, 5), y = 1 where X[:, 0] > X[:, 4]."""
    X = torch.randn(n, 5, generator=generator)
    return X, (X[:, 0] > X[:, 4]).long()


# == 8.1 make_classification_data ======================================================

DATA = f"{TOPIC}.make_classification_data"


def made(impl, n: int, generator) -> tuple[torch.Tensor, torch.Tensor]:
    what = f"make_classification_data({n})"
    result = impl.make_classification_data(n, generator=generator)
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise CheckFailure(Message("tests_train.not_x_and_y", what=what,
                                   type=type(result).__name__))
    X, y = (check_is_tensor(t, f"{what}: {name}") for t, name in zip(result, "Xy", strict=True))
    check_shape(X, (n, 5), f"{what}: X")
    check_shape(y, (n,), f"{what}: y")
    return X, y


@exercise(DATA, check="value")
@settings(max_examples=10)
@given(n=st.sampled_from([1, 7, 1000, 2000]), seed=SEEDS)
def test_make_classification_data_labels_one_where_x0_exceeds_x4(impl, n, seed):
    X, y = made(impl, n, generator_for(seed))
    wanted = X[:, 0] > X[:, 4]
    wrong = (y.long() != wanted.long()).nonzero()
    if len(wrong):
        i = int(wrong[0])
        raise CheckFailure(Message(
            "tests_train.wrong_label", n=n, index=i, label=y[i].item(), x0=X[i, 0].item(),
            x4=X[i, 4].item(), count=len(wrong)))
    if n >= 1000:
        check_normal(X, mean=0.0, std=1.0, what=f"make_classification_data({n}): X",
                     hint=Message("tests_optim.randn_not_rand"))


@exercise(DATA, check="property")
@settings(max_examples=5)
@given(seed=SEEDS)
def test_make_classification_data_comes_from_the_generator_alone(impl, seed):
    check_draws_from_generator(lambda g: impl.make_classification_data(200, generator=g), seed,
                               what="make_classification_data(200, generator)")


@exercise(DATA, check="dtype")
@settings(max_examples=5)
@given(seed=SEEDS)
def test_make_classification_data_gives_float32_features_and_int64_labels(impl, seed):
    X, y = made(impl, 50, generator_for(seed))
    for tensor, name, dtype, how in (
            (X, "X", torch.float32, Message("tests_train.float32_features")),
            (y, "y", torch.int64, Message("tests_train.int64_labels"))):
        if tensor.dtype != dtype:
            raise CheckFailure(Message("tests_train.data_dtype", name=name, dtype=tensor.dtype,
                                       how=how))


@exercise(DATA, check="guard")
@settings(max_examples=5)
@given(seed=SEEDS)
def test_make_classification_data_calls_nothing_forbidden(impl, forbidden, seed):
    guarded(impl, forbidden, "make_classification_data", 100, generator=generator_for(seed))


# == 8.2 accuracy ======================================================================

ACCURACY = f"{TOPIC}.accuracy"


@st.composite
def scored_predictions(draw):
    """logits (N, C) and int64 labels, a drawn share of them equal to the row's arg-max."""
    n, classes = draw(st.integers(1, 40)), draw(st.integers(2, 6))
    logits = draw(float_tensors(shape=(n, classes), scales=(0.1, 1.0, 3.0), edge_values=(0.5,)))
    source = generator_for(draw(SEEDS))
    labels = torch.randint(0, classes, (n,), generator=source)
    hits = torch.rand(n, generator=source) < draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    return logits, torch.where(hits, logits.argmax(dim=1), labels)


def accuracy_call(logits) -> str:
    return f"accuracy(logits {tuple(logits.shape)}, labels)"


@exercise(ACCURACY, check="value")
@given(case=scored_predictions())
def test_accuracy_is_the_share_of_rows_whose_arg_max_is_the_label(impl, case):
    logits, labels = case
    result = impl.accuracy(logits, labels)
    expected = int((logits.argmax(dim=1) == labels).sum()) / len(labels)
    try:
        value = float(result)
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailure(Message("derivatives.not_a_number", what=accuracy_call(logits),
                                   type=type(result).__name__)) from None
    if not math.isclose(value, expected, abs_tol=1e-6):
        raise CheckFailure(Message("tests_train.accuracy", what=accuracy_call(logits),
                                   value=value, expected=expected))


@exercise(ACCURACY, check="dtype")
@given(case=scored_predictions())
def test_accuracy_returns_a_python_float(impl, case):
    check_python_float(impl.accuracy(*case),
                       Message("tests_autograd.result_of", op=accuracy_call(case[0])))


@exercise(ACCURACY, check="purity")
@given(case=scored_predictions())
def test_accuracy_leaves_logits_and_labels_unchanged(impl, case):
    purity.check_inputs_unchanged(impl.accuracy, *case, what=accuracy_call(case[0]))


@exercise(ACCURACY, check="guard")
@given(case=scored_predictions())
def test_accuracy_calls_nothing_forbidden(impl, forbidden, case):
    guarded(impl, forbidden, "accuracy", *case)


# == 8.3 train_classifier ==============================================================

TRAIN = f"{TOPIC}.train_classifier"
TRAINING_EXAMPLES, FRESH_EXAMPLES, DEFAULT_EPOCHS, DEFAULT_HIDDEN = 2000, 1000, 20, 16
# One full training run per implementation, shared by two families. Its tests come first:
# if it hits the time limit, the other checks fail at once instead of waiting again.
RUNS = RunOnce()


def trained(result, what: str, epochs: int, *, floats_only: bool = False):
    """``(model, losses)`` from train_classifier's result, or a CheckFailure saying what is off.

    Losses that are one-element tensors are converted here, and held against
    the learner only by the property family (``floats_only``): one mistake, one family.
    """
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise CheckFailure(Message("tests_train.not_model_and_losses", what=what,
                                   type=type(result).__name__))
    model, losses = result
    if not isinstance(losses, list):
        raise CheckFailure(Message("tests_train.losses_not_list", what=what,
                                   type=type(losses).__name__))
    if len(losses) != epochs:
        raise CheckFailure(Message("tests_train.loss_count", what=what, count=len(losses),
                                   epochs=epochs))
    for i, loss in enumerate(losses):
        if floats_only or not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            check_python_float(loss, Message("common.step", what=what, step=f"losses[{i}]"))
    return model, [float(loss) for loss in losses]


def full_run(impl):
    """The shared run on 2 000 examples with the default options, and 1 000 fresh examples."""
    source = generator_for(0)
    X, y = classification_data(TRAINING_EXAMPLES, source)
    fresh = classification_data(FRESH_EXAMPLES, source)
    return RUNS(impl, impl.train_classifier, X, y, generator=generator_for(1)), fresh


FULL_RUN = Message("tests_train.full_run", count=TRAINING_EXAMPLES)
FORWARD = Message("tests_train.trained_forward")


@exercise(TRAIN, check="convergence")
def test_train_classifier_reaches_95_percent_on_fresh_examples(impl):
    run, (X_fresh, y_fresh) = full_run(impl)
    model, losses = trained(run.outcome(), FULL_RUN, DEFAULT_EPOCHS)
    logits = check_is_tensor(model.forward(X_fresh), FORWARD)
    check_shape(logits, (FRESH_EXAMPLES, 2), FORWARD)
    score = float((logits.argmax(dim=1) == y_fresh).double().mean())
    if not score >= 0.95:
        raise CheckFailure(Message("tests_train.not_accurate", run=FULL_RUN,
                                   count=FRESH_EXAMPLES, score=score, first=losses[0],
                                   last=losses[-1]))
    if not losses[-1] < losses[0]:
        raise CheckFailure(Message("tests_train.loss_did_not_fall", run=FULL_RUN,
                                   first=losses[0], last=losses[-1]))


@exercise(TRAIN, check="property")
def test_train_classifier_returns_the_specified_model_and_a_loss_per_epoch(impl):
    run, _ = full_run(impl)
    model, losses = trained(run.outcome(), FULL_RUN, DEFAULT_EPOCHS, floats_only=True)
    if not all(math.isfinite(loss) for loss in losses):
        raise CheckFailure(Message("tests_train.losses_not_finite", run=FULL_RUN,
                                   losses=losses[:3]))
    shapes = [tuple(p.shape) for p in model.parameters()]
    wanted = [(DEFAULT_HIDDEN, 5), (DEFAULT_HIDDEN,), (2, DEFAULT_HIDDEN), (2,)]
    if shapes != wanted:
        raise CheckFailure(Message("tests_train.parameter_shapes", run=FULL_RUN, shapes=shapes,
                                   wanted=wanted))


@exercise(TRAIN, check="guard")
def test_train_classifier_uses_no_autograd_torch_optim_or_torch_nn(impl, forbidden):
    RUNS.stop_if_timed_out(impl)
    X, y = classification_data(200, generator_for(2))
    guarded(impl, forbidden, "train_classifier", X, y, epochs=2, generator=generator_for(3))


# -- the recipe, replayed with the submission's own layers, losses and optim ------------

RECIPE = Message("tests_train.recipe")
LOSS_RULE = Message("tests_train.loss_rule")


@dataclass
class Replay:
    parameters: list[torch.Tensor]
    losses: list[float]  # the rule: per example, before the update
    after_update: list[float]  # known mistakes, for the message
    per_batch: list[float]
    state: torch.Tensor  # the generator's state at the end


def as_float64(numbers: list[float]) -> torch.Tensor:
    return torch.tensor(numbers, dtype=torch.float64)


def own_parts(impl):
    """The submission's layers, losses and optim modules (the reference's where missing)."""
    return (importlib.import_module(f"{impl.__package__}.{name}")
            for name in ("layers", "losses", "optim"))


def replay_training(impl, X, y, hidden, epochs, lr, batch_size, states) -> Replay:
    """The recipe with the submission's own parts, from the generator's and the global RNG's
    state before its run (a part drawing from the global RNG is that part's mistake)."""
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(states[1])
        return _replay(impl, X, y, hidden, epochs, lr, batch_size, states[0])


def _replay(impl, X, y, hidden, epochs, lr, batch_size, state) -> Replay:
    layers, losses, optim = own_parts(impl)
    generator = torch.Generator().set_state(state)
    model = layers.Sequential(layers.Linear(5, hidden, generator=generator), layers.Sigmoid(),
                              layers.Linear(hidden, 2, generator=generator))
    before, after, per_batch = [], [], []
    for _ in range(epochs):
        sums, means = [0.0, 0.0], []
        for X_batch, y_batch in optim.minibatches(X, y, batch_size, generator=generator):
            logits = model.forward(X_batch)
            loss = float(losses.cross_entropy(logits, y_batch))
            model.backward(losses.cross_entropy_backward(logits, y_batch))
            optim.sgd_step(model.parameters(), model.grads(), lr)
            updated = float(losses.cross_entropy(model.forward(X_batch), y_batch))
            sums[0] += loss * len(y_batch)
            sums[1] += updated * len(y_batch)
            means.append(loss)
        before.append(sums[0] / len(y))
        after.append(sums[1] / len(y))
        per_batch.append(sum(means) / len(means))
    return Replay([p.clone() for p in model.parameters()], before, after, per_batch,
                  generator.get_state())


@exercise(TRAIN, check="value")
@settings(max_examples=3, phases=NO_SHRINKING)  # each example: a short run, twice
@given(seed=SEEDS, hidden=st.sampled_from([3, 8]), epochs=st.integers(1, 3))
def test_train_classifier_follows_the_recipe_replayed_with_your_own_parts(
        impl, seed, hidden, epochs):
    RUNS.stop_if_timed_out(impl)
    # 200 examples in batches of 64: the last batch holds 8, so per-batch means show.
    X, y = classification_data(200, generator_for(seed))
    options = dict(hidden=hidden, epochs=epochs, lr=0.5, batch_size=64)
    generator = generator_for(seed + 1)
    states = generator.get_state(), torch.get_rng_state()
    what = f"train_classifier(X (200, 5), y, {', '.join(f'{k}={v}' for k, v in options.items())})"
    model, losses = trained(impl.train_classifier(X, y, **options, generator=generator), what,
                            epochs)
    replay = replay_training(impl, X, y, **options, states=states)
    if not torch.equal(generator.get_state(), replay.state):
        raise CheckFailure(Message("tests_train.drew_differently", what=what, recipe=RECIPE))
    check_follows_rule({f"parameters()[{i}]": p for i, p in enumerate(model.parameters())},
                       {f"parameters()[{i}]": p.double() for i, p in enumerate(replay.parameters)},
                       what=Message("tests_train.the_trained_model", what=what), rule=RECIPE,
                       precision=torch.float32)
    check_follows_rule({"losses": losses}, {"losses": as_float64(replay.losses)}, what=what,
                       rule=LOSS_RULE, precision=torch.float32, mistakes=[
        (Message("tests_train.loss_after_update"),
         lambda: {"losses": as_float64(replay.after_update)}),
        (Message("tests_train.batch_means_averaged"),
         lambda: {"losses": as_float64(replay.per_batch)})])


@exercise(TRAIN, check="purity")
@settings(max_examples=3, phases=NO_SHRINKING)
@given(seed=SEEDS)
def test_train_classifier_leaves_x_and_y_unchanged(impl, seed):
    RUNS.stop_if_timed_out(impl)
    X, y = classification_data(100, generator_for(seed))
    purity.check_inputs_unchanged(impl.train_classifier, X, y, hidden=4, epochs=1,
                                  generator=generator_for(seed + 1),
                                  what="train_classifier(X (100, 5), y, hidden=4, epochs=1)")
