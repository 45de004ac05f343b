"""``gradkata release``: exercises/ regenerated from the marked solutions/, and the learner's repo.

In-process except the last test, which installs the learner's repository in
a fresh virtual environment and grades its stubs there (about 20 s of CPU).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradkata import cli
from gradkata.catalog import Exercise, Topic
from gradkata.release.learner_repo import LEFT_OUT, learner_readme, write_learner_repo
from gradkata.release.markers import find_blocks
from gradkata.release.regenerate import expected_stubs, stale_stubs
from gradkata.release.stubs import ReleaseError, stub_source

from .course_copy import scratch_course

ROOT = Path(__file__).resolve().parent.parent


def solution_lines(solution: str) -> set[str]:
    """The stripped code lines of ``solution``'s solution blocks (not comments or imports)."""
    lines = solution.splitlines()
    found = set()
    for block in find_blocks(lines, "solution"):
        if block.kind == "solution":
            found |= {line.strip() for line in lines[block.begin:block.end - 1]}
    return {line for line in found if line and not line.startswith(("#", "import ", "from "))}


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


def reference(topic: str) -> str:
    return (ROOT / "solutions" / f"{topic}.py").read_text(encoding="utf-8")


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


# -- the markers, on a small module ----------------------------------------------------------

TOPIC = Topic("toy", 9, "Toy", (Exercise("toy", "double", "9.1", 1.0, ()),
                                Exercise("toy", "Counter", "9.2", 1.0, ())))

MARKED = '''\
"""A toy topic."""

# BEGIN SOLUTION
import math

# END SOLUTION
# BEGIN STUB
# import math  # noqa: F401 - for your solutions
# END STUB


# BEGIN SOLUTION
def _twice(x):
    return x + x
# END SOLUTION


def double(x):
    """Exercise 9.1 - 2 x."""
    # BEGIN SOLUTION
    return _twice(x)  # a helper of the reference
    # END SOLUTION


class Counter:
    """Exercise 9.2 - counts."""

    def __init__(self):
        # BEGIN SOLUTION
        self.count = 0
        # END SOLUTION

    # BEGIN SOLUTION
    def __repr__(self):
        return f"Counter({self.count})"
    # END SOLUTION

    def add(self):
        """One more."""
        # BEGIN SOLUTION
        self.count += 1
        # END SOLUTION
'''

STUB = '''\
"""A toy topic."""

import math  # noqa: F401 - for your solutions


def double(x):
    """Exercise 9.1 - 2 x."""
    raise NotImplementedError("exercise 9.1: write toy.double")


class Counter:
    """Exercise 9.2 - counts."""

    def __init__(self):
        raise NotImplementedError("exercise 9.2: write toy.Counter.__init__")

    def add(self):
        """One more."""
        raise NotImplementedError("exercise 9.2: write toy.Counter.add")
'''


def test_markers_give_the_documented_stub():
    assert stub_source(MARKED, TOPIC, "toy.py") == STUB


@pytest.mark.parametrize(("change", "says"), [
    (("# END SOLUTION\n# BEGIN STUB", "# BEGIN STUB"),
     r"toy\.py:6: '# BEGIN STUB' inside the block opened at line 3"),
    (("+= 1\n        # END SOLUTION\n", "+= 1\n"),
     r"toy\.py:40: '# BEGIN SOLUTION' is never closed"),
    (("# END STUB\n", "# END STUB\n# END STUB\n"), r"toy\.py:10: '# END STUB' closes no block"),
    (("# import math  #", "import math  #"), r"toy\.py:8: a line of a stub block must be"),
    (("    return x + x\n# END", "    # END SOLUTION\n    return x + x\n# END"), r"indented like"),
    (("def _twice(x):\n    return x + x", "def _twice(x):\n    y = x\n    # BEGIN SOLUTION\n"
      "    return x + x\n    # END SOLUTION"), r"blocks do not nest"),
    (("def _twice(x):\n    return x + x\n# END SOLUTION",
      "def _twice(x):\n# END SOLUTION\n    return x + x"),
     r"toy\.py:12: the solution block ends inside the statement at line 13"),
    (("# BEGIN SOLUTION\ndef _twice(x):\n    return x + x\n# END SOLUTION",
      "    # BEGIN SOLUTION\ndef _twice(x):\n    return x + x\n    # END SOLUTION"),
     r"toy\.py:12: the markers are not indented like the statements they hold"),
    (("def double(x):", "def triple(x):"), r"defines no 'double'.*exercise 9\.1"),
    (("        self.count = 0\n        # END SOLUTION",
      "        # END SOLUTION\n        self.count = 0"), r"toy\.Counter\.__init__ is \(part of\)"),
])
def test_malformed_markers_are_refused_with_the_line(change, says):
    old, new = change
    assert old in MARKED
    with pytest.raises(ReleaseError, match=says):
        stub_source(MARKED.replace(old, new, 1), TOPIC, "toy.py")


def test_a_solution_block_inside_a_helper_is_refused():
    helper = "def _twice(x):\n    return x + x\n# END SOLUTION"
    marked = MARKED.replace(helper, "# END SOLUTION\n\n\ndef _twice(x):\n    # BEGIN SOLUTION\n"
                                    "    return x + x\n    # END SOLUTION")
    with pytest.raises(ReleaseError, match=r"inside _twice, which is no exercise's body"):
        stub_source(marked, TOPIC, "toy.py")


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


# -- the learner's repository -----------------------------------------------------------------

def test_learner_readme_keeps_what_is_true_for_a_learner():
    readme = learner_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    assert first_block.strip().startswith("pip install torch==2.13.0 -e . && pytest")
    assert len(first_block.strip().splitlines()) == 1
    assert not re.search(r"^## (For course|Design)", readme, re.MULTILINE)
    for heading in ("## How a learner works", "## Commands", "## Reading the card"):
        assert heading in readme
    for name in LEFT_OUT:
        assert f"{name}/" not in readme, name
        assert f"pytest {name}" not in readme, name


def test_the_readme_filter_drops_only_the_sentence_that_names_a_left_out_folder():
    text = textwrap.dedent("""\
        # t

        - `watch` is fast. See `benchmarks/bench_watch.py`. It polls.
        - `kata` times you.

        ## For course authors

        Anything.
        """)
    assert learner_readme(text) == "# t\n\n- `watch` is fast. It polls.\n- `kata` times you.\n"


def test_learner_repo_refuses_a_folder_inside_the_course_or_not_empty(catalog, tmp_path):
    with pytest.raises(ReleaseError, match="inside the course"):
        write_learner_repo(catalog, ROOT / "learner")
    (tmp_path / "something").write_text("")
    with pytest.raises(ReleaseError, match="not an empty folder"):
        write_learner_repo(catalog, tmp_path)


def package_view(folder: Path) -> Path:
    """Every package this interpreter has installed except gradkata, as links in one folder."""
    folder.mkdir()
    for packages in site.getsitepackages():
        for entry in sorted(Path(packages).iterdir()):
            target = folder / entry.name
            if "gradkata" not in entry.name.lower() and entry.suffix != ".pth" \
                    and not target.exists():
                target.symlink_to(entry)
    return folder


def fresh_venv(folder: Path, packages: Path) -> Path:
    """A new virtual environment seeing ``packages`` (by a .pth file); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "outer_packages.pth").write_text(f"{packages}\n")
    return python


@pytest.mark.skipif(os.name == "nt", reason="the package view is made of symlinks (POSIX)")
@pytest.mark.skipif(not all(importlib.util.find_spec(name) for name in ("setuptools", "pip")),
                    reason="installing without build isolation needs setuptools and pip here")
@pytest.mark.timeout(600)
def test_learner_repository_installs_in_a_fresh_venv_and_grades_its_stubs(catalog, tmp_path):
    learner = tmp_path / "learner"
    write_learner_repo(catalog, learner)
    shipped = {path.relative_to(learner).as_posix() for path in learner.rglob("*")}
    assert {"pyproject.toml", "catalog.toml", "hints.toml", "conftest.py", "README.md",
            ".gitignore", "gradkata/plugin.py", "tests/test_train.py",
            "exercises/__init__.py", "exercises/autograd.py"} <= shipped
    assert not [path for path in shipped if path.split("/")[0] in LEFT_OUT]
    assert not [path for path in shipped if "__pycache__" in path or "egg-info" in path]
    # Solution code in no shipped file. tests/ is left aside: grading tests compute their own
    # references (a central difference, say), and a learner grading at home needs them.
    every_solution_line = {line for topic in catalog.topics
                           for line in solution_lines(reference(topic.name)) if len(line) >= 25}
    for path in learner.rglob("*"):
        if path.is_file() and path.parts[len(learner.parts)] not in ("tests", "exercises"):
            text = path.read_text(encoding="utf-8")
            assert not [line for line in every_solution_line if line in text], path

    python = fresh_venv(tmp_path / "venv", package_view(tmp_path / "packages"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    # No bytecode: the shared packages' __pycache__ must not learn this venv's paths.
    env |= {"PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INDEX": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        # -P: the learner repo's own gradkata/ folder must not shadow the installed package
        return subprocess.run([str(python), "-P", *args], cwd=learner, env=env,
                              capture_output=True, text=True, timeout=400)

    installed = run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--quiet", ".")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = run("-c", "import gradkata, importlib.metadata as m; print(gradkata.__file__); "
                      "print(m.distribution('gradkata').locate_file(''))")
    venv = str(tmp_path / "venv")
    assert all(line.startswith(venv) for line in where.stdout.split()), where.stdout

    graded = run("-m", "pytest", "-p", "no:cacheprovider", "--trace-config")
    output = graded.stdout + graded.stderr
    assert graded.returncode == 0, output[-3000:]
    plugin = re.search(r"^\s*gradkata\s*: (\S+)$", output, re.MULTILINE)
    assert plugin, "pytest did not load the gradkata plugin"
    assert plugin.group(1).startswith(venv), f"the plugin came from {plugin.group(1)}"
    assert "grade card" in output
    assert "0/51 exercises passed" in output
    assert len(re.findall(r"^\s+\d+\.\d+\s+\S+\s+todo\s", output, re.MULTILINE)) == 51
