"""A scratch copy of the course, for self-tests of the ``gradkata`` commands.

The commands keep state in ``.gradkata/`` and read ``exercises/``; a copy in
a temporary directory lets a test edit exercises and grade them without
touching the real course. Only the chosen topics' grading tests are copied,
so that grading the copy stays fast.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE_FILES = ("catalog.toml", "pyproject.toml", "conftest.py", "hints.toml")
PROFILE = "selftest"  # the course's profiles, with fewer examples: the same checks, sooner
_PROFILE_SETUP = f"""

# Added by gradkata's self-tests: the dev profile with fewer examples.
settings.register_profile("{PROFILE}", max_examples=5, **_COMMON)
"""


def scratch_course(folder: Path, topics: tuple[str, ...], solved: dict[str, set[str]]) -> Path:
    """A course in ``folder`` grading ``topics`` only; ``solved[topic]`` names the exercises done.

    The other exercises keep their stubs (and docstrings). Its conftest.py
    also registers the hypothesis profile ``PROFILE`` (5 examples a test).
    """
    for name in COURSE_FILES:
        shutil.copyfile(ROOT / name, folder / name)
    with (folder / "conftest.py").open("a") as conftest:
        conftest.write(_PROFILE_SETUP)
    shutil.copytree(ROOT / "solutions", folder / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "exercises", folder / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "tests").mkdir()
    for topic in topics:
        shutil.copyfile(ROOT / "tests" / f"test_{topic}.py", folder / "tests" / f"test_{topic}.py")
    for topic, names in solved.items():
        module = folder / "exercises" / f"{topic}.py"
        reference = (ROOT / "solutions" / f"{topic}.py").read_text()
        module.write_text(solve(module.read_text(), reference, names))
    return folder


def solve(stub: str, solution: str, names: set[str]) -> str:
    """``stub`` with the definitions of ``names`` taken from ``solution`` (helpers appended)."""
    solution_tree = ast.parse(solution)
    definitions = {n.name: ast.get_source_segment(solution, n) for n in solution_tree.body
                   if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    lines = stub.splitlines(keepends=True)
    stub_nodes = [n for n in ast.parse(stub).body
                  if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    for node in sorted(stub_nodes, key=lambda n: n.lineno, reverse=True):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines[first - 1:node.end_lineno] = [definitions[node.name] + "\n"]
    helpers = [ast.get_source_segment(solution, n) for n in solution_tree.body
               if isinstance(n, (ast.Import, ast.ImportFrom))
               or (isinstance(n, ast.FunctionDef) and n.name.startswith("_"))]
    return "".join(lines) + "\n\n" + "\n\n".join(helpers) + "\n"


def replace_definition(source: str, name: str, new_definition: str) -> str:
    """``source`` with the top-level definition of ``name`` replaced by ``new_definition``."""
    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)
    lines = source.splitlines(keepends=True)
    lines[node.lineno - 1:node.end_lineno] = [new_definition.rstrip("\n") + "\n"]
    return "".join(lines)
