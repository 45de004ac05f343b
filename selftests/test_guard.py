"""Self-tests of the guard check: forbidden calls judged by identity (SPEC §1).

Every way of reaching a forbidden function must be caught under its public
name: each spelling, alias, in-place twin and C-level twin, the rules SPEC §1
sets for every exercise, Python-level torch code, and ``check_no_forbidden_calls``
itself (what it returns, raises and reports). What must stay allowed is in
test_guard_allowed.py, the source scan in test_guard_scan.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import ForbiddenRules, check_no_forbidden_calls, resolve

from .guard_rules import X, activation_rules, assert_caught, messages

# -- every spelling of a forbidden function -------------------------------------------

SOFTMAX_SPELLINGS = {
    "torch.softmax": lambda: torch.softmax(X, 0),
    "Tensor.softmax": lambda: X.softmax(0),
    "torch.nn.functional.softmax": lambda: F.softmax(X, 0),
    "torch.special.softmax": lambda: torch.special.softmax(X, 0),
}


@pytest.mark.parametrize("spelling", SOFTMAX_SPELLINGS)
def test_each_spelling_of_softmax_is_caught_under_its_public_name(spelling):
    assert_caught(activation_rules("softmax"), SOFTMAX_SPELLINGS[spelling], spelling,
                  "activations.softmax must compute softmax itself")


def test_a_dynamic_lookup_is_the_function_it_finds():
    assert_caught(activation_rules("softmax"), lambda: getattr(torch, "soft" + "max")(X, 0),
                  "torch.softmax (also Tensor.softmax")


def test_the_c_twin_of_a_function_is_that_function():
    action = lambda: torch._C._VariableFunctions.softmax(X, 0)  # noqa: E731
    assert_caught(activation_rules("softmax"), action, "torch.softmax")


IN_PLACE = {
    "torch.relu_": lambda: torch.relu_(X.clone()),
    "Tensor.relu_": lambda: X.clone().relu_(),
    "Tensor.sigmoid_": lambda: X.clone().sigmoid_(),
}


@pytest.mark.parametrize("spelling", IN_PLACE)
def test_in_place_variants_are_caught(spelling):
    own = spelling.rpartition(".")[2].removesuffix("_")
    assert_caught(activation_rules(f"{own}_backward", own), IN_PLACE[spelling], spelling)


ALIASES = {  # exercise id, entries, action, public name
    "expit": ("activations.sigmoid", ("sigmoid",), lambda: torch.special.expit(X),
              "torch.special.expit (sigmoid under another name)"),
    "log_sigmoid": ("losses.bce_loss", ("logsigmoid",), lambda: torch._C._nn.log_sigmoid(X),
                    "torch.nn.functional.logsigmoid"),
    "linalg.matmul": ("tensors.matmul", ("matmul",), lambda: torch.linalg.matmul(X, X.T),
                      "torch.linalg.matmul"),
    "vector_norm": ("tensors.l2_norm", ("norm",), lambda: torch.linalg.vector_norm(X),
                    "torch.linalg.vector_norm (norm under another name)"),
}


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases_are_caught(alias):
    exercise, entries, action, called = ALIASES[alias]
    assert_caught(ForbiddenRules(exercise, entries), action, called)


def test_the_matmul_operator_is_named_as_written():
    rules = ForbiddenRules("tensors.outer", ("outer", "@"))
    assert_caught(rules, lambda: X @ X.T, "`@` / Tensor.matmul", "`@` is off limits")


def test_a_namespace_wildcard_names_the_function_and_the_namespace():
    assert_caught(activation_rules("softmax"), lambda: F.gelu(X), "torch.nn.functional.gelu",
                  "torch.nn.functional.* is off limits in activations.softmax")


# -- SPEC §1's rules for every exercise --------------------------------------------------

def differentiate(t: torch.Tensor):
    return torch.autograd.grad((t * t).sum(), t)


EVERYWHERE = {
    "torch.ops.aten.sigmoid": (lambda: torch.ops.aten.sigmoid(X), "torch.ops kernels"),
    "torch.ops.aten.sigmoid_backward.default": (
        lambda: torch.ops.aten.sigmoid_backward.default(X, X), "torch.ops kernels"),
    "torch._softmax": (lambda: torch._softmax(X, 0, False), "private functions"),
    "torch._C._nn.mse_loss": (lambda: torch._C._nn.mse_loss(X, X), "private functions"),
    "torch._refs.softmax": (lambda: torch._refs.softmax(X, 0), "private functions"),
    "Tensor.backward": (lambda: X.clone().requires_grad_().sum().backward(), "autograd"),
    "torch.autograd.grad": (lambda: differentiate(torch.ones(2, requires_grad=True)), "autograd"),
    "torch.autograd.functional.jacobian": (
        lambda: torch.autograd.functional.jacobian(lambda t: t * 2, torch.ones(2)), "autograd"),
    "torch.func.grad": (lambda: torch.func.grad(torch.sum)(torch.ones(2)), "autograd"),
    "torch.vmap": (lambda: torch.vmap(lambda t: t * 2)(torch.ones(2, 2)), "torch.func"),
    "Tensor.numpy": (lambda: X.numpy(), "leaving torch"),
    "Tensor.__array__": (lambda: np.asarray(X), "leaving torch"),
    "Tensor.tolist": (lambda: X.tolist(), "leaving torch"),
}


@pytest.mark.parametrize("called", EVERYWHERE)
def test_spec_rules_hold_in_every_exercise(called):
    action, because = EVERYWHERE[called]
    assert_caught(ForbiddenRules("tensors.outer", ("outer",)), action, called, because)


def test_tolist_of_one_element_and_item_are_fine():
    rules = activation_rules("relu")
    assert messages(rules, lambda: (X[0, 0].tolist(), X[0, 0].item(), float(X[0, 0]))) == []


def test_grad_mode_switches_are_allowed_even_where_autograd_is_forbidden():
    rules = ForbiddenRules("derivatives.numerical_gradient", ("autograd", "torch.autograd.*"))

    def uses_grad_modes():
        with torch.no_grad():
            X.clone().mul_(2)
        with torch.enable_grad(), torch.set_grad_enabled(False), torch.inference_mode():
            X.sum()

    assert messages(rules, uses_grad_modes) == []


# -- Python-level torch code: what the learner called is named --------------------------

LAYERS = ForbiddenRules("layers.Linear",
                        ("autograd", "torch.nn.*", "torch.nn.functional.*", "addmm"))
PYTHON_LEVEL = {
    "torch.nn.Linear": (LAYERS, lambda: torch.nn.Linear(5, 2)(X)),
    "torch.nn.Sigmoid": (LAYERS, lambda: torch.nn.Sigmoid()(X)),
    "torch.optim.SGD": (ForbiddenRules("optim.sgd_step", ("torch.optim.*",)),
                        lambda: torch.optim.SGD([torch.ones(2, requires_grad=True)], 0.1).step()),
    "torch.nn.functional.gelu through torch.nn.GELU": (
        activation_rules("gelu"), lambda: torch.nn.GELU()(X)),
}


@pytest.mark.parametrize("called", PYTHON_LEVEL)
def test_python_level_torch_code_is_named_by_what_the_learner_called(called):
    rules, action = PYTHON_LEVEL[called]
    assert_caught(rules, action, called)


# -- check_no_forbidden_calls ---------------------------------------------------------------

def test_check_no_forbidden_calls_returns_the_result():
    result = check_no_forbidden_calls(torch.add, X, 1, rules=activation_rules("relu"))
    assert torch.equal(result, X + 1)


def test_check_no_forbidden_calls_names_the_first_forbidden_call():
    def cheat(x):
        return torch.softmax(x, -1).log()

    with pytest.raises(CheckFailure, match=r"^you called torch\.softmax .* at test_guard\.py:\d+"):
        check_no_forbidden_calls(cheat, X, rules=activation_rules("log_softmax"))


def test_a_forbidden_call_is_reported_even_if_the_function_then_fails():
    def cheat_then_fail(x):
        torch.softmax(x, -1)
        raise ValueError("boom")

    with pytest.raises(CheckFailure, match=r"torch\.softmax"):
        check_no_forbidden_calls(cheat_then_fail, X, rules=activation_rules("softmax"))


def test_a_stub_still_raises_not_implemented():
    def stub(x):
        raise NotImplementedError("softmax")

    with pytest.raises(NotImplementedError):
        check_no_forbidden_calls(stub, X, rules=activation_rules("softmax"))


def test_catalogue_typos_are_loud():
    for entry in ("sofmax", "torch.nn.Nope", "linalg.nope*"):
        with pytest.raises(ValueError, match="names nothing in torch"):
            resolve(ForbiddenRules("activations.softmax", (entry,)))


def test_resolution_is_cached():
    assert resolve(activation_rules("relu")) is resolve(activation_rules("relu"))


def test_a_generator_runs_under_the_guard():
    def cheating_rows(x):
        yield from torch.softmax(x, 0)

    def rows(x):
        yield from x.exp()

    with pytest.raises(CheckFailure, match=r"torch\.softmax"):
        check_no_forbidden_calls(cheating_rows, X, rules=activation_rules("softmax"))
    rows = check_no_forbidden_calls(rows, X, rules=activation_rules("softmax"))
    assert len(list(rows)) == len(X)


def test_an_exercise_that_is_a_torch_function_is_caught():
    softmax = torch.softmax  # what `softmax = torch.softmax` in a submission amounts to
    with pytest.raises(CheckFailure, match=r"^you called torch\.softmax \(also .*\) — "):
        check_no_forbidden_calls(softmax, X, 0, rules=activation_rules("softmax"))
