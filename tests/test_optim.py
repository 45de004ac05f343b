"""Grading tests for topic 3, ``optim``: gradient descent, from one step to a regression.

Optimisers are judged by their update rule, step by step: a trajectory, or
a few epochs from a seeded generator replayed by the grader. Several wrong
rules (a summed batch gradient, a missing ½, one permutation for every
epoch) still land near the answer, so a final value alone proves little.
Statistics of random data are compared within six standard errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradkata import exercise
from gradkata.checks import devices, purity, values
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.checks.training_checks import (
    check_draws_from_generator,
    check_float_tensors_follow_device,
    check_follows_rule,
    check_normal,
    check_trajectory,
)
from gradkata.messages import Message
from gradkata.strategies import float_tensors, generator_for, like, shapes

TOPIC = "optim"
SEEDS = st.integers(0, 2**32)


def guarded(impl, forbidden, name: str, *args, **kwargs):
    """The guard family: a clean source, then one call watched for forbidden calls."""
    check_source_clean(scan_source(Path(impl.__file__)), name)
    return check_no_forbidden_calls(getattr(impl, name), *args, rules=forbidden, **kwargs)


# == 3.1 gradient_descent ==============================================================

GD = f"{TOPIC}.gradient_descent"
GD_RULE = "x_{t+1} = x_t - lr * grad(x_t)"
A = torch.tensor([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 1.5]], dtype=torch.float64)
B = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)


@dataclass(frozen=True)
class Quadratic:
    """A function to descend: its gradient, the shapes of x it takes, maybe a closed form."""

    name: str
    grad: Callable[[torch.Tensor], torch.Tensor]  # keeps x's dtype and device
    shapes: st.SearchStrategy
    closed_form: Callable | None = None  # (x0, lr, t) -> x_t

    def trajectory(self, x0: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
        """x_0 .. x_steps in float64: the closed form where there is one, else the rule."""
        x = x0.double()
        if self.closed_form is not None:
            return torch.stack([self.closed_form(x, lr, t) for t in range(steps + 1)])
        xs = [x]
        for _ in range(steps):
            xs.append(xs[-1] - lr * self.grad(xs[-1]))
        return torch.stack(xs)


SQUARE = Quadratic("f(x) = x²", lambda x: 2 * x, shapes(0, 3),
                   closed_form=lambda x0, lr, t: (1 - 2 * lr) ** t * x0)
PROBLEMS = (
    SQUARE,
    Quadratic("f(x) = 1.5 (x - 2)²", lambda x: 3 * (x - 2), shapes(1, 2)),
    Quadratic("f(x) = ½ xᵀAx - bᵀx", lambda x: A.to(x.dtype) @ x - B.to(x.dtype), st.just((3,))),
)


@st.composite
def descents(draw, problems=PROBLEMS, dtype=None, lrs=(0.01, 0.1, 0.25, 0.5, 0.9, 1.1)):
    problem = draw(st.sampled_from(problems))
    x0 = draw(float_tensors(shape=problem.shapes, dtype=dtype, scales=(0.5, 1.0, 3.0)))
    return problem, x0, draw(st.sampled_from(lrs)), draw(st.integers(0, 12))


def gd_call(problem, x0, lr, steps) -> str:
    return f"gradient_descent(grad of {problem.name}, x0 {tuple(x0.shape)}, lr={lr}, steps={steps})"


def gd_args(case) -> tuple:
    problem, x0, lr, steps = case
    return problem.grad, x0, lr, steps


@exercise(GD, check="value")
@given(case=descents())
def test_gradient_descent_follows_the_update_rule_step_by_step(impl, case):
    problem, x0, lr, steps = case
    result = impl.gradient_descent(problem.grad, x0, lr, steps)
    check_trajectory(result, problem.trajectory(x0, lr, steps), what=gd_call(*case), rule=GD_RULE)


@exercise(GD, check="convergence")
@pytest.mark.parametrize(("lr", "converges"), [(0.05, True), (0.3, True), (0.5, True), (0.75, True),
                                               (0.95, True), (1.05, False), (1.5, False)])
@settings(max_examples=5)
@given(x0=float_tensors(shape=shapes(0, 2)))
def test_gradient_descent_on_x_squared_converges_below_lr_1_and_diverges_above(
        impl, x0, lr, converges):
    x0 = torch.where(x0 >= 0, x0 + 0.5, x0 - 0.5)  # away from 0, which never moves
    steps = 100
    what = gd_call(SQUARE, x0, lr, steps)
    result = values.check_is_tensor(impl.gradient_descent(SQUARE.grad, x0, lr, steps), what)
    values.check_shape(result, (steps + 1, *x0.shape), what)
    start, end = float(x0.abs().max()), float(result[-1].double().abs().max())
    if converges and not end <= 1e-3 * start:
        raise CheckFailure(Message("tests_optim.must_converge", lr=lr, start=start, end=end,
                                   steps=steps))
    if not converges and not end >= 1e3 * start:
        raise CheckFailure(Message("tests_optim.must_diverge", lr=lr, start=start, end=end,
                                   steps=steps))


@exercise(GD, check="dtype")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@settings(max_examples=10)
@given(data=st.data())
def test_gradient_descent_keeps_the_dtype_of_x0(impl, dtype, data):
    case = data.draw(descents(dtype=dtype), label="case")
    values.check_dtype(impl.gradient_descent(*gd_args(case)), dtype, gd_call(*case))


@exercise(GD, check="device")
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(x0=float_tensors(shape=shapes(0, 2)), steps=st.integers(0, 4))
def test_gradient_descent_keeps_the_device_of_x0_on_fake_cuda(impl, x0, steps):
    devices.check_device_hygiene(impl.gradient_descent, SQUARE.grad, x0, 0.1, steps,
                                 what=gd_call(SQUARE, x0, 0.1, steps))


@exercise(GD, check="purity")
@given(case=descents())
def test_gradient_descent_leaves_x0_unchanged(impl, case):
    purity.check_inputs_unchanged(impl.gradient_descent, *gd_args(case), what=gd_call(*case))


@exercise(GD, check="guard")
@settings(max_examples=10)  # forbidden calls do not hide in values
@given(case=descents())
def test_gradient_descent_calls_nothing_forbidden(impl, forbidden, case):
    guarded(impl, forbidden, "gradient_descent", *gd_args(case))


# == 3.2 sgd_step ======================================================================

SGD = f"{TOPIC}.sgd_step"


@st.composite
def sgd_steps(draw):
    params = draw(st.lists(float_tensors(shape=shapes(0, 3, 4)), min_size=1, max_size=3))
    grads = [draw(like(p)) for p in params]
    return params, grads, draw(st.sampled_from([0.01, 0.1, 0.5, 2.0]))


def sgd_call(params, lr) -> str:
    return f"sgd_step(params ({len(params)} tensors), grads, lr={lr})"


@exercise(SGD, check="value")
@settings(max_examples=10)  # one subtraction per tensor: few examples show every mistake
@given(case=sgd_steps())
def test_sgd_step_subtracts_lr_times_the_gradient_from_each_parameter(impl, case):
    params, grads, lr = case
    before = [p.clone() for p in params]
    impl.sgd_step(list(params), grads, lr)
    for i, (p, old, g) in enumerate(zip(params, before, grads, strict=True)):
        if torch.equal(p, old) and bool(g.ne(0).any()):
            raise CheckFailure(Message("tests_optim.unchanged", what=sgd_call(params, lr),
                                       index=i))
        values.assert_close(p, old.double() - lr * g.double(),
                            what=Message("tests_optim.params_after", index=i,
                                         call=sgd_call(params, lr)), reference="p - lr * g",
                            inputs={"p before": old, "g": g})


@exercise(SGD, check="property")
@settings(max_examples=10)
@given(case=sgd_steps())
def test_sgd_step_updates_the_callers_tensors_themselves_and_returns_none(impl, case):
    params, grads, lr = case
    given_list = list(params)
    storage = [p.data_ptr() for p in params]
    result = impl.sgd_step(given_list, grads, lr)
    what = sgd_call(params, lr)
    if result is not None:
        raise CheckFailure(Message("tests_optim.returns_none", what=what,
                                   type=type(result).__name__))
    for i, p in enumerate(params):
        if given_list[i] is not p:
            raise CheckFailure(Message("tests_optim.replaced", what=what, index=i))
        if p.data_ptr() != storage[i]:
            raise CheckFailure(Message("tests_optim.new_memory", what=what, index=i))


@exercise(SGD, check="purity")
@settings(max_examples=10)
@given(case=sgd_steps())
def test_sgd_step_leaves_the_gradients_unchanged(impl, case):
    params, grads, lr = case
    named = {f"grads[{i}]": g for i, g in enumerate(grads)}
    purity.check_unchanged(named, lambda: impl.sgd_step(params, grads, lr),
                           what=sgd_call(params, lr))


@exercise(SGD, check="guard")
@settings(max_examples=10)  # forbidden calls do not hide in values
@given(case=sgd_steps())
def test_sgd_step_calls_nothing_forbidden(impl, forbidden, case):
    guarded(impl, forbidden, "sgd_step", *case)


# == 3.3 synthetic_data =================================================================

DATA = f"{TOPIC}.synthetic_data"


@st.composite
def weights(draw, kinds=("list", torch.float32, torch.float64)):
    """w as a list of floats or a tensor: ``(w, dtype the data must have)``."""
    entries = draw(st.lists(st.sampled_from([2.0, -3.4, 0.5, 1.0, -1.5]), min_size=1, max_size=4))
    kind = draw(st.sampled_from(kinds))
    if kind == "list":
        return entries, torch.float32
    return torch.tensor(entries, dtype=kind), kind


@st.composite
def data_calls(draw, kinds=("list", torch.float32, torch.float64)):
    w, dtype = draw(weights(kinds))
    return dict(w=w, b=draw(st.sampled_from([4.2, 0.0, -1.0])),
                num_examples=draw(st.sampled_from([2000, 3000])),
                noise=draw(st.sampled_from([0.01, 0.1, 0.5, 1.0]))), dtype, draw(SEEDS)


def data_call(kwargs) -> str:
    w = kwargs["w"]
    shown = w if isinstance(w, list) else f"tensor {w.tolist()} {str(w.dtype)[6:]}"
    return (f"synthetic_data({shown}, {kwargs['b']}, {kwargs['num_examples']}, "
            f"noise={kwargs['noise']})")


@exercise(DATA, check="value")
@settings(max_examples=10)
@given(case=data_calls())
def test_synthetic_data_draws_standard_normal_features_and_noisy_linear_targets(impl, case):
    kwargs, _, seed = case
    X, y = impl.synthetic_data(**kwargs, generator=generator_for(seed))
    n, what = kwargs["num_examples"], data_call(kwargs)
    w = torch.as_tensor(kwargs["w"], dtype=torch.float64)
    values.check_shape(values.check_is_tensor(X, what + ": X"), (n, len(w)), what + ": X")
    values.check_shape(values.check_is_tensor(y, what + ": y"), (n,), what + ": y")
    check_normal(X, mean=0.0, std=1.0, what=f"{what}: X",
                 hint=Message("tests_optim.randn_not_rand"))
    residual = y.double() - (X.double() @ w + kwargs["b"])
    check_normal(residual, mean=0.0, std=kwargs["noise"],
                 what=Message("tests_optim.the_noise", what=what),
                 hint=Message("tests_optim.noise_is_std"))


@exercise(DATA, check="property")
@settings(max_examples=5)
@given(case=data_calls())
def test_synthetic_data_comes_from_the_generator_alone(impl, case):
    kwargs, _, seed = case
    check_draws_from_generator(lambda g: impl.synthetic_data(**kwargs, generator=g), seed,
                               what=data_call(kwargs))


@exercise(DATA, check="dtype")
@settings(max_examples=10)
@given(case=data_calls())
def test_synthetic_data_has_the_dtype_of_w_and_float32_for_a_list(impl, case):
    kwargs, dtype, seed = case
    X, y = impl.synthetic_data(**kwargs, generator=generator_for(seed))
    values.check_dtype(X, dtype, data_call(kwargs) + ": X")
    values.check_dtype(y, dtype, data_call(kwargs) + ": y")


@exercise(DATA, check="device")
@settings(max_examples=5)
@given(case=data_calls(kinds=(torch.float32, torch.float64)))
def test_synthetic_data_is_made_on_the_device_of_w_on_fake_cuda(impl, case):
    kwargs, _, _ = case
    devices.check_device_hygiene(impl.synthetic_data, **kwargs, what=data_call(kwargs))


@exercise(DATA, check="guard")
@settings(max_examples=5)
@given(case=data_calls())
def test_synthetic_data_calls_nothing_forbidden(impl, forbidden, case):
    kwargs, _, seed = case
    guarded(impl, forbidden, "synthetic_data", **kwargs, generator=generator_for(seed))


# == 3.4 minibatches ===================================================================

BATCHES = f"{TOPIC}.minibatches"


def indexed_examples(n: int, dtype=torch.float64):
    """X (n, 2) whose first column is the example's index, and y = that index (int64)."""
    X = torch.stack([torch.arange(n, dtype=dtype), torch.linspace(-1, 1, n, dtype=dtype)], dim=1)
    return X, torch.arange(n)


@st.composite
def batch_calls(draw):
    n = draw(st.integers(1, 50))
    return n, draw(st.integers(1, 60)), draw(SEEDS)


def batches_of(impl, n, batch_size, seed, what) -> list[tuple[torch.Tensor, torch.Tensor]]:
    X, y = indexed_examples(n)
    batches = list(impl.minibatches(X, y, batch_size, generator=generator_for(seed)))
    for i, item in enumerate(batches):
        if not (isinstance(item, tuple | list) and len(item) == 2
                and all(isinstance(t, torch.Tensor) for t in item)):
            raise CheckFailure(Message("tests_optim.not_a_pair", what=what,
                                       type=type(item).__name__, index=i))
    return batches


def order_of(batches) -> list[int]:
    return [int(i) for _, y_batch in batches for i in y_batch]


@exercise(BATCHES, check="value")
@given(case=batch_calls())
def test_minibatches_yield_every_example_once_in_batches_of_batch_size(impl, case):
    n, batch_size, seed = case
    what = Message("tests_optim.minibatches_call",
                   call=f"minibatches(X, y, batch_size={batch_size})", count=n)
    batches = batches_of(impl, n, batch_size, seed, what)
    seen = order_of(batches)
    missing = sorted(set(range(n)) - set(seen))
    if missing:
        raise CheckFailure(Message("tests_optim.never_yielded", what=what, missing=missing[:5]))
    if len(seen) != n:
        twice = sorted({i for i in seen if seen.count(i) > 1})
        raise CheckFailure(Message("tests_optim.yielded_twice", what=what, twice=twice[:5]))
    sizes = [len(y_batch) for _, y_batch in batches]
    wanted = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if sizes != wanted:
        raise CheckFailure(Message("tests_optim.batch_sizes", what=what, sizes=sizes,
                                   wanted=wanted))
    X, _ = indexed_examples(n)
    for X_batch, y_batch in batches:
        if not torch.equal(X_batch, X[y_batch]):
            raise CheckFailure(Message("tests_optim.not_the_same_examples", what=what))


@exercise(BATCHES, check="property")
@settings(max_examples=10)
@given(seed=SEEDS, batch_size=st.integers(1, 12))
def test_minibatches_shuffle_anew_each_epoch_with_the_generator(impl, seed, batch_size):
    n = 40
    what = Message("tests_optim.minibatches_call",
                   call=f"minibatches(X, y, batch_size={batch_size}, generator)", count=n)
    X, y = indexed_examples(n)
    generator = generator_for(seed)
    epochs = [order_of(impl.minibatches(X, y, batch_size, generator=generator)) for _ in range(2)]
    if epochs[0] == list(range(n)):
        raise CheckFailure(Message("tests_optim.original_order", what=what))
    if epochs[0] == epochs[1]:
        raise CheckFailure(Message("tests_optim.same_order", what=what))
    check_draws_from_generator(lambda g: impl.minibatches(X, y, batch_size, generator=g), seed,
                               what=what)


@exercise(BATCHES, check="purity")
@given(case=batch_calls())
def test_minibatches_leave_x_and_y_unchanged(impl, case):
    n, batch_size, seed = case
    X, y = indexed_examples(n)
    purity.check_inputs_unchanged(
        lambda X, y: list(impl.minibatches(X, y, batch_size, generator=generator_for(seed))),
        X, y, what=f"minibatches(X, y, batch_size={batch_size})")


@exercise(BATCHES, check="guard")
@settings(max_examples=10)
@given(case=batch_calls())
def test_minibatches_call_nothing_forbidden(impl, forbidden, case):
    n, batch_size, seed = case
    X, y = indexed_examples(n)
    guarded(impl, forbidden, "minibatches", X, y, batch_size, generator=generator_for(seed))


# == 3.5 linear_regression ===============================================================

REGRESSION = f"{TOPIC}.linear_regression"
REGRESSION_RULE = Message("tests_optim.regression_rule")
REGRESSION_REPLAY = Message("tests_optim.regression_replay")


def mean_step(X, y, w, b, lr):
    err = X @ w + b - y
    return w - lr * X.T @ err / len(y), b - lr * err.mean()


def summed_step(X, y, w, b, lr):
    err = X @ w + b - y
    return w - lr * X.T @ err, b - lr * err.sum()


def doubled_step(X, y, w, b, lr):
    err = X @ w + b - y
    return w - 2 * lr * X.T @ err / len(y), b - 2 * lr * err.mean()


def b_first_step(X, y, w, b, lr):
    b = b - lr * (X @ w + b - y).mean()
    return w - lr * X.T @ (X @ w + b - y) / len(y), b


def w_first_step(X, y, w, b, lr):
    w = w - lr * X.T @ (X @ w + b - y) / len(y)
    return w, b - lr * (X @ w + b - y).mean()


def epochs_of_batches(minibatches, X, y, batch_size, epochs, state, order="shuffled"):
    """Each epoch's batches: from ``minibatches`` with a generator in ``state``, or a known
    wrong order ("same": the first epoch's batches every epoch; "original": no shuffle)."""
    if order == "original":
        return [[(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
                ] * epochs
    generator = torch.Generator().set_state(state)
    first = list(minibatches(X, y, batch_size, generator=generator))
    if order == "same":
        return [first] * epochs
    return [first] + [list(minibatches(X, y, batch_size, generator=generator))
                      for _ in range(epochs - 1)]


def replay_regression(impl, X, y, kwargs, states, step=mean_step, order="shuffled"):
    """What linear_regression must return, in float64, by ``step`` over the epochs' batches.

    states: the generator's and the global RNG's state before the learner's call
    (the global one too, so that a minibatches drawing from it is replayed alike:
    that mistake is minibatches', not linear_regression's).
    """
    w, b = X.new_zeros(X.shape[1], dtype=torch.float64), X.new_zeros((), dtype=torch.float64)
    generator_state, global_state = states
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(global_state)
        epochs = epochs_of_batches(impl.minibatches, X, y, kwargs["batch_size"],
                                   kwargs["epochs"], generator_state, order)
    for batches in epochs:
        for X_batch, y_batch in batches:
            w, b = step(X_batch.double(), y_batch.double(), w, b, kwargs["lr"])
    return {"w": w, "b": b}


REGRESSION_MISTAKES = (
    (Message("tests_optim.summed"), summed_step, "shuffled"),
    (Message("tests_optim.doubled"), doubled_step, "shuffled"),
    (Message("tests_optim.b_first"), b_first_step, "shuffled"),
    (Message("tests_optim.w_first"), w_first_step, "shuffled"),
    (Message("tests_optim.same_batches"), mean_step, "same"),
    (Message("tests_optim.original_batches"), mean_step, "original"),
)


@st.composite
def regression_calls(draw, dtype=torch.float64):
    """Small noisy linear data, options, and the seed of the generator to pass."""
    n, d = draw(st.integers(8, 40)), draw(st.integers(1, 3))
    source = generator_for(draw(SEEDS))
    X = torch.randn(n, d, generator=source, dtype=torch.float64)
    y = X @ torch.randn(d, generator=source, dtype=torch.float64) + 1.5 \
        + 0.1 * torch.randn(n, generator=source, dtype=torch.float64)
    kwargs = dict(lr=draw(st.sampled_from([0.03, 0.1, 0.3])), epochs=draw(st.integers(1, 3)),
                  batch_size=draw(st.sampled_from([1, 3, 7, 10, n])))
    return X.to(dtype), y.to(dtype), kwargs, draw(SEEDS)


def regression_call(X, kwargs) -> str:
    options = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"linear_regression(X {tuple(X.shape)}, y, {options})"


def fitted(result, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise CheckFailure(Message("tests_optim.not_w_and_b", what=what,
                                   type=type(result).__name__))
    return result[0], result[1]


@exercise(REGRESSION, check="value")
@settings(max_examples=10)
@given(case=regression_calls())
def test_linear_regression_follows_minibatch_sgd_step_by_step(impl, case):
    X, y, kwargs, seed = case
    generator = generator_for(seed)
    states, what = (generator.get_state(), torch.get_rng_state()), regression_call(X, kwargs)
    w, b = fitted(impl.linear_regression(X, y, **kwargs, generator=generator), what)
    mistakes = [(hint, lambda s=step, o=order: replay_regression(impl, X, y, kwargs, states, s, o))
                for hint, step, order in REGRESSION_MISTAKES]
    check_follows_rule({"w": w, "b": b}, replay_regression(impl, X, y, kwargs, states),
                       what=what, rule=REGRESSION_RULE, replay=REGRESSION_REPLAY,
                       mistakes=mistakes)


@exercise(REGRESSION, check="convergence")
@settings(max_examples=3)
@given(seed=SEEDS)
def test_linear_regression_recovers_the_true_w_and_b_with_its_defaults(impl, seed):
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
    source = generator_for(seed)
    X = torch.randn(1000, 2, generator=source)
    y = X @ true_w + true_b + 0.01 * torch.randn(1000, generator=source)
    what = Message("tests_optim.regression_on_synthetic")
    w, b = fitted(impl.linear_regression(X, y, generator=generator_for(seed + 1)), what)
    what_w, what_b = (Message("common.step", what=what, step=name) for name in "wb")
    values.check_shape(values.check_is_tensor(w, what_w), (2,), what_w)
    values.check_shape(values.check_is_tensor(b, what_b), (), what_b)
    error = max(float((w.double() - true_w.double()).abs().max()), abs(float(b) - true_b))
    if not error < 0.05:
        raise CheckFailure(Message("tests_optim.does_not_recover", what=what,
                                   w=[round(float(v), 4) for v in w], b=float(b)))


@exercise(REGRESSION, check="dtype")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@settings(max_examples=5)
@given(data=st.data())
def test_linear_regression_returns_w_and_b_in_the_dtype_of_x(impl, dtype, data):
    X, y, kwargs, seed = data.draw(regression_calls(dtype), label="case")
    what = regression_call(X, kwargs)
    w, b = fitted(impl.linear_regression(X, y, **kwargs, generator=generator_for(seed)), what)
    values.check_dtype(w, dtype, what + ": w")
    values.check_dtype(b, dtype, what + ": b")


@exercise(REGRESSION, check="device")
@settings(max_examples=5)
@given(case=regression_calls(torch.float32))
def test_linear_regression_makes_w_and_b_on_the_device_of_x(impl, case):
    X, y, kwargs, seed = case
    check_float_tensors_follow_device(impl.linear_regression, X, y, **kwargs,
                                      generator=generator_for(seed),
                                      what=regression_call(X, kwargs))


@exercise(REGRESSION, check="purity")
@settings(max_examples=5)
@given(case=regression_calls())
def test_linear_regression_leaves_x_and_y_unchanged(impl, case):
    X, y, kwargs, seed = case
    purity.check_inputs_unchanged(impl.linear_regression, X, y, **kwargs,
                                  generator=generator_for(seed), what=regression_call(X, kwargs))


@exercise(REGRESSION, check="guard")
@settings(max_examples=5)
@given(case=regression_calls())
def test_linear_regression_calls_nothing_forbidden(impl, forbidden, case):
    X, y, kwargs, seed = case
    guarded(impl, forbidden, "linear_regression", X, y, **kwargs, generator=generator_for(seed))
