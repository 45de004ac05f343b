"""Import one implementation (exercises, solutions or a submission directory).

Each directory is imported as a synthetic package, topic by topic in
catalogue order, so that ``from .activations import sigmoid`` works under any
directory name and one broken module costs only its own topic: a topic that
is missing or fails to import is replaced by the reference module for the
topics that depend on it (SPEC §1), and is itself graded ``error`` or
``missing``.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog, Exercise

SUBMISSION_PACKAGE = "gradkata_submission"
REFERENCE_PACKAGE = "gradkata_reference"
_package_numbers = itertools.count()


@dataclass
class TopicLoad:
    """How one topic module of an implementation fared at import."""

    topic: str
    path: Path
    state: str  # "ok" | "error" | "missing"
    module: types.ModuleType | None = None
    problem: str = ""  # learner-facing reason when state is not "ok"


@dataclass
class Implementation:
    label: str  # the --impl value as given
    directory: Path
    package: str  # the synthetic package its modules live in
    topics: dict[str, TopicLoad] = field(default_factory=dict)

    def module(self, topic: str) -> types.ModuleType | None:
        return self.topics[topic].module

    def problem(self, exercise: Exercise) -> tuple[str, str] | None:
        """``(state, reason)`` when ``exercise`` cannot be graded, else None."""
        load = self.topics[exercise.topic]
        if load.state != "ok":
            return load.state, load.problem
        if not hasattr(load.module, exercise.name):
            return "missing", f"{load.path.name} defines no {exercise.name!r}"
        return None

    def location(self, exercise: Exercise) -> tuple[Path, int | None]:
        """The file defining ``exercise`` and the line of its definition."""
        path = self.topics[exercise.topic].path
        return path, definition_lines(path).get(exercise.name)


def load_implementation(
    label: str, directory: Path, catalog: Catalog, reference: Implementation | None = None
) -> Implementation:
    """Import every catalogue topic from ``directory``.

    ``reference`` supplies stand-ins for topics that are missing or broken;
    without one (grading the reference itself) such topics stay unresolved.
    """
    package = _new_package(SUBMISSION_PACKAGE if reference else REFERENCE_PACKAGE, directory)
    impl = Implementation(label=label, directory=directory, package=package)
    for topic in catalog.topics:
        load = _import_topic(package, directory, topic.name)
        impl.topics[topic.name] = load
        if load.state != "ok" and reference is not None:
            stand_in = reference.module(topic.name)
            if stand_in is not None:  # dependents import the reference instead
                sys.modules[f"{package}.{topic.name}"] = stand_in
                setattr(sys.modules[package], topic.name, stand_in)
    return impl


def _new_package(prefix: str, directory: Path) -> str:
    name = f"{prefix}_{next(_package_numbers)}"
    package = types.ModuleType(name, f"gradkata-loaded implementation from {directory}")
    package.__path__ = [str(directory)]
    sys.modules[name] = package
    return name


def _import_topic(package: str, directory: Path, topic: str) -> TopicLoad:
    path = directory / f"{topic}.py"
    if not path.is_file():
        return TopicLoad(topic, path, "missing", problem=f"{path.name} is missing")
    try:
        module = importlib.import_module(f"{package}.{topic}")
    except (Exception, SystemExit) as error:
        sys.modules.pop(f"{package}.{topic}", None)
        return TopicLoad(topic, path, "error", problem=_import_problem(path, error))
    return TopicLoad(topic, path, "ok", module=module)


def _import_problem(path: Path, error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        return f"{path.name} could not be imported: SyntaxError at line {error.lineno}: {error.msg}"
    line = _innermost_line_in(path, error)
    where = f" (line {line})" if line else ""
    return f"{path.name} could not be imported: {type(error).__name__}: {error}{where}"


def _innermost_line_in(path: Path, error: BaseException) -> int | None:
    lines = [
        f.lineno for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path
    ]
    return lines[-1] if lines else None


def definition_lines(path: Path) -> dict[str, int]:
    """Top-level function and class names of a module file -> their line."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    return {
        node.name: node.lineno
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
