"""Course staff's batch grading: submissions, hashes, manifest, gradebook, and two whole runs.

Most tests run in this process with a stand-in grader. Two tests grade for
real (one ``pytest --isolate`` subprocess per submission, each importing
torch): one small batch with a resume, and ``autograder/run_autograder`` on a
fake ``/autograder`` tree. Both grade one cheap exercise of a scratch course.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from gradkata import cli
from gradkata.batch import grade_one, gradebook, resume, schedule, submissions
from gradkata.batch.grade_one import GradingSettings, Outcome, ProcessGroups
from gradkata.batch.progress import Progress
from gradkata.batch.submissions import Submission, SubmissionProblem

from .conftest import ROOT
from .course_copy import PROFILE, scratch_course

TOPICS = ("tensors", "derivatives", "optim", "activations", "losses", "layers", "autograd",
          "train")
SPEC_TOP_KEYS = {"score", "execution_time", "output", "extra_data", "tests"}
SPEC_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "tags", "extra_data"}


def write_files(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def make_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in members.items():
            bundle.writestr(name, text)
    return path


# -- discovering and unpacking submissions -----------------------------------------------------

def test_discover_finds_folders_and_zips_by_name_and_skips_the_rest(tmp_path):
    write_files(tmp_path, {"bob/tensors.py": "", "alice/x.py": "", ".hidden/tensors.py": "",
                           "notes.txt": ""})
    make_zip(tmp_path / "carol.zip", {"tensors.py": ""})
    make_zip(tmp_path / "bob.zip", {"tensors.py": ""})  # a folder is called bob already
    found = submissions.discover(tmp_path)
    assert [(s.name, s.path.name) for s in found] == [
        ("alice", "alice"), ("bob", "bob"), ("bob.zip", "bob.zip"), ("carol", "carol.zip")]


def test_unpack_finds_modules_nested_at_any_depth_in_a_folder_or_a_zip(tmp_path):
    folder = write_files(tmp_path / "alice", {
        "README.md": "", "hw2/exercises/tensors.py": "", "hw2/exercises/optim.py": "",
        "hw2/old/tensors.py": ""})  # fewer topic modules: not the graded folder
    found = submissions.unpack(Submission("alice", folder), tmp_path / "s1", TOPICS)
    assert found == tmp_path / "s1" / "hw2" / "exercises"
    archive = make_zip(tmp_path / "bob.zip", {"bob/deep/er/exercises/tensors.py": "x = 1\n"})
    found = submissions.unpack(Submission("bob", archive), tmp_path / "s2", TOPICS)
    assert (found / "tensors.py").read_text() == "x = 1\n"
    assert (archive.parent / "bob.zip").is_file()  # the original stays as it was


def test_a_folder_holding_only_an_uploaded_zip_is_graded_from_that_zip(tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    make_zip(folder / "submission.zip", {"exercises/activations.py": ""})
    found = submissions.unpack(Submission("upload", folder), tmp_path / "s", TOPICS)
    assert (found / "activations.py").is_file()


def test_find_module_folder_prefers_more_modules_then_the_shallower_folder(tmp_path):
    write_files(tmp_path, {"a/tensors.py": "", "b/c/tensors.py": "", "b/c/optim.py": ""})
    assert submissions.find_module_folder(tmp_path, TOPICS) == tmp_path / "b" / "c"
    write_files(tmp_path, {"a/optim.py": ""})
    assert submissions.find_module_folder(tmp_path, TOPICS) == tmp_path / "a"
    assert submissions.find_module_folder(tmp_path / "a", ("losses",)) is None


@pytest.mark.parametrize(("member", "key"), [
    ("../evil.py", "zip_unsafe_path"),
    ("exercises/../../evil.py", "zip_unsafe_path"),
    ("/etc/evil.py", "zip_unsafe_path"),
    ("C:/evil.py", "zip_unsafe_path"),
])
def test_unsafe_zip_paths_are_refused_and_nothing_escapes(tmp_path, member, key):
    archive = make_zip(tmp_path / "x.zip", {"tensors.py": "", member: "print('escaped')"})
    with pytest.raises(SubmissionProblem) as caught:
        submissions.unpack(Submission("x", archive), tmp_path / "deep" / "scratch", TOPICS)
    assert caught.value.key == key
    assert "evil.py" in caught.value.explain("en")
    assert not list(tmp_path.rglob("evil.py"))


def test_a_zip_that_unpacks_too_large_or_cannot_be_read_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(submissions, "MAX_UNPACKED_BYTES", 1000)
    archive = make_zip(tmp_path / "bomb.zip", {"tensors.py": "#" * 5000})  # compresses to ~40 B
    with pytest.raises(SubmissionProblem) as caught:
        submissions.unpack(Submission("bomb", archive), tmp_path / "s", TOPICS)
    assert caught.value.key == "zip_too_big"
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(SubmissionProblem) as caught:
        submissions.unpack(Submission("junk", tmp_path / "junk.zip"), tmp_path / "s", TOPICS)
    assert caught.value.key == "zip_unreadable"
    empty = write_files(tmp_path / "empty", {"notes.txt": "I did my best"})
    with pytest.raises(SubmissionProblem) as caught:
        submissions.unpack(Submission("empty", empty), tmp_path / "s", TOPICS)
    assert "tensors.py" in caught.value.explain("en")


# -- content hashes ---------------------------------------------------------------------------

def test_content_hash_ignores_creation_order_and_bytecode_but_sees_every_byte(tmp_path):
    files = {"exercises/tensors.py": "a = 1\n", "exercises/optim.py": "b = 2\n", "x.txt": "c"}
    first = write_files(tmp_path / "first", files)
    second = write_files(tmp_path / "second", dict(reversed(files.items())))
    write_files(second, {"exercises/__pycache__/tensors.cpython-311.pyc": "bytecode"})
    assert resume.content_hash(first) == resume.content_hash(second)
    write_files(second, {"exercises/optim.py": "b = 3\n"})
    assert resume.content_hash(first) != resume.content_hash(second)
    write_files(second, {"exercises/optim.py": "b = 2\n", "exercises/optim2.py": ""})
    assert resume.content_hash(first) != resume.content_hash(second), "a new file is a change"


def test_content_hash_of_a_zip_depends_on_its_members_not_their_order(tmp_path):
    one = make_zip(tmp_path / "one.zip", {"a/tensors.py": "1", "a/optim.py": "2"})
    time.sleep(0.01)
    two = make_zip(tmp_path / "two.zip", {"a/optim.py": "2", "a/tensors.py": "1"})
    assert one.read_bytes() != two.read_bytes()
    assert resume.content_hash(one) == resume.content_hash(two)
    three = make_zip(tmp_path / "three.zip", {"a/optim.py": "2", "a/tensors.py": "9"})
    assert resume.content_hash(three) != resume.content_hash(one)
    (tmp_path / "bad.zip").write_text("not a zip")
    assert len(resume.content_hash(tmp_path / "bad.zip")) == 64


# -- the gradebook and the manifest ----------------------------------------------------------

def document(scores: dict[str, tuple[float, float]]) -> dict:
    tests = [{"name": name, "score": s, "max_score": m} for name, (s, m) in scores.items()]
    return {"score": sum(s for s, _ in scores.values()), "tests": tests}


def test_gradebook_has_one_column_per_exercise_in_the_given_order_and_totals():
    ids = ["tensors.matmul", "tensors.outer", "activations.sigmoid"]
    table = gradebook.rows(ids, {
        "zoe": document({"activations.sigmoid": (2 / 3, 2.0), "tensors.outer": (2, 2),
                         "tensors.matmul": (0, 2)}),
        "adam": document({"tensors.matmul": (2, 2), "tensors.outer": (1.5, 2),
                          "activations.sigmoid": (2, 2)})})
    assert table == [
        ["submission", "tensors.matmul", "tensors.outer", "activations.sigmoid", "total",
         "max_total"],
        ["adam", "2", "1.5", "2", "5.5", "6"],
        ["zoe", "0", "2", "0.6667", "2.6667", "6"],
    ]


def test_gradebook_file_is_plain_csv(tmp_path):
    path = tmp_path / "gradebook.csv"
    gradebook.write(path, [["submission", "a.b", "total", "max_total"], ["o'neil, jr", "1", "1",
                                                                         "2"]])
    assert list(csv.reader(io.StringIO(path.read_text()))) == [
        ["submission", "a.b", "total", "max_total"], ["o'neil, jr", "1", "1", "2"]]


def test_manifest_skips_only_graded_unchanged_submissions_with_the_same_settings(tmp_path):
    manifest = resume.Manifest.load(tmp_path)
    assert manifest.entries == {}
    json_file = tmp_path / "alice.json"
    json_file.write_text("{}")
    manifest.record("alice", resume.Entry("h1", "s1", resume.GRADED, 3.0, 4.0))
    manifest.record("bob", resume.Entry("h2", "s1", resume.UNGRADABLE, 0.0, 4.0, "bad zip"))
    again = resume.Manifest.load(tmp_path)  # from the file just written
    assert again.entries["bob"].reason == "bad zip"
    assert again.is_done("alice", "h1", "s1", json_file)
    assert not again.is_done("alice", "h1-changed", "s1", json_file)
    assert not again.is_done("alice", "h1", "other-settings", json_file)
    assert not again.is_done("bob", "h2", "s1", json_file), "ungradable: try again"
    assert not again.is_done("carol", "h3", "s1", json_file)
    json_file.unlink()
    assert not again.is_done("alice", "h1", "s1", json_file), "its JSON is gone"
    (tmp_path / resume.MANIFEST_NAME).write_text("{ half a file")
    assert resume.Manifest.load(tmp_path).entries == {}


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


def gradebook_rows(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))


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
