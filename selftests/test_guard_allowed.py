"""Self-tests of the guard check: no false alarms (SPEC §1, §2).

Nothing a correct solution calls may be caught: the building blocks the
activations are made of, what one exercise forbids but the next allows, calls
torch makes inside an allowed function, and code of other topics, which is
graded there. The reference activations must pass their own guard, and every
catalogue entry must name something in torch.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import tomllib

import pytest
import torch
import torch.nn.functional as F

from gradkata.checks.guard import ForbiddenRules, check_no_forbidden_calls, resolve

from .conftest import ROOT
from .guard_rules import X, activation_rules, assert_caught, messages

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
