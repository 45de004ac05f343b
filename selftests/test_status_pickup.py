"""``gradkata status`` right after a plain ``pytest``: the learner's own run feeds its cache.

Each run is a real grading run of a scratch course (only the tensors topic
has grading tests; 1.1 matmul solved), in this process, as ``pytest`` would
run it; :mod:`gradkata.lastrun` decides what it may remember.
"""

from __future__ import annotations

import json
import shutil
import types
from pathlib import Path

import pytest

from gradkata import cli, lastrun, runner, status
from gradkata.catalog import load_catalog
from gradkata.runner import GradeRequest

from .course_copy import PROFILE, scratch_course


@pytest.fixture
def course(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    folder.mkdir()
    scratch_course(folder, ("tensors",), {"tensors": {"matmul"}})
    monkeypatch.chdir(folder)
    return folder


def plain_pytest(course: Path, monkeypatch, *extra: str, impl: str = "exercises",
                 exercises: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> runner.GradeRun:
    """``pytest [paths] [extra]`` in the course, in this process (the plugin does what it
    always does; ``paths`` default to the whole tests folder)."""
    real = GradeRequest.pytest_args
    monkeypatch.setattr(GradeRequest, "pytest_args",
                        lambda self, catalog: [*real(self, catalog), *extra])
    request = GradeRequest(impl=impl, exercises=exercises, profile=PROFILE,
                           test_files=tuple(Path(p) for p in paths))
    run = runner.grade(load_catalog(course / "catalog.toml"), request)
    monkeypatch.setattr(GradeRequest, "pytest_args", real)
    assert run.grade is not None, run.output
    return run


def cached_topics(course: Path) -> set[str]:
    path = course / status.STATE_DIR / status.CACHE_FILE
    return set(json.loads(path.read_text())["topics"]) if path.exists() else set()


def test_status_right_after_a_plain_pytest_run_is_instant_and_shows_the_same_card(
        course, monkeypatch, capsys):
    run = plain_pytest(course, monkeypatch)
    graded_again = []
    monkeypatch.setattr(status, "grade", lambda *a, **k: graded_again.append(a))
    catalog = load_catalog(course / "catalog.toml")
    shown = status.current(catalog, GradeRequest(profile=PROFILE))
    assert graded_again == [], "status graded again right after pytest"
    assert shown.grade == run.grade
    assert shown.profile == PROFILE

    code = cli.main(["status", "--lang", "en", "--hypothesis-profile", PROFILE])
    out = capsys.readouterr().out
    assert code == 0
    assert "from the last run" in out.splitlines()[-1]
    assert "1.1   tensors.matmul" in out


def test_a_run_that_deselects_part_of_a_topic_leaves_that_topic_to_status(course, monkeypatch):
    # -k, -m, --deselect and --lf drop tests after gradkata has seen them: the topic is partial
    run = plain_pytest(course, monkeypatch, "-k", "matmul")
    assert [g.exercise.id for g in run.grade.exercises] == ["tensors.matmul"]
    assert "tensors" not in cached_topics(course)


def test_grading_someone_elses_submission_leaves_no_state(course, monkeypatch, tmp_path):
    submission = shutil.copytree(course / "exercises", tmp_path / "submission")
    run = plain_pytest(course, monkeypatch, impl=str(submission))
    assert [g.state for g in run.grade.exercises][:2] == ["passed", "todo"]  # it was graded
    assert not (course / status.STATE_DIR).exists()


def test_a_cache_that_cannot_be_written_never_breaks_the_grading_run(course, monkeypatch):
    (course / status.STATE_DIR).write_text("a file where the folder should be")
    run = plain_pytest(course, monkeypatch)
    assert run.exit_code == 0, run.output
    assert run.grade.passed == 1
    assert "Traceback" not in run.output


# -- which topics a run graded whole (no grading run needed) --------------------------------

@pytest.mark.parametrize(("wanted", "kept", "whole_suite", "expected"), [
    pytest.param("all", {"t::a", "t::b"}, True, {"tensors", "derivatives"}, id="everything"),
    pytest.param("all", {"t::a"}, True, {"derivatives"}, id="a test of tensors deselected"),
    pytest.param("all", {"t::a", "t::b"}, False, {"tensors"}, id="one test file only"),
    pytest.param("tensors", {"t::a", "t::b"}, True, {"tensors"}, id="--exercise tensors"),
    pytest.param("1.1", {"t::a"}, True, set(), id="--exercise 1.1"),
])
def test_a_topic_counts_only_when_every_test_of_it_was_selected_and_kept(
        catalog, wanted, kept, whole_suite, expected):
    notes = lastrun.RunNotes({}, {"t::a": "tensors", "t::b": "tensors"})
    chosen = catalog.exercises if wanted == "all" else catalog.select([wanted])
    topics = lastrun.whole_topics(catalog, notes, {ex.id for ex in chosen}, kept, whole_suite)
    # derivatives stands for every topic without a collected test: counted on a whole-suite run
    assert set(topics) & {"tensors", "derivatives"} == expected


@pytest.mark.parametrize(("args", "single"), [
    (["tests"], False), (["tests/test_tensors.py"], False),
    (["tests/test_tensors.py::test_matches_pytorch"], True),
])
def test_a_run_naming_single_tests_is_never_remembered(args, single):
    assert lastrun.names_single_tests(types.SimpleNamespace(args=args)) is single
