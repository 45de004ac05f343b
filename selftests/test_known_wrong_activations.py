"""Every activations check catches the learner mistake it is meant for, and passes the reference.

Runs the real grading tests of ``tests/test_activations.py`` in-process
(``gradkata.selfcheck``) against the reference with one function replaced
by a known-wrong version.
"""

from __future__ import annotations

import types
from collections import Counter

import pytest

from gradkata.selfcheck import failed_families, load_test_module, run_exercise_checks

from .conftest import ROOT
from .known_wrong import activations as _register  # noqa: F401 - fills the registry
from .known_wrong.registry import KNOWN_WRONG

TOPIC = "activations"
MISTAKES = [k for k in KNOWN_WRONG if k.exercise.startswith(f"{TOPIC}.")]


@pytest.fixture(scope="module")
def grading_tests():
    return load_test_module(ROOT / "tests" / f"test_{TOPIC}.py")


def with_replaced(module: types.ModuleType, name: str, function) -> types.ModuleType:
    """A copy of ``module`` whose ``name`` is ``function`` (the rest stays the reference)."""
    copy = types.ModuleType(module.__name__ + "_with_" + function.__name__)
    copy.__dict__.update({k: v for k, v in vars(module).items() if k != "__name__"})
    setattr(copy, name, function)
    return copy


def test_there_are_enough_known_mistakes_for_every_exercise(catalog):
    per_exercise = Counter(k.exercise for k in MISTAKES)
    exercises = [ex.id for ex in catalog.topic(TOPIC).exercises]
    assert len(MISTAKES) >= 20
    assert [ex for ex in exercises if per_exercise[ex] == 0] == []


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda k: k.name)
def test_known_mistake_is_caught_by_its_family(mistake, catalog, reference, grading_tests):
    exercise = catalog.exercise(mistake.exercise)
    module = with_replaced(reference.module(exercise.topic), exercise.name, mistake.function)
    runs = run_exercise_checks(grading_tests, catalog, exercise, module, {mistake.caught_by})
    failed = failed_families(runs)
    assert mistake.caught_by in failed, f"{mistake.name} slipped through; failed: {sorted(failed)}"
    messages = "\n".join(failed[mistake.caught_by])
    assert mistake.says in messages, f"{mistake.name}: message does not name the mistake:\n{messages}"


@pytest.mark.parametrize("exercise_id", [f"{TOPIC}.{n}" for n in (
    "sigmoid", "sigmoid_backward", "tanh", "tanh_backward", "relu", "relu_backward",
    "leaky_relu", "leaky_relu_backward", "gelu", "gelu_backward", "softmax",
    "softmax_backward", "log_softmax", "log_softmax_backward")])
def test_reference_passes_every_check(exercise_id, catalog, reference, grading_tests):
    exercise = catalog.exercise(exercise_id)
    runs = run_exercise_checks(grading_tests, catalog, exercise, reference.module(exercise.topic))
    assert runs, "no grading test found for this exercise"
    assert failed_families(runs) == {}
