"""Course staff's batch grading, for real: one small batch with a resume, and run_autograder.

Each grades one cheap exercise of a scratch course (one ``pytest --isolate``
subprocess per submission, each importing torch): a batch of five
submissions in every layout, run three times, and ``autograder/run_autograder``
on a fake ``/autograder`` tree. The parts are tested in test_batch_submissions.py
and test_batch_grading.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gradkata import cli
from gradkata.batch import resume

from .conftest import ROOT
from .course_copy import PROFILE, scratch_course
from .submission_files import gradebook_rows, make_zip, write_files

# -- real grading: one small batch, then run_autograder ----------------------------------------

CHEAP = "tensors.l1_norm"  # graded for real below: cheap, and enough to tell states apart


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A scratch course grading the tensors topic, with the quick self-test profile."""
    return scratch_course(tmp_path_factory.mktemp("course"), ("tensors",), {})


def finished_times(out: Path) -> dict[str, float]:
    raw = json.loads((out / resume.MANIFEST_NAME).read_text())
    return {name: entry["finished_at"] for name, entry in raw["submissions"].items()}


def run_batch_command(subs: Path, out: Path) -> int:
    return cli.main(["batch", str(subs), "--out", str(out), "--exercise", CHEAP,
                     "--hypothesis-profile", PROFILE, "--jobs", "2", "--lang", "en"])


@pytest.mark.skipif(os.name != "posix", reason="gradkata batch is POSIX only")
@pytest.mark.timeout(600)
def test_a_small_batch_grades_every_layout_then_resumes_regrading_only_a_change(
        course, tmp_path, monkeypatch, capsys):
    from .course_copy import solve

    monkeypatch.chdir(course)
    reference = (course / "solutions" / "tensors.py").read_text()
    stub = (course / "exercises" / "tensors.py").read_text()
    subs = write_files(tmp_path / "subs", {
        "ref/tensors.py": reference, "stub/tensors.py": stub,
        "broken/tensors.py": reference + "\ndef (:\n"})
    make_zip(subs / "carol.zip", {"carol/hw2/exercises/tensors.py": reference})
    (subs / "dave.zip").write_text("this is not a zip")
    out = tmp_path / "out"

    assert run_batch_command(subs, out) == 1  # dave could not be graded
    assert "dave: the zip file cannot be opened" in capsys.readouterr().err
    assert gradebook_rows(out) == [
        ["submission", CHEAP, "total", "max_total"], ["broken", "0", "0", "2"],
        ["carol", "2", "2", "2"], ["dave", "0", "0", "2"], ["ref", "2", "2", "2"],
        ["stub", "0", "0", "2"]]
    documents = {name: json.loads((out / f"{name}.json").read_text())
                 for name in ("ref", "carol", "stub", "broken", "dave")}
    states = {name: doc["tests"][0]["extra_data"]["state"] for name, doc in documents.items()}
    assert states == {"ref": "passed", "carol": "passed", "stub": "todo", "broken": "error",
                      "dave": "error"}
    assert documents["ref"]["extra_data"]["hypothesis_profile"] == PROFILE
    for doc in documents.values():
        doc.pop("execution_time")
        doc["extra_data"].pop("impl")
    assert documents["ref"] == documents["carol"], "the same code, the same JSON"

    graded_at = finished_times(out)
    assert run_batch_command(subs, out) == 1
    assert "4 of 5 submissions unchanged since the last run" in capsys.readouterr().err
    again = finished_times(out)
    assert {n: again[n] == graded_at[n] for n in again} == {
        "ref": True, "carol": True, "stub": True, "broken": True, "dave": False}

    (subs / "stub" / "tensors.py").write_text(solve(stub, reference, {"l1_norm"}))
    assert run_batch_command(subs, out) == 1
    third = finished_times(out)
    assert [n for n in third if n != "dave" and third[n] != again[n]] == ["stub"]
    assert gradebook_rows(out)[-1] == ["stub", "2", "2", "2"]


@pytest.mark.skipif(os.name != "posix", reason="the Gradescope scripts are POSIX only")
@pytest.mark.timeout(300)
def test_run_autograder_grades_a_fake_autograder_tree_with_its_assignment(course, tmp_path):
    root = tmp_path / "autograder"
    reference = (course / "solutions" / "tensors.py").read_text()
    write_files(root, {"submission/hw2/exercises/tensors.py": reference,
                       "source/assignment.toml": (
                           f'exercises = ["{CHEAP}", "tensors.outer"]\n'
                           'visibility = "after_due_date"\noutput = "Homework 1"\n'
                           f'[exercise."{CHEAP}"]\npoints = 5\nvisibility = "visible"\n')})
    environment = dict(os.environ, GRADKATA_AUTOGRADER=str(root), GRADKATA_SOURCE=str(course),
                       GRADKATA_ASSIGNMENT=str(root / "source" / "assignment.toml"),
                       GRADKATA_COMMAND=shutil.which("gradkata") or "gradkata",
                       GRADKATA_ARGS=f"--exercise {CHEAP} --hypothesis-profile {PROFILE}")
    script = ROOT / "autograder" / "run_autograder"
    subprocess.run([str(script)], env=environment, check=True, timeout=280)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["output"].startswith("Homework 1\n\ngradkata ")
    assert results["visibility"] == "after_due_date"
    [test] = results["tests"]  # --exercise narrows the assignment's selection
    assert (test["name"], test["score"], test["max_score"], test["visibility"]) == (
        CHEAP, 5.0, 5.0, "visible")
    assert results["score"] == 5.0

    environment["GRADKATA_COMMAND"] = "false"  # gradkata cannot even start
    subprocess.run([str(script)], env=environment, check=True, timeout=60)
    fallback = json.loads((root / "results" / "results.json").read_text())
    assert fallback["score"] == 0
    assert "could not run" in fallback["output"]
