"""Course staff's batch grading, without grading for real: the resume logic, one grading process,
the batch and autograde commands' options and messages.

A stand-in grader replaces ``pytest --isolate`` where a submission would be
graded; the rest runs in this process (or a tiny shell process).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time

import pytest

from gradkata import cli
from gradkata.batch import grade_one, schedule, submissions
from gradkata.batch.grade_one import GradingSettings, Outcome, ProcessGroups
from gradkata.batch.progress import Progress
from gradkata.batch.submissions import Submission

from .conftest import ROOT
from .submission_files import gradebook_rows, write_files

SPEC_TOP_KEYS = {"score", "execution_time", "output", "extra_data", "tests"}
SPEC_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "extra_data"}


# -- the batch's resume logic, with a stand-in grader ------------------------------------------

class FakeGrader:
    """Stands in for grade_one.grade_submission: records names, scores by the file's length."""

    def __init__(self):
        self.graded: list[str] = []

    def __call__(self, catalog, submission, settings, scratch, selected, groups):
        self.graded.append(submission.name)
        points = float(len((submission.path / "tensors.py").read_text()))
        tests = [{"name": ex.id, "score": min(points, ex.points), "max_score": ex.points}
                 for ex in selected]
        return Outcome({"score": sum(t["score"] for t in tests), "tests": tests}, graded=True)


class CtrlCAfter(Progress):
    """A progress display during which Ctrl-C arrives once ``count`` submissions finished."""

    def __init__(self, total: int, count: int):
        super().__init__(total, stream=io.StringIO())
        self.count = count

    def finished(self, name: str, graded: bool, seconds: float) -> None:
        super().finished(name, graded, seconds)
        if self.done == self.count:
            raise KeyboardInterrupt


def fake_batch(catalog, tmp_path, monkeypatch, grader, stop_after: int = 0,
               **changes) -> schedule.BatchResult:
    monkeypatch.setattr(schedule, "grade_submission", grader)
    folder = tmp_path / "submissions"
    batch = schedule.Batch(catalog=catalog, submissions=submissions.discover(folder),
                           out_dir=tmp_path / "out", settings=GradingSettings(),
                           selected=catalog.select(["tensors.matmul", "tensors.outer"]))
    for name, value in changes.items():
        setattr(batch, name, value)
    total = len(batch.submissions)
    quiet = Progress(total, stream=io.StringIO())
    progress = CtrlCAfter(total, stop_after) if stop_after else quiet
    return schedule.run_batch(batch, progress)




def test_a_stopped_batch_resumes_and_regrades_only_what_changed(catalog, tmp_path, monkeypatch):
    for name, text in {"a": "x", "b": "xx", "c": "", "d": "x"}.items():
        write_files(tmp_path / "submissions", {f"{name}/tensors.py": text})
    first = fake_batch(catalog, tmp_path, monkeypatch, FakeGrader(), stop_after=2, jobs=1)
    assert first.interrupted
    assert first.graded == ["a", "b"]
    assert [row[0] for row in gradebook_rows(tmp_path / "out")] == ["submission", "a", "b"]

    resumed = FakeGrader()
    second = fake_batch(catalog, tmp_path, monkeypatch, resumed, jobs=2)
    assert sorted(resumed.graded) == ["c", "d"], "a and b were finished: not graded again"
    assert not second.interrupted
    assert second.kept == ["a", "b"]
    assert gradebook_rows(tmp_path / "out")[1:] == [
        ["a", "1", "1", "2", "4"], ["b", "2", "2", "4", "4"], ["c", "0", "0", "0", "4"],
        ["d", "1", "1", "2", "4"]]

    write_files(tmp_path / "submissions", {"b/tensors.py": "x"})
    changed = FakeGrader()
    fake_batch(catalog, tmp_path, monkeypatch, changed)
    assert changed.graded == ["b"]
    assert gradebook_rows(tmp_path / "out")[2] == ["b", "1", "1", "2", "4"]

    everything = FakeGrader()
    fake_batch(catalog, tmp_path, monkeypatch, everything, regrade=True)
    assert sorted(everything.graded) == ["a", "b", "c", "d"]
    other_seed = FakeGrader()
    fake_batch(catalog, tmp_path, monkeypatch, other_seed, settings=GradingSettings(seed=1))
    assert sorted(other_seed.graded) == ["a", "b", "c", "d"], "new settings: a new grade"


# -- one grading process -----------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX only")
def test_the_wall_limit_kills_the_grading_process_and_every_process_it_started(tmp_path):
    child_pid = tmp_path / "child.pid"
    command = ["bash", "-c", f"sleep 60 & echo $! > {child_pid}; wait"]
    started = time.perf_counter()
    status = grade_one.run_in_own_group(command, cwd=tmp_path, log_path=tmp_path / "log",
                                        wall_limit=1.0, groups=ProcessGroups())
    assert status is None
    assert time.perf_counter() - started < 10
    pid = int(child_pid.read_text())
    for _ in range(50):  # the orphan is reaped by init shortly after it dies
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the grading process's child {pid} outlived the wall limit")


def test_a_stopping_batch_starts_no_new_grading_process(tmp_path):
    groups = ProcessGroups()
    groups.stop()
    with pytest.raises(grade_one.Stopped):
        grade_one.run_in_own_group(["true"], cwd=tmp_path, log_path=tmp_path / "log",
                                   wall_limit=5, groups=groups)


def test_a_submission_that_cannot_be_graded_gets_zeros_in_spec_json_saying_why(catalog, tmp_path):
    (tmp_path / "junk.zip").write_text("not a zip")
    selected = catalog.select(["tensors"])
    outcome = grade_one.grade_submission(catalog, Submission("junk", tmp_path / "junk.zip"),
                                         GradingSettings(lang="zh"), tmp_path / "s", selected)
    assert not outcome.graded
    doc = outcome.document
    assert set(doc) == SPEC_TOP_KEYS
    assert all(set(test) == SPEC_TEST_KEYS for test in doc["tests"])
    assert [t["name"] for t in doc["tests"]] == [ex.id for ex in selected]
    assert doc["score"] == 0
    assert all(t["score"] == 0 for t in doc["tests"])
    assert "无法打开 zip 文件" in doc["output"]
    assert "无法打开 zip 文件" in doc["tests"][0]["output"]
    assert doc["extra_data"]["impl"] == "junk"
    assert not (tmp_path / "s").exists(), "the scratch folder is removed"


def test_the_grading_command_is_pytest_isolated_with_the_grading_profile(catalog, tmp_path):
    command = GradingSettings(exercises=("4.1",), seed=7).pytest_command(
        catalog, tmp_path / "impl", tmp_path / "g.json")
    assert command[:4] == [sys.executable, "-m", "pytest", str(ROOT / "tests")]
    for option in ("--isolate", "--hypothesis-profile=grading", "--seed=7", "--exercise=4.1",
                   f"--impl={tmp_path / 'impl'}", f"--rootdir={ROOT}", "-pno:cacheprovider"):
        assert option in command
    assert "--isolate" not in GradingSettings(isolate=False).pytest_command(
        catalog, tmp_path, tmp_path / "g.json")


def test_the_isolation_limits_pass_through_to_pytest_and_need_isolation(catalog):
    from gradkata.commands.batch import grading_setup

    def setup(*options):
        args = cli._parser().parse_args(["batch", "subs", "--out", "out", *options])
        return grading_setup(catalog, args, "batch")

    settings, selected, assignment = setup("--memory-limit", "2048", "--call-timeout", "7.5",
                                           "--exercise", "4.1")
    assert settings.pytest_options == ("--call-timeout=7.5", "--memory-limit=2048")
    assert [ex.id for ex in selected] == ["activations.sigmoid"]
    assert assignment is None
    with pytest.raises(cli.UsageProblem, match="need isolation"):
        setup("--memory-limit", "2048", "--no-isolate")


# -- what the commands say ---------------------------------------------------------------------

def test_every_batch_message_exists_in_both_languages_with_the_same_placeholders():
    import string

    from gradkata.batch.words import MESSAGES

    def fields(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert MESSAGES["en"].keys() == MESSAGES["zh"].keys()
    for key, text in MESSAGES["en"].items():
        assert fields(text) == fields(MESSAGES["zh"][key]), key


def test_progress_rewrites_one_line_on_a_terminal_and_prints_lines_elsewhere():
    plain = io.StringIO()
    progress = Progress(3, stream=plain)
    progress.start(kept=1)
    progress.finished("bob", graded=False, seconds=2.0)
    assert plain.getvalue().splitlines() == [
        "1 of 3 submissions unchanged since the last run: kept as graded",
        "could not be graded: bob (2 s) · 2/3 done · 1 could not be graded · 1 left"]

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    progress = Progress(2, stream=terminal)
    progress.start()
    progress.finished("alice", graded=True, seconds=1.0)
    progress.close()
    text = terminal.getvalue()
    assert text.count("\r") == 2
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert "1/2 done · 0 could not be graded · 1 left" in text


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("missing", [], "is not a directory"),
    ("empty", [], "holds no submissions"),
    ("one", ["--exercise", "activations.sigmod"], "activations.sigmoid"),
    ("one", ["--assignment", "nope.toml"], "nope.toml"),
])
def test_batch_usage_errors_exit_4_with_a_clear_message(tmp_path, monkeypatch, capsys, setup,
                                                        args, message):
    monkeypatch.chdir(ROOT)
    folder = tmp_path / "subs"
    if setup != "missing":
        folder.mkdir()
    if setup == "one":
        write_files(folder, {"alice/tensors.py": ""})
    code = cli.main(["batch", str(folder), "--out", str(tmp_path / "out"), *args])
    assert code == 4
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_autograde_writes_results_even_for_a_submission_it_cannot_grade(tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "results" / "results.json"
    (tmp_path / "upload.zip").write_text("not a zip")
    assert cli.main(["autograde", str(tmp_path / "upload.zip"), "--out", str(out),
                     "--exercise", "tensors"]) == 1
    results = json.loads(out.read_text())
    assert results["score"] == 0
    assert len(results["tests"]) == 6
    assert "cannot be opened" in results["output"]
    assert cli.main(["autograde", str(tmp_path / "nothing"), "--out", str(out)]) == 4
    assert "does not exist" in capsys.readouterr().err
