"""Course staff's batch grading, its parts: submissions, content hashes, gradebook, manifest.

Everything here runs in this process on small files; nothing is graded.
"""

from __future__ import annotations

import csv
import io
import time

import pytest

from gradkata.batch import gradebook, resume, submissions
from gradkata.batch.submissions import Submission, SubmissionProblem

from .submission_files import make_zip, write_files

TOPICS = ("tensors", "derivatives", "optim", "activations", "losses", "layers", "autograd",
          "train")


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
