"""Self-tests of the guard check: forbidden calls judged by identity (SPEC §1).

Every way of reaching a forbidden function must be caught under its public
name, and, just as important, nothing a correct solution calls may be.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import (
    CallGuard,
    ForbiddenRules,
    check_no_forbidden_calls,
    check_source_clean,
    resolve,
    scan_source,
)

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS_TOPIC = ("torch.nn.functional.*", "torch.special.*", "logsigmoid", "logsumexp",
                     "softmax", "log_softmax")
X = torch.randn(4, 5)


def activation_rules(name: str, own: str | None = None) -> ForbiddenRules:
    own = own or name.removesuffix("_backward")
    return ForbiddenRules(f"activations.{name}", (*ACTIVATIONS_TOPIC, own))


def messages(rules: ForbiddenRules, action) -> list[str]:
    guard = CallGuard(rules)
    with guard:
        action()
    return [violation.message for violation in guard.violations]


def assert_caught(rules: ForbiddenRules, action, called: str, because: str = "") -> None:
    found = messages(rules, action)
    assert found, "nothing was caught"
    assert found[0].startswith(f"you called {called}"), found[0]
    assert because in found[0], found[0]


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


# -- no false alarms -------------------------------------------------------------------

def allowed_activation_code():
    """What correct activations are made of (SPEC §2, topic 4: 'everything else')."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        pieces = [torch.exp(X), torch.log(X.abs() + 1), torch.erf(X), torch.expm1(X),
                  X.clamp(min=0), torch.where(X > 0, X, 0), torch.maximum(X, X), X.amax(0),
                  X.max(), X.sum(), torch.zeros_like(X), torch.copysign(X, X), X.abs(),
                  torch.randn(2, generator=generator), X.new_zeros(3), X.T, X[0], X.shape]
    return pieces, repr(X), len(X), X._version, X.numel(), X @ X.T


@pytest.mark.parametrize("name", ["sigmoid", "tanh_backward", "relu", "leaky_relu_backward",
                                  "gelu", "softmax", "log_softmax_backward"])
def test_everything_else_stays_allowed_in_activations(name):
    assert messages(activation_rules(name), allowed_activation_code) == []


def test_a_function_forbidden_in_one_exercise_is_allowed_in_the_next():
    assert messages(activation_rules("gelu"), lambda: (torch.tanh(X), torch.sigmoid(X))) == []
    assert messages(activation_rules("softmax"), lambda: X.sigmoid().tanh().relu()) == []


def test_calls_inside_an_allowed_torch_function_are_not_blamed():
    # torch.norm runs torch.linalg.vector_norm inside, cross_entropy log_softmax: torch's business.
    rules = ForbiddenRules("tensors.outer", ("linalg.*", "log_softmax", "softmax"))
    labels = torch.tensor([0, 1, 2, 3])
    assert messages(rules, lambda: (torch.norm(X), F.cross_entropy(X, labels))) == []


def load_reference_activations():
    path = ROOT / "solutions" / "activations.py"
    if not path.exists():
        pytest.skip("no reference activations yet")
    spec = importlib.util.spec_from_file_location("guard_selftest_activations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalogue_rules(topic_name: str) -> dict[str, ForbiddenRules]:
    catalogue = tomllib.loads((ROOT / "catalog.toml").read_text(encoding="utf-8"))
    rules = {}
    for topic in catalogue.get("topic", []):
        for exercise in topic.get("exercise", []):
            entries = (*topic.get("forbidden", ()), *exercise.get("forbidden", ()))
            exercise_id = f"{topic['name']}.{exercise['name']}"
            if topic["name"] == topic_name or topic_name == "*":
                rules[exercise_id] = ForbiddenRules(exercise_id, entries)
    return rules


def test_every_catalogue_entry_names_something_in_torch():
    for rules in catalogue_rules("*").values():
        assert resolve(rules).by_id


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_the_reference_activations_pass_their_guard(approximate):
    reference = load_reference_activations()
    for exercise_id, rules in catalogue_rules("activations").items():
        function = getattr(reference, exercise_id.partition(".")[2])
        arguments = (X, X) if exercise_id.endswith("_backward") else (X,)
        options = {"approximate": approximate} if "gelu" in exercise_id else {}
        check_no_forbidden_calls(function, *arguments, rules=rules, **options)


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


# -- the other topics' code (SPEC §1) ----------------------------------------------------

@pytest.fixture
def learner_package(tmp_path, monkeypatch):
    """A submission whose layers use its own activations, which call F.sigmoid."""
    package = tmp_path / "guard_selftest_submission"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "activations.py").write_text(textwrap.dedent("""
        import torch.nn.functional as F
        def sigmoid(x):
            return F.sigmoid(x)
    """))
    (package / "layers.py").write_text(textwrap.dedent("""
        from .activations import sigmoid
        class Sigmoid:
            def forward(self, x):
                return sigmoid(x)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("guard_selftest_submission.layers")
    for name in [m for m in sys.modules if m.startswith("guard_selftest_submission")]:
        del sys.modules[name]


def test_code_of_other_topics_is_graded_there_not_here(learner_package):
    entries = ("torch.nn.*", "torch.nn.functional.*")
    forward = learner_package.Sigmoid().forward
    trusting = ForbiddenRules("layers.Sigmoid", entries, other_topics=("activations", "losses"))
    assert messages(trusting, lambda: forward(X)) == []
    assert_caught(ForbiddenRules("layers.Sigmoid", entries), lambda: forward(X),
                  "torch.nn.functional.sigmoid")


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


# -- the source scan --------------------------------------------------------------------------

SUBMISSION = '''
"""Docstrings may mention torch._C and ctypes."""
import ctypes
import torch


def softmax(x, dim=-1):
    with torch._C.DisableTorchFunction():
        return torch.softmax(x, dim)


def _trick(x):
    import sys
    sys.settrace(None)
    return x


def sigmoid(x):
    return _trick(x)


def relu(x, scale=torch.overrides._pop_mode):
    return x


def tanh(x):
    _C = {"_C": 2}
    version = x._version
    return torch.tanh(x) * _C["_C"] + torch.tensor(0.0) * version
'''


@pytest.fixture
def scanned(tmp_path):
    path = tmp_path / "activations.py"
    path.write_text(SUBMISSION)
    return scan_source(path)


def test_the_scan_keys_a_finding_by_the_function_holding_it(scanned):
    assert [(f.line, f.what) for f in scanned["softmax"]] == [(8, "torch._C.DisableTorchFunction")]


def test_module_level_findings_count_against_every_exercise(scanned):
    assert [(f.line, f.what) for f in scanned[None]] == [
        (3, "ctypes"), (22, "torch.overrides._pop_mode")]  # a default value runs at import


def test_a_helper_s_finding_counts_against_its_callers(scanned):
    assert [(f.line, f.where) for f in scanned["sigmoid"]] == [(14, "_trick")]


def test_innocent_code_is_not_flagged(scanned):
    assert "tanh" not in scanned
    assert "relu" not in scanned


def test_check_source_clean_names_the_file_line_and_what(scanned):
    with pytest.raises(CheckFailure, match=r"^activations\.py, line 3: `ctypes`"):
        check_source_clean(scanned, "activations.tanh")
    with pytest.raises(CheckFailure, match=r"line 14 \(in _trick, which sigmoid uses\)"):
        check_source_clean({"sigmoid": scanned["sigmoid"]}, "sigmoid")
    check_source_clean({"sigmoid": scanned["sigmoid"]}, "tanh")


def test_the_reference_activations_scan_clean():
    path = ROOT / "solutions" / "activations.py"
    if not path.exists():
        pytest.skip("no reference activations yet")
    assert scan_source(path) == {}


ESCAPES = {  # one function's body -> a word of the finding's sentence
    "from torch import _C\n    _C.DisableTorchFunction()": "C layer",
    "getattr(torch, '_C')": "C layer",
    "vars(torch)['_C']": "C layer",
    "import sys\n    sys.modules['torch._C']": "sys.modules",
    "torch.overrides._pop_mode()": "function modes",
    "__import__('ctypes')": "ctypes",
    "import importlib\n    importlib.import_module(x)": "computed name",
    "import sys\n    sys.setprofile(None)": "tracing",
    "__import__('sys')._getframe(1).f_back": "introspection",
    "eval('x')": "strings",
    "torch._softmax(x, 0, False)": "private functions",
    "import threading\n    threading.Thread(target=torch.softmax).start()": "another thread",
}


@pytest.mark.parametrize("body", ESCAPES)
def test_each_way_around_the_run_time_guard_is_found(tmp_path, body):
    path = tmp_path / "escape.py"
    path.write_text(f"import torch\n\n\ndef cheat(x):\n    {body}\n    return x\n")
    findings = scan_source(path)
    assert list(findings) == ["cheat"], findings
    assert any(ESCAPES[body] in finding.sentence for finding in findings["cheat"]), findings


INNOCENT = [
    "x._version",
    "_C = 1.0",
    "torch.tensor([1.0])",
    "{'_C': 1}['_C']",
    "getattr(torch, 'soft' + 'max')",  # judged at run time, by what it returns
    "import re\n    re.compile('x')",
    "torch.Tensor.__add__(x, x)",
    "torch.finfo(x.dtype).eps",
]


@pytest.mark.parametrize("body", INNOCENT)
def test_innocent_code_is_left_alone(tmp_path, body):
    path = tmp_path / "innocent.py"
    layer = ("class Layer:\n    def __init__(self):\n        self._C = 1\n\n"
             "    def forward(self, x):\n        return x * self._C\n")
    path.write_text(f'"""Mentions torch._C."""\nimport torch\n\n\ndef fine(x):\n    {body}\n'
                    f"    return x\n\n\n{layer}")
    assert scan_source(path) == {}


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
