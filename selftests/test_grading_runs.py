"""Whole grading runs, as learners and course staff start them (one subprocess each).

Kept few: each run pays for importing torch. The in-process self-tests
cover the checks themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import gradkata

from .conftest import ROOT

# Whole runs pay for importing torch and, on a busy machine, take minutes.
pytestmark = pytest.mark.timeout(600)
SPEC_TOP_KEYS = {"score", "execution_time", "output", "extra_data", "tests"}
SPEC_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "extra_data"}


def grade(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict | None]:
    """Run the course's grading suite from a scratch directory; return the run and its JSON."""
    result = pytester.runpytest_subprocess(
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        str(ROOT / "tests"),
        "--grade-json",
        "grade.json",
        *args,
    )
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


@pytest.mark.timeout(900)  # the whole course: 8 topics, 51 exercises
def test_reference_scores_full_marks_in_spec_json(pytester, catalog):
    result, document = grade(pytester, "--impl", "solutions", "--require-complete")
    assert result.ret == 0, result.stdout.str()
    assert set(document) == SPEC_TOP_KEYS
    assert document["score"] == sum(t["max_score"] for t in document["tests"])
    assert document["score"] == sum(ex.points for ex in catalog.exercises)
    assert [t["name"] for t in document["tests"]] == [ex.id for ex in catalog.exercises]
    assert [t["number"] for t in document["tests"]] == [ex.number for ex in catalog.exercises]
    assert document["extra_data"] == {
        "impl": "solutions",
        "seed": 0,
        "version": gradkata.__version__,
    }
    for test in document["tests"]:
        assert set(test) == SPEC_TEST_KEYS
        assert (test["status"], test["output"]) == ("passed", "")
        assert test["tags"] == [test["name"].split(".")[0]]
        checks = test["extra_data"]["checks"]
        assert "guard" in checks
        assert set(checks.values()) <= {"passed", "skipped"}
        assert "passed" in checks.values()
    activations = {
        t["name"]: t["extra_data"]["checks"]
        for t in document["tests"]
        if t["name"].startswith("activations.")
    }
    for name, checks in activations.items():
        assert {"guard", "purity", "dtype", "device", "stability", "property"} <= set(checks)
        assert ("grad" if name.endswith("_backward") else "value") in checks
    total = sum(ex.points for ex in catalog.exercises)
    result.stdout.fnmatch_lines(
        ["*grade card*", f"total {total:.1f} / {total:.1f}*", "*all selected exercises pass*"]
    )


def test_untouched_stubs_are_todo_with_no_traceback(pytester, catalog):
    result, document = grade(pytester)
    assert result.ret == 0, result.stdout.str()
    assert [t["name"] for t in document["tests"]] == [ex.id for ex in catalog.exercises]
    assert {t["extra_data"]["state"] for t in document["tests"]} == {"todo"}
    assert document["score"] == 0
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "raise NotImplementedError" not in output
    assert " failed" not in output
    assert "FAILED" not in output
    result.stdout.fnmatch_lines(
        ["*4.1*activations.sigmoid*todo*", "next up: 1.1 tensors.matmul — *exercises/tensors.py:*"]
    )


def test_require_complete_fails_a_run_with_todo(pytester):
    result, _ = grade(pytester, "--require-complete", "--exercise", "4.1")
    assert result.ret == 1


def test_a_syntax_error_costs_only_its_topic(pytester):
    """activations.py does not parse: activations is `error`, and layers (which
    imports it) is graded with the reference activations standing in."""
    folder = pytester.mkdir("submission")
    for topic in ("activations", "layers"):
        (folder / f"{topic}.py").write_text((ROOT / "solutions" / f"{topic}.py").read_text())
    (folder / "activations.py").write_text("import torch\n\ndef sigmoid(x)\n    return x\n")
    result, document = grade(
        pytester,
        "--impl",
        str(folder),
        "--exercise",
        "activations",
        "--exercise",
        "layers.Sigmoid",
        "--exercise",
        "layers.linear",
    )
    assert result.ret == 1
    by_topic = {}
    for test in document["tests"]:
        by_topic.setdefault(test["tags"][0], set()).add(test["extra_data"]["state"])
    assert by_topic == {"activations": {"error"}, "layers": {"passed"}}
    assert "SyntaxError at line 3" in document["tests"][0]["output"]
    result.stdout.fnmatch_lines(["*activations.py could not be imported: SyntaxError at line 3*"])


def test_a_mixed_submission_gets_partial_credit_todo_blocked_and_missing(pytester):
    source = reference_source()
    source = source.replace(
        "def sigmoid(x", "def sigmoid(x):\n    raise NotImplementedError\n\n\ndef _old_sigmoid(x", 1
    )
    source = source.replace("def gelu_backward(", "def _renamed_gelu_backward(", 1)
    source += (
        "\n\ndef tanh(x):\n"
        "    return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))\n"
    )
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
    _, document = grade(
        pytester,
        "--impl",
        submission(pytester, source),
        "--timeout",
        "2",
        "--exercise",
        "activations.relu",
        "--exercise",
        "4.1",
        "-k",
        "matches_pytorch",
        "--lang",
        "zh",
    )
    assert states(document) == {"sigmoid": "passed", "relu": "failed"}
    # --lang zh: the JSON explains in Chinese (without it, English: the runs above)
    assert "时间限制" in document["tests"][1]["output"]


def test_an_unknown_exercise_is_a_usage_error_naming_close_matches(pytester):
    result, document = grade(pytester, "--exercise", "sigmoid_backwrd")
    assert result.ret == 4
    assert document is None
    result.stderr.fnmatch_lines(
        ["*unknown exercise 'sigmoid_backwrd'*activations.sigmoid_backward*"]
    )


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
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--impl",
        str(folder),
        "--exercise",
        "4.1",
        "--grade-json",
        str(out),
        "-p",
        "no:cacheprovider",
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads(out.read_text())
    assert states(document) == {"sigmoid": "passed"}
    assert document["extra_data"]["impl"] == str(folder)
    assert "selftests" not in run.stdout  # only the course's testpaths were collected


def test_the_same_submission_gets_byte_identical_json_in_another_process(pytester, monkeypatch):
    """Hash seed and thread settings of the process must not change a grade.

    Graded as ``gradkata batch`` grades: isolated, with the ``grading`` profile.
    """
    source = (
        reference_source() + "\n\ndef softmax(x, dim=-1):\n    e = torch.exp(x)\n"
        "    return e / e.sum(dim, keepdim=True)\n"
    )
    folder = submission(pytester, source)
    documents = []
    for hash_seed, threads in (("1", "1"), ("12345", "2")):
        monkeypatch.setenv("PYTHONHASHSEED", hash_seed)
        monkeypatch.setenv("OMP_NUM_THREADS", threads)
        result, document = grade(
            pytester,
            "--impl",
            folder,
            "--exercise",
            "activations.softmax",
            "--exercise",
            "activations.softmax_backward",
            "--isolate",
            "--hypothesis-profile=grading",
        )
        assert result.ret == 1
        document.pop("execution_time")
        documents.append(json.dumps(document, sort_keys=True))
    assert documents[0] == documents[1]
    assert "not finite" in documents[0]
    assert json.loads(documents[0])["extra_data"]["seed"] == 0  # the seed is on record
