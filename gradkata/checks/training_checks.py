"""Checks for exercises that draw random numbers or run an optimiser.

- ``check_normal``: a sample looks like draws from N(mean, std²) (mean,
  spread and the share within one std, each within six standard errors);
- ``check_draws_from_generator``: the same generator state gives the same
  result, whatever the global RNG, and the generator is actually used;
- ``check_trajectory``: a sequence of iterates against the update rule,
  step by step, naming the first step that departs from it;
- ``check_follows_rule``: named results against the rule replayed by the
  grader, naming the known mistake they match when they do not;
- ``check_python_float``: a value is a plain Python float;
- ``check_float_tensors_follow_device``: new floating tensors are not made on
  the default device (for code that fake CUDA cannot run: random permutations);
- ``RunOnce``: one expensive call (a whole training run) per implementation,
  its result shared by several families.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from ..isolate import runs_in_worker
from ..messages import Message
from .devices import tensor_factories
from .failure import CheckFailure
from .values import check_is_tensor, check_shape, tolerance

SIGMAS = 6.0  # derandomized draws: a correct sample fails once in ~5e8 checks
WITHIN_ONE_STD = math.erf(1 / math.sqrt(2))  # 0.6827 of a normal lies within one std


# -- statistics --------------------------------------------------------------------


def check_normal(
    sample: torch.Tensor, *, mean: float, std: float, what: str, hint: str = ""
) -> None:
    """``sample`` looks like independent draws from N(mean, std²).

    Compares the sample mean, the sample standard deviation and the share of
    values within one std of the mean with their expectations, each within
    six standard errors (which shrink like 1/sqrt(n): use a few thousand values).
    hint: a sentence added to any failure, e.g. how the sample should be made.
    """
    try:
        _check_normal(sample, mean, std, what)
    except CheckFailure as failure:
        raise CheckFailure(Message("training.with_hint", failure=failure.message, hint=hint)
                           if hint else failure.message) from None


def _check_normal(sample: torch.Tensor, mean: float, std: float, what: str) -> None:
    values = check_is_tensor(sample, what).detach().to("cpu", torch.float64).flatten()
    n = values.numel()
    if not bool(values.isfinite().all()):
        raise CheckFailure(Message("training.not_finite", what=what))
    got_mean, got_std = float(values.mean()), float(values.std(correction=0))
    slack = 1e-6 * (abs(mean) + std)  # float32 rounding of the values themselves
    mean_tol = SIGMAS * std / math.sqrt(n) + slack
    if abs(got_mean - mean) > mean_tol:
        raise CheckFailure(Message(
            "training.normal_mean", what=what, mean=mean, std=std, got_mean=got_mean,
            mean_tol=mean_tol))
    std_tol = SIGMAS * std / math.sqrt(2 * n) + slack
    if got_std < 0.01 * std:
        raise CheckFailure(Message(
            "training.normal_no_spread", what=what, mean=mean, std=std, got_std=got_std))
    if abs(got_std - std) > std_tol:
        raise CheckFailure(Message(
            "training.normal_std", what=what, mean=mean, std=std, got_std=got_std,
            std_tol=std_tol))
    within = float(((values - mean).abs() < std).double().mean())
    share_tol = SIGMAS * math.sqrt(WITHIN_ONE_STD * (1 - WITHIN_ONE_STD) / n)
    if std > 0 and abs(within - WITHIN_ONE_STD) > share_tol:
        raise CheckFailure(Message(
            "training.normal_shape", what=what, share=100 * WITHIN_ONE_STD, yours=100 * within))


# -- randomness comes from the generator ---------------------------------------------


def check_draws_from_generator(
    make: Callable[[torch.Generator], Any], seed: int, *, what: str
) -> None:
    """``make(generator)`` depends on the generator's state and on nothing else random.

    Two generators in the same state must give identical tensors even though
    the global RNG is reseeded differently before each call, and the call
    must advance the generator (it drew its numbers from it). The global RNG
    is left as found.
    """
    with torch.random.fork_rng(devices=[]):
        results, states = [], []
        for global_seed in (1, 2):
            generator = torch.Generator().manual_seed(seed)
            torch.manual_seed(global_seed)
            results.append(_tensors(make(generator), what))
            states.append(generator.get_state())
    first, second = results
    same = len(first) == len(second) and all(
        a.shape == b.shape and torch.equal(a, b) for a, b in zip(first, second, strict=True)
    )
    if not same:
        raise CheckFailure(Message("training.global_rng", what=what))
    if torch.equal(states[0], torch.Generator().manual_seed(seed).get_state()):
        raise CheckFailure(Message("training.generator_unused", what=what))


def _tensors(result, what: str) -> list[torch.Tensor]:
    leaves = tree_flatten(list(result) if _is_iterator(result) else result)[0]
    tensors = [leaf for leaf in leaves if isinstance(leaf, torch.Tensor)]
    if not tensors:
        raise CheckFailure(Message("training.no_tensors", what=what, type=type(result).__name__))
    return tensors


def _is_iterator(value) -> bool:
    return hasattr(value, "__next__") and iter(value) is value


# -- an optimiser's iterates -----------------------------------------------------------


def check_trajectory(
    result, expected: torch.Tensor, *, what: str, rule: str, names: str = "x"
) -> None:
    """``result[t]`` matches ``expected[t]`` (the rule, computed in float64) for every step t.

    rule: the update rule in words, e.g. "x_{t+1} = x_t - lr * grad(x_t)".
    names: the iterate's symbol in messages ("x" gives x_0, x_1, ...).
    """
    result = check_is_tensor(result, what)
    if tuple(result.shape) != tuple(expected.shape):
        check_shape(
            result,
            expected.shape,
            Message("training.stacked_iterates", what=what, names=names),
        )
    rtol, atol = tolerance(result.dtype)
    yours = result.detach().to("cpu", torch.float64)
    for t, (mine, wanted) in enumerate(zip(yours, expected, strict=True)):
        scale = max(1.0, float(wanted.abs().max())) if wanted.numel() else 1.0
        close = torch.isclose(mine, wanted, rtol=rtol, atol=atol * scale, equal_nan=True)
        if bool(close.all()):
            continue
        index = tuple(int(i) for i in (~close).nonzero()[0]) if mine.dim() else ()
        at = Message("training.at_index", index=index) if index else ""
        start = (
            Message("training.starting_point", names=names)
            if t == 0
            else Message("training.still_agreed", names=names, previous=t - 1)
        )
        raise CheckFailure(Message(
            "training.departs", what=what, names=names, t=t, rule=rule, start=start, at=at,
            yours=float(mine[index]), expected=float(wanted[index]),
        ))


# -- a whole run against its rule, replayed ------------------------------------------------


def check_follows_rule(
    result: dict[str, Any],
    expected: dict[str, torch.Tensor],
    *,
    what: str,
    rule: str,
    replay: str = "",
    precision: torch.dtype | None = None,
    mistakes: Iterable[tuple[str, Callable[[], dict]]] = (),
) -> None:
    """Every named result matches the grader's replay of ``rule``.

    result / expected: name -> tensor (or list of floats), e.g. ``{"w": w, "b": b}``;
        ``expected`` is computed in float64.
    replay: how the grader replays the rule, told when no known mistake explains
        the difference (e.g. "with your minibatches and the same generator state").
    precision: the dtype the learner computed in, which sets the tolerance
        (default: each result's own dtype; lists of floats count as float64).
    mistakes: ``(hint, outcome)`` pairs, ``outcome()`` replaying a known wrong
        rule; when the result matches one, the message gives its hint.
    """
    mine = {name: _as_tensor(value, Message("common.step", what=what, step=name))
            for name, value in result.items()}
    for name, wanted in expected.items():
        check_shape(mine[name], wanted.shape, Message("common.step", what=what, step=name))
    if _agree(mine, expected, precision):
        return
    for hint, outcome in mistakes:
        if _agree(mine, outcome(), precision):
            raise CheckFailure(Message("training.known_mistake", what=what, rule=rule, hint=hint))
    name, index = _first_difference(mine, expected, precision)
    at = f"{name}[{', '.join(map(str, index))}]" if index else name
    got, want = float(mine[name][index]), float(expected[name][index])
    how = Message("training.replayed", replay=replay) if replay else ""
    raise CheckFailure(Message("training.does_not_follow", what=what, rule=rule, how=how, at=at,
                               got=got, want=want))


def _as_tensor(value, what: str) -> torch.Tensor:
    if isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value):
        return torch.tensor(value, dtype=torch.float64)
    return check_is_tensor(value, what)


def _closeness(mine: torch.Tensor, wanted: torch.Tensor, precision) -> torch.Tensor:
    rtol, atol = tolerance(precision or mine.dtype)
    wanted = wanted.to(torch.float64)
    scale = max(1.0, float(wanted.abs().max())) if wanted.numel() else 1.0
    return torch.isclose(
        mine.detach().to("cpu", torch.float64), wanted, rtol=rtol, atol=atol * scale, equal_nan=True
    )


def _agree(mine: dict[str, torch.Tensor], wanted: dict[str, torch.Tensor], precision) -> bool:
    return all(
        mine[name].shape == wanted[name].shape and bool(_closeness(mine[name], t, precision).all())
        for name, t in wanted.items()
    )


def _first_difference(mine, expected, precision) -> tuple[str, tuple[int, ...]]:
    for name, wanted in expected.items():
        close = _closeness(mine[name], wanted, precision)
        if not bool(close.all()):
            return name, tuple(int(i) for i in (~close).nonzero()[0]) if close.dim() else ()
    raise AssertionError("no difference")  # only called after _agree said there is one


# -- plain Python values ---------------------------------------------------------------


def check_python_float(value, what: str) -> None:
    if isinstance(value, torch.Tensor):
        raise CheckFailure(Message("training.tensor_not_float", what=what,
                                   shape=tuple(value.shape)))
    if not isinstance(value, float):
        raise CheckFailure(Message("training.not_float", what=what, type=type(value).__name__,
                                   value=value))


# -- purity and device for arguments the generic checks do not reach ---------------------


class _FloatFactoryWatch(TorchFunctionMode):
    """Notes tensor factories called without ``device=`` that build floating tensors."""

    def __init__(self):
        super().__init__()
        self.culprits: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if (
            func in tensor_factories()
            and "device" not in kwargs
            and isinstance(result, torch.Tensor)
            and result.is_floating_point()
            and result.dim() > 0
        ):
            self.culprits.append(f"torch.{getattr(func, '__name__', func)}")
        return result


@runs_in_worker  # under --isolate: watches the code in its own process
def check_float_tensors_follow_device(fn, *args, what: str, **kwargs):
    """Call ``fn`` on CPU inputs; fail if it made a floating tensor (not a 0-dim constant)
    with a factory and no ``device=``: on a GPU it would sit on the CPU beside CUDA inputs.

    Index tensors (``torch.randperm``) may stay on the CPU: they index tensors
    on any device. Returns ``fn``'s result.
    """
    watch = _FloatFactoryWatch()
    with watch:
        result = fn(*args, **kwargs)
    if watch.culprits:
        raise CheckFailure(Message("training.factory_without_device", what=what,
                                   factory=watch.culprits[0]))
    return result


# -- one expensive run shared by several check families ----------------------------------


@dataclass
class SharedRun:
    """What one call did: its result, or the exception it raised."""

    result: Any = None
    error: BaseException | None = None

    def outcome(self):
        """The call's result; its exception again if it raised (a stub's stays a todo)."""
        if self.error is not None:
            raise self.error
        return self.result

    @property
    def timed_out(self) -> bool:
        """Stopped by the per-test time limit (pytest-timeout fails the test with "Timeout")."""
        error = self.error
        return isinstance(error, pytest.fail.Exception) and str(error).startswith("Timeout")


class RunOnce:
    """Calls an expensive function once per key (the implementation's module).

    A training run takes seconds; the families that judge its outcome
    (convergence, property ...) share one. A run that hit the per-test time
    limit is remembered as such, so the limit is spent once, not once per family.
    """

    def __init__(self) -> None:
        self._runs: dict[Any, SharedRun] = {}

    def __call__(self, key, fn: Callable, *args, **kwargs) -> SharedRun:
        if key not in self._runs:
            self._runs[key] = self._run(fn, args, kwargs)
        return self._runs[key]

    def stop_if_timed_out(self, key) -> None:
        """Raise the shared run's time-limit failure again, if it had one: other checks
        of the same code then fail at once instead of spending the limit again."""
        run = self._runs.get(key)
        if run is not None and run.timed_out:
            run.outcome()

    @staticmethod
    def _run(fn, args, kwargs) -> SharedRun:
        try:
            return SharedRun(result=fn(*args, **kwargs))
        # Kept for every family. pytest-timeout's limit arrives as pytest's Failed, a
        # BaseException: remembered too, so the limit is spent once.
        except (Exception, pytest.fail.Exception) as error:
            return SharedRun(error=error)
