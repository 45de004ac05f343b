"""Whole grading runs, as learners and course staff start them (one subprocess each).

Kept few: each run pays for importing torch. The in-process self-tests
cover the checks themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

ACTIVATIONS = ["sigmoid", "sigmoid_backward", "tanh", "tanh_backward", "relu", "relu_backward",
               "leaky_relu", "leaky_relu_backward", "gelu", "gelu_backward", "softmax",
               "softmax_backward", "log_softmax", "log_softmax_backward"]
SPEC_TOP_KEYS = {"score", "execution_time", "output", "extra_data", "tests"}
SPEC_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "extra_data"}


def grade(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict | None]:
    """Run the course's grading suite from a scratch directory; return the run and its JSON."""
    result = pytester.runpytest_subprocess(
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(ROOT / "tests"),
        "--grade-json", "grade.json", *args)
    path = pytester.path / "grade.json"
    return result, json.loads(path.read_text()) if path.exists() else None


def states(document: dict) -> dict[str, str]:
    return {t["name"].split(".", 1)[1]: t["extra_data"]["state"] for t in document["tests"]}


def submission(pytester: pytest.Pytester, source: str) -> str:
    """A submission directory holding one activations.py."""
    folder = pytester.mkdir("submission")
    (folder / "activations.py").write_text(source)
    return str(folder)


def reference_source() -> str:
    return (ROOT / "solutions" / "activations.py").read_text()


def test_reference_scores_full_marks_in_spec_json(pytester):
    result, document = grade(pytester, "--impl", "solutions", "--require-complete")
    assert result.ret == 0, result.stdout.str()
    assert set(document) == SPEC_TOP_KEYS
    assert document["score"] == sum(t["max_score"] for t in document["tests"]) == 28.0
    assert [t["name"] for t in document["tests"]] == [f"activations.{n}" for n in ACTIVATIONS]
    assert [t["number"] for t in document["tests"]] == [f"4.{i}" for i in range(1, 15)]
    assert document["extra_data"]["impl"] == "solutions"
    assert document["extra_data"]["seed"] == 0
    for test in document["tests"]:
        assert set(test) == SPEC_TEST_KEYS
        assert (test["status"], test["output"], test["tags"]) == ("passed", "", ["activations"])
        checks = test["extra_data"]["checks"]
        assert {"guard", "purity", "dtype", "device", "stability", "property"} <= set(checks)
        assert ("grad" if test["name"].endswith("_backward") else "value") in checks
        assert set(checks.values()) == {"passed"}
    result.stdout.fnmatch_lines(["*grade card*", "total 28.0 / 28.0*", "*all selected exercises pass*"])


def test_untouched_stubs_are_todo_with_no_traceback(pytester):
    result, document = grade(pytester)
    assert result.ret == 0, result.stdout.str()
    assert set(states(document).values()) == {"todo"}
    assert document["score"] == 0
    output = result.stdout.str()
    assert "Traceback" not in output and "raise NotImplementedError" not in output
    result.stdout.fnmatch_lines(["*4.1*activations.sigmoid*todo*",
                                 "next up: 4.1 activations.sigmoid — *exercises/activations.py:*"])


def test_require_complete_fails_a_run_with_todo(pytester):
    result, _ = grade(pytester, "--require-complete", "--exercise", "4.1")
    assert result.ret == 1


def test_a_syntax_error_makes_the_topic_error_and_the_run_completes(pytester):
    folder = submission(pytester, "import torch\n\ndef sigmoid(x)\n    return x\n")
    result, document = grade(pytester, "--impl", folder)
    assert result.ret == 1
    assert set(states(document).values()) == {"error"}
    assert "SyntaxError at line 3" in document["tests"][0]["output"]
    result.stdout.fnmatch_lines(["*activations.py could not be imported: SyntaxError at line 3*"])


def test_a_mixed_submission_gets_partial_credit_todo_blocked_and_missing(pytester):
    source = reference_source()
    source = source.replace("def sigmoid(x", "def sigmoid(x):\n    raise NotImplementedError\n\n\ndef _old_sigmoid(x", 1)
    source = source.replace("def gelu_backward(", "def _renamed_gelu_backward(", 1)
    source += "\n\ndef tanh(x):\n    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))\n"
    result, document = grade(pytester, "--impl", submission(pytester, source))
    assert result.ret == 1
    by_name = {t["name"].split(".", 1)[1]: t for t in document["tests"]}
    assert states(document)["sigmoid"] == "todo"
    assert by_name["sigmoid_backward"]["extra_data"]["state"] == "todo"
    assert "blocked by 4.1" in by_name["sigmoid_backward"]["output"]
    assert states(document)["gelu_backward"] == "missing"
    tanh = by_name["tanh"]
    assert tanh["extra_data"]["state"] == "failed"
    assert tanh["extra_data"]["checks"]["stability"] == "failed"
    assert 0 < tanh["score"] < tanh["max_score"]
    assert "not finite" in tanh["output"]
    assert states(document)["relu"] == "passed"
    result.stdout.fnmatch_lines(["*4.3*activations.tanh*failed*", "*stability: tanh(x) returned*"])


def test_an_infinite_loop_fails_only_its_exercise(pytester):
    source = reference_source() + "\n\ndef relu(x):\n    while True:\n        pass\n"
    result, document = grade(pytester, "--impl", submission(pytester, source), "--timeout", "2",
                             "--exercise", "activations.relu", "--exercise", "4.1",
                             "-k", "matches_pytorch")
    assert states(document) == {"sigmoid": "passed", "relu": "failed"}
    assert "time limit" in document["tests"][1]["output"]


def test_an_unknown_exercise_is_a_usage_error_naming_close_matches(pytester):
    result, document = grade(pytester, "--exercise", "sigmoid_backwrd")
    assert result.ret == 4
    assert document is None
    result.stderr.fnmatch_lines(["*unknown exercise 'sigmoid_backwrd'*activations.sigmoid_backward*"])


def test_a_missing_module_makes_every_exercise_missing(pytester):
    folder = pytester.mkdir("empty")
    result, document = grade(pytester, "--impl", str(folder), "--exercise", "activations")
    assert result.ret == 1
    assert set(states(document).values()) == {"missing"}



def test_impl_path_outside_the_course_works_from_the_course_directory(tmp_path):
    """`pytest --impl PATH` (two words) from the course directory, as course staff type it."""
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "activations.py").write_text(reference_source())
    out = tmp_path / "alice.json"
    command = [sys.executable, "-m", "pytest", "--impl", str(folder), "--exercise", "4.1",
               "--grade-json", str(out), "-p", "no:cacheprovider"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads(out.read_text())
    assert states(document) == {"sigmoid": "passed"}
    assert document["extra_data"]["impl"] == str(folder)
    assert "selftests" not in run.stdout  # only the course's testpaths were collected
