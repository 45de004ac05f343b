"""``gradkata release``: exercises/ regenerated from the marked solutions/.

Each stub is its docstring and one raise naming the exercise, no solution line
reaches a stub, an unmarked exercise body is refused, and the command names a
stale stub (``--check``), repairs it, and leaves exercises/ untouched when a
solution is badly marked. The markers on a small module are tested in
test_release_markers.py, the learner's repository in test_release_learner_repo.py.
"""

from __future__ import annotations

import ast

import pytest

from gradkata import cli
from gradkata.release.regenerate import expected_stubs, stale_stubs
from gradkata.release.stubs import ReleaseError, stub_source

from .conftest import ROOT
from .course_copy import scratch_course
from .solution_code import reference, solution_lines


def leaked_lines(solution: str, stub: str) -> set[str]:
    """The solution lines that appear in ``stub``'s code (its docstrings left aside)."""
    docstring_lines = set()
    for node in ast.walk(ast.parse(stub)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and \
                ast.get_docstring(node, clean=False) is not None:
            docstring_lines |= set(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    code = {line.strip() for number, line in enumerate(stub.splitlines(), start=1)
            if number not in docstring_lines}
    return solution_lines(solution) & code


def unmark(source: str, definition: str, *, block_above: bool = False) -> str:
    """``source`` without the markers of the solution block after the line starting
    ``definition`` (its body's), or, with ``block_above``, of the block it lies in."""
    lines = source.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(definition))
    begins = [i for i, line in enumerate(lines) if line.strip() == "# BEGIN SOLUTION"]
    begin = max(i for i in begins if i < start) if block_above else min(
        i for i in begins if i > start)
    end = next(i for i in range(begin, len(lines)) if lines[i].strip() == "# END SOLUTION")
    return "".join(lines[:begin] + lines[begin + 1:end] + lines[end + 1:])


# -- exercises/ is what solutions/ gives ------------------------------------------------------

def test_exercises_are_what_the_marked_solutions_give(catalog):
    stale = stale_stubs(catalog)
    assert not stale, "run gradkata release:\n" + "\n".join(
        line for stub in stale for line in stub.diff[:20])


def test_every_exercise_stub_is_its_docstring_and_one_raise_naming_it(catalog):
    for path, stub in expected_stubs(catalog).items():
        topic = catalog.topic(path.stem)
        definitions = {node.name: node for node in ast.parse(stub).body
                       if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert set(definitions) == {ex.name for ex in topic.exercises}, path.name  # no helpers
        for ex in topic.exercises:
            node = definitions[ex.name]
            functions = [node] if isinstance(node, ast.FunctionDef) else node.body[1:]
            for function in functions:
                body = function.body[1:] if ast.get_docstring(function) else function.body
                qualified = ex.id if function is node else f"{ex.id}.{function.name}"
                assert ast.get_docstring(node), ex.id  # the maths and shapes are there
                assert len(body) == 1
                assert ast.unparse(body[0]) == (
                    f"raise NotImplementedError('exercise {ex.number}: write {qualified}')")


def test_no_solution_line_reaches_the_stubs(catalog):
    for path, stub in expected_stubs(catalog).items():
        solution = reference(path.stem)
        assert len(solution_lines(solution)) >= 10, path.name
        assert leaked_lines(solution, stub) == set(), path.name


def test_the_leak_check_catches_an_unmarked_helper(catalog):
    """Without its markers, layers' shape-check helper would be copied to the learner."""
    solution = unmark(reference("layers"), "def _require_multipliable", block_above=True)
    stub = stub_source(solution, catalog.topic("layers"), "layers.py")
    leaked = leaked_lines(reference("layers"), stub)
    assert '"mat1 and mat2 shapes cannot be multiplied "' in leaked


def test_solution_only_helpers_and_methods_never_reach_the_stubs(catalog):
    stubs = {path.stem: text for path, text in expected_stubs(catalog).items()}
    for topic, name in [("layers", "def _require_multipliable"), ("layers", "def _uniform"),
                        ("losses", "LOG_FLOOR"), ("autograd", "def __repr__"),
                        ("derivatives", "import itertools")]:
        assert name in reference(topic)
        assert name not in stubs[topic], (topic, name)


@pytest.mark.parametrize(("topic", "definition", "says"), [
    ("activations", "def sigmoid(",
     r"activations\.sigmoid is \(part of\) exercise 4\.1, but its body is not between"),
    ("autograd", "def __add__(", r"autograd\.Value\.__add__ is \(part of\) exercise 7\.1"),
])
def test_an_unmarked_exercise_body_is_refused(catalog, topic, definition, says):
    solution = unmark(reference(topic), definition)
    with pytest.raises(ReleaseError, match=says):
        stub_source(solution, catalog.topic(topic), f"solutions/{topic}.py")


# -- the command --------------------------------------------------------------------------------

def test_release_check_names_a_changed_stub_and_release_repairs_it(tmp_path, monkeypatch, capsys):
    course = scratch_course(tmp_path, (), {})
    monkeypatch.chdir(course)
    assert cli.main(["release", "--check"]) == 0
    tensors, optim = course / "exercises" / "tensors.py", course / "exercises" / "optim.py"
    tensors.write_text(tensors.read_text().replace("Exercise 1.1", "Exercise 1.1 (edited)", 1))
    optim.unlink()
    capsys.readouterr()

    assert cli.main(["release", "--check"]) == 1
    err = capsys.readouterr().err
    assert "  exercises/tensors.py\n  exercises/optim.py\n" in err
    assert "-    r\"\"\"Exercise 1.1 (edited)" in err
    assert "Run `gradkata release`" in err
    assert "(edited)" in tensors.read_text()  # --check writes nothing
    assert not optim.exists()

    assert cli.main(["release"]) == 0
    assert "2 of 8 stubs changed" in capsys.readouterr().out
    for name in ("tensors.py", "optim.py"):
        regenerated = (course / "exercises" / name).read_bytes()
        assert regenerated == (ROOT / "exercises" / name).read_bytes()
    assert cli.main(["release", "--check"]) == 0


def test_release_without_solutions_says_where_it_runs(tmp_path, monkeypatch, capsys):
    course = scratch_course(tmp_path, (), {})
    (course / "catalog.toml").write_text((course / "catalog.toml").read_text().replace(
        'solutions = "solutions"', 'solutions = "nowhere"'))
    monkeypatch.chdir(course)
    assert cli.main(["release", "--check"]) == 2
    assert "release runs in the course's own repository" in capsys.readouterr().err


def test_a_badly_marked_solution_leaves_exercises_untouched(tmp_path, monkeypatch, capsys):
    course = scratch_course(tmp_path, (), {})
    solutions = course / "solutions" / "tensors.py"
    solutions.write_text(unmark(solutions.read_text(), "def outer("))
    (course / "exercises" / "activations.py").write_text("# stale\n")
    monkeypatch.chdir(course)
    assert cli.main(["release"]) == 2
    assert "tensors.outer is (part of) exercise 1.2" in capsys.readouterr().err
    assert (course / "exercises" / "activations.py").read_text() == "# stale\n"
