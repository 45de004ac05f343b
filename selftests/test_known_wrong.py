"""Every check catches the learner mistake it is meant for, and passes the reference.

For each topic, ``selftests/known_wrong/<topic>.py`` registers realistic
wrong implementations, each with the check family meant to catch it and a
phrase that family's message must contain. The real grading tests of
``tests/test_<topic>.py`` run in-process (``gradkata.selfcheck``) against the
reference with one name replaced by the wrong version.
"""

from __future__ import annotations

import importlib
import types
from collections import Counter

import pytest
import torch
from hypothesis import settings

from gradkata.messages import render
from gradkata.selfcheck import failed_families, families_of, load_test_module, run_exercise_checks

from .conftest import ROOT
from .known_wrong.registry import KNOWN_WRONG
from .test_messages import CJK, english_left_in

TOPICS = sorted(
    p.stem
    for p in (ROOT / "selftests" / "known_wrong").glob("*.py")
    if p.stem not in ("__init__", "registry")
)
for _topic in TOPICS:  # importing a topic's module registers its mistakes
    importlib.import_module(f"selftests.known_wrong.{_topic}")
GRADED_TOPICS = sorted(p.stem.removeprefix("test_") for p in (ROOT / "tests").glob("test_*.py"))
MISTAKES = list(KNOWN_WRONG)
MINIMUM_PER_TOPIC = {"activations": 20}  # issue-set floors; every other topic: 3


@pytest.fixture(autouse=True)
def _as_a_learner_grading_run():
    """One torch thread, as grading runs (gradkata.session), and the learner's
    `dev` profile, whatever another test in this process loaded before."""
    threads, profile = torch.get_num_threads(), settings.get_current_profile_name()
    torch.set_num_threads(1)
    settings.load_profile("dev")
    yield
    torch.set_num_threads(threads)
    settings.load_profile(profile)


_grading_tests: dict[str, types.ModuleType] = {}


def grading_tests(topic: str) -> types.ModuleType:
    if topic not in _grading_tests:
        _grading_tests[topic] = load_test_module(ROOT / "tests" / f"test_{topic}.py")
    return _grading_tests[topic]


def with_replaced(module: types.ModuleType, name: str, implementation) -> types.ModuleType:
    """A copy of ``module`` whose ``name`` is ``implementation`` (the rest stays the reference)."""
    copy = types.ModuleType(module.__name__ + "_with_" + implementation.__name__)
    copy.__dict__.update({k: v for k, v in vars(module).items() if k != "__name__"})
    setattr(copy, name, implementation)
    return copy


@pytest.mark.parametrize("topic", GRADED_TOPICS)
def test_every_topic_has_enough_known_mistakes_for_every_exercise(topic, catalog):
    per_exercise = Counter(k.exercise for k in MISTAKES if k.exercise.startswith(f"{topic}."))
    assert sum(per_exercise.values()) >= MINIMUM_PER_TOPIC.get(topic, 3)
    assert [ex.id for ex in catalog.topic(topic).exercises if per_exercise[ex.id] == 0] == []


@pytest.mark.parametrize("topic", GRADED_TOPICS)
def test_every_check_family_a_topic_uses_is_proved_able_to_fail(topic, catalog):
    used = families_of(grading_tests(topic), catalog.topic(topic))
    proved = {k.caught_by for k in MISTAKES if k.exercise.startswith(f"{topic}.")}
    assert used - proved == set(), f"no known mistake proves these {topic} checks can fail"


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda k: k.name)
def test_known_mistake_is_caught_by_its_family(mistake, catalog, reference):
    exercise = catalog.exercise(mistake.exercise)
    module = with_replaced(reference.module(exercise.topic), exercise.name, mistake.function)
    runs = run_exercise_checks(
        grading_tests(exercise.topic), catalog, exercise, module, {mistake.caught_by}
    )
    failed = failed_families(runs)
    assert mistake.caught_by in failed, f"{mistake.name} slipped through; failed: {sorted(failed)}"
    messages = "\n".join(failed[mistake.caught_by])
    assert mistake.says in messages, (
        f"{mistake.name}: message does not name the mistake:\n{messages}"
    )
    for message in failed[mistake.caught_by]:  # and says it in Chinese too (--lang zh)
        chinese = render(message, "zh")
        assert CJK.search(chinese), f"{mistake.name}: no Chinese in:\n{chinese}"
        assert not english_left_in(chinese), (
            f"{mistake.name}: the Chinese explanation leaves English:\n{chinese}"
        )


def _graded_exercise_ids() -> list[str]:
    from gradkata.catalog import load_catalog

    catalog = load_catalog(ROOT / "catalog.toml")
    return [ex.id for topic in GRADED_TOPICS for ex in catalog.topic(topic).exercises]


@pytest.mark.parametrize("exercise_id", _graded_exercise_ids())
def test_reference_passes_every_check(exercise_id, catalog, reference):
    exercise = catalog.exercise(exercise_id)
    runs = run_exercise_checks(
        grading_tests(exercise.topic), catalog, exercise, reference.module(exercise.topic)
    )
    assert runs, "no grading test found for this exercise"
    assert failed_families(runs) == {}
