"""The gradkata commands on a scratch copy of the course: status, next, check and kata.

Each test grades in this process (as the commands do), on a copy whose only
grading tests are the tensors topic's, with 1.1 matmul solved and the rest
of the topic still stubs.
"""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import re

import pytest

from gradkata import cli, status
from gradkata.commands import kata as kata_command
from gradkata.loader import definition_lines

from .course_copy import PROFILE, replace_definition, scratch_course

OUTER = "def outer(u, v):\n    return u[:, None] * v[None, :]\n"


@pytest.fixture
def course(tmp_path, monkeypatch):
    folder = scratch_course(tmp_path, ("tensors",), {"tensors": {"matmul"}})
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def gradings(monkeypatch):
    """The ``--exercise`` selections ``gradkata status`` graded, in order."""
    calls = []
    real = status.grade

    def spy(catalog, request, **options):
        calls.append(request.exercises)
        return real(catalog, request, **options)

    monkeypatch.setattr(status, "grade", spy)
    return calls


def run(capsys, command: str, *args: str) -> tuple[int, str]:
    """``gradkata command args`` in English (unless told) with the copy's quick profile."""
    options = ["--lang", "en"] if "--lang" not in args else []
    if command != "hint":
        options += ["--hypothesis-profile", PROFILE]
    code = cli.main([command, *args, *options])
    return code, capsys.readouterr().out


def state_line(number: str, exercise_id: str, state: str) -> re.Pattern:
    return re.compile(rf"^  {re.escape(number)}\s+{re.escape(exercise_id)}\s+{state}\s", re.M)


def test_status_grades_once_then_answers_from_the_cache_until_a_file_changes(
        course, capsys, gradings):
    code, first = run(capsys, "status")
    assert code == 0
    assert gradings == [()]
    assert state_line("1.1", "tensors.matmul", "passed").search(first)
    assert state_line("1.2", "tensors.outer", "todo").search(first)
    assert "██░░░░░░░░░░░░ 1/6  2.0 / 12.0" in first  # the topic's progress bar
    assert "graded every topic" in first

    code, cached = run(capsys, "status")
    assert code == 0
    assert gradings == [()], "nothing changed, yet status graded again"
    assert cached.splitlines()[:-1] == first.splitlines()[:-1]
    assert "from the last run" in cached.splitlines()[-1]

    module = course / "exercises" / "tensors.py"
    module.write_text(replace_definition(module.read_text(), "outer", OUTER))
    code, changed = run(capsys, "status")
    assert gradings == [(), ("tensors",)], "only the changed topic is graded again"
    assert state_line("1.2", "tensors.outer", "passed").search(changed)
    assert "2/6  4.0 / 12.0" in changed
    assert "graded again: tensors" in changed
    assert f"hypothesis profile {PROFILE}" in changed

    code, short = run(capsys, "status", "--refresh", "--short", "--lang", "zh")
    assert gradings[-1] == (), "--refresh grades everything"
    assert not state_line("1.1", "tensors.matmul", "通过").search(short)  # one line per topic
    assert "1 tensors" in short
    assert "总分 4.0 / 12.0" in short
    assert "已为全部主题评分" in short


def test_next_names_the_first_exercise_not_done_with_its_file_line_and_docstring(course, capsys):
    code, out = run(capsys, "next")
    line = definition_lines(course / "exercises" / "tensors.py")["outer"]
    assert code == 0
    assert out.splitlines()[0] == "next up: 1.2 tensors.outer"
    assert out.splitlines()[1] == f"exercises/tensors.py:{line}"
    assert "Exercise 1.2 - the outer product" in out  # its docstring
    assert "gradkata hint 1.2" in out
    code, chinese = run(capsys, "next", "--lang", "zh")
    assert chinese.splitlines()[0] == "下一个：1.2 tensors.outer"
    assert "提示：gradkata hint 1.2" in chinese


def test_check_grades_exactly_the_named_exercises(course, capsys):
    code, out = run(capsys, "check", "1.1", "tensors.l1_norm")
    assert code == 0
    assert state_line("1.1", "tensors.matmul", "passed").search(out)
    assert state_line("1.3", "tensors.l1_norm", "todo").search(out)
    assert "tensors.outer" not in out
    assert "total 2.0 / 4.0 · 1/2 exercises passed" in out
    module = course / "exercises" / "tensors.py"
    module.write_text(replace_definition(module.read_text(), "outer", OUTER.replace("u[:", "-u[:")))
    code, out = run(capsys, "check", "1.2")
    assert code == 1
    assert state_line("1.2", "tensors.outer", "failed").search(out)
    code, out = run(capsys, "check", "9.9")
    assert code == cli.STATUS_EXIT_USAGE


def test_kata_grades_a_fresh_stub_and_leaves_the_learners_file_byte_identical(
        course, capsys, monkeypatch):
    module = course / "exercises" / "tensors.py"
    module.write_text(replace_definition(module.read_text(), "outer", OUTER))  # outer done
    before = module.read_bytes()
    kata_file = course / ".gradkata" / "kata" / "tensors.outer" / "tensors.py"

    class SaveDuringTheKata(kata_command._Countdown):
        """At the first tick, the learner saves a solution: the kata grades it live."""

        def __call__(self, remaining, latest):
            if not getattr(self, "saved", False):
                self.saved = True
                assert "kata 1.2: write tensors.outer" in kata_file.read_text()
                temporary = kata_file.with_name(".tensors.py.swp")
                temporary.write_text(replace_definition(kata_file.read_text(), "outer", OUTER))
                temporary.replace(kata_file)  # the editor's atomic save
            super().__call__(remaining, latest)

    monkeypatch.setattr(kata_command, "_Countdown", SaveDuringTheKata)
    code, out = run(capsys, "kata", "1.2", "--minutes", "0.02")
    assert module.read_bytes() == before, "the kata touched the learner's own file"
    assert "edit .gradkata/kata/tensors.outer/tensors.py" in out
    assert "left ·" in out  # the countdown
    assert "saved tensors.py" in out  # the live verdict after the save
    assert "time is up" in out
    assert state_line("1.2", "tensors.outer", "passed").search(out.split("time is up")[1])
    assert code == 0
    # the other exercises of the kata's copy are the learner's own: matmul stays solved
    assert "raise NotImplementedError" not in _function(kata_file.read_text(), "matmul")


def _function(source: str, name: str) -> str:
    import ast

    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)
    return ast.get_source_segment(source, node)


def test_a_topics_fingerprint_follows_its_module_the_modules_it_imports_and_helpers(tmp_path):
    from gradkata.catalog import load_catalog

    course = scratch_course(tmp_path, ("tensors",), {})
    catalog = load_catalog(course / "catalog.toml")
    exercises = course / "exercises"
    before = status.topic_fingerprints(catalog, exercises)
    with (exercises / "layers.py").open("a") as module:
        module.write("\n# an edit\n")
    after = status.topic_fingerprints(catalog, exercises)
    changed = {topic for topic in before if before[topic] != after[topic]}
    assert changed == {"layers", "train"}, "train imports layers; nothing else does"
    (exercises / "helpers.py").write_text("TWO = 2\n")
    with_helper = status.topic_fingerprints(catalog, exercises)
    assert all(with_helper[topic] != after[topic] for topic in after)
