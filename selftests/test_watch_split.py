"""Watch's grading split between forked processes gives the verdict of one process.

Each test grades one exercise in this process twice, with ``processes=1``
and ``processes=2`` (:mod:`gradkata.split`), and compares the Gradescope
documents whole: states, scores, checks and the explanation of the first
failed test. The wrong implementation fails two tests of one family, one in
each process's share, with different explanations, so the merge must keep
the order one process records. A child that dies, or hangs, costs time only.
"""

from __future__ import annotations

import inspect
import os
import time

import pytest

from gradkata import split
from gradkata.catalog import load_catalog
from gradkata.runner import GradeRequest, grade, warm_up

from .course_copy import PROFILE, replace_definition, scratch_course
from .known_wrong import activations as wrong_activations

pytestmark = pytest.mark.skipif(not split.supported(), reason="splitting needs os.fork (POSIX)")

TOPIC, NAME = "activations", "relu_backward"
# fails two gradient tests: test 1 of the run (random inputs, in the child's share) and
# test 2 (at x = 0, the parent's): one process explains with the first, and so must two
WRONG = wrong_activations.relu_backward_passing_gradient_at_zero


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    warm_up()
    folder = scratch_course(tmp_path_factory.mktemp("split"), (TOPIC,), {})
    return load_catalog(folder / "catalog.toml")


@pytest.fixture(scope="module")
def request_for(course):
    tests = (course.root / "tests" / f"test_{TOPIC}.py",)
    return GradeRequest(exercises=(f"{TOPIC}.{NAME}",), profile=PROFILE, test_files=tests)


def with_implementation(course, function) -> None:
    """The topic's module: the reference, the exercise replaced by ``function`` unless None."""
    reference = (course.root / "solutions" / f"{TOPIC}.py").read_text()
    if function is not None:
        source = inspect.getsource(function)
        source = source[source.index("def "):].replace(f"def {function.__name__}(",
                                                        f"def {NAME}(", 1)
        reference = replace_definition(reference, NAME, source)
    (course.root / "exercises" / f"{TOPIC}.py").write_text(reference)


def verdict(course, request, processes: int) -> dict:
    run = grade(course, request, processes=processes)
    document = dict(run.document)
    document.pop("execution_time")
    return {"exit_code": run.exit_code, "document": document}


@pytest.fixture
def deliveries(monkeypatch):
    """How many tests each child delivered to the parent, child by child."""
    counted: list[int] = []
    receive = split._Child.receive

    def counting(child, expected, patience):
        delivered = receive(child, expected, patience)
        counted.append(len(delivered))
        return delivered

    monkeypatch.setattr(split._Child, "receive", counting)
    return counted


@pytest.mark.parametrize("implementation", [WRONG, None], ids=["known-wrong", "reference"])
def test_two_processes_give_the_verdict_of_one(course, request_for, deliveries, implementation):
    with_implementation(course, implementation)
    single = verdict(course, request_for, processes=1)
    assert deliveries == [], "one process forked"
    split_verdict = verdict(course, request_for, processes=2)
    assert deliveries == [6], "the child did not deliver its share: no split happened"
    assert split_verdict == single
    (graded,) = single["document"]["tests"]
    if implementation is None:
        assert graded["extra_data"]["state"] == "passed"
        return
    assert graded["extra_data"]["state"] == "failed"
    assert graded["output"].startswith(f"{NAME}(grad_out, x) differs"), graded["output"]


def test_a_child_that_dies_or_hangs_has_its_tests_run_by_the_parent(
        course, request_for, deliveries, monkeypatch):
    with_implementation(course, WRONG)
    single = verdict(course, request_for, processes=1)
    send = split._ChildShare.send

    def hang_after_one_test(plugin, kind, *body):
        send(plugin, kind, *body)
        if kind == "test":
            time.sleep(600)

    monkeypatch.setattr(split._ChildShare, "send", hang_after_one_test)
    monkeypatch.setattr(split, "_patience", lambda grading: 1.0)
    started = time.perf_counter()
    assert verdict(course, request_for, processes=2) == single
    assert time.perf_counter() - started < 60, "the parent waited for the hung child"
    assert deliveries == [1], "the test the child finished before it hung was not kept"

    def die_at_the_first_test(plugin, kind, *body):
        if kind == "test":
            os._exit(3)
        send(plugin, kind, *body)

    monkeypatch.setattr(split._ChildShare, "send", die_at_the_first_test)
    assert verdict(course, request_for, processes=2) == single
    assert deliveries == [1, 0]


def test_one_process_without_fork_or_when_asked(monkeypatch):
    assert split.default_processes(1) == 1
    assert split.default_processes(8) <= (os.cpu_count() or 1)
    monkeypatch.delattr(os, "fork")
    assert split.default_processes() == 1
