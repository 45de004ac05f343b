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
import os
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog, Exercise
from .messages import Message

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
            return "missing", Message("loader.no_name", file=load.path.name, name=exercise.name)
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
        return TopicLoad(topic, path, "missing", problem=Message("loader.no_file", file=path.name))
    try:
        module = importlib.import_module(f"{package}.{topic}")
    except (Exception, SystemExit) as error:
        sys.modules.pop(f"{package}.{topic}", None)
        return TopicLoad(topic, path, "error", problem=_import_problem(path, error))
    return TopicLoad(topic, path, "ok", module=module)


def _import_problem(path: Path, error: BaseException) -> Message:
    """Why ``path`` could not be imported, blaming the module of the same directory that
    failed where it was another one (``layers.py`` importing a broken ``activations.py``)."""
    chain = _broken_imports(path, error)
    if chain:
        return _dependency_problem(path, chain, error)
    if isinstance(error, SyntaxError) and _syntax_error_file(error) in (_absolute(path), None):
        return Message("loader.syntax_error", file=path.name, line=error.lineno,
                       error=error.msg)
    line = _innermost_line_in(path, error)
    where = Message("loader.at_line", line=line) if line else ""
    return Message("loader.import_error", file=path.name, type=type(error).__name__,
                   error=str(error), where=where)


def _dependency_problem(path: Path, chain: list[Path], error: BaseException) -> Message:
    """``chain``: the modules being imported when ``error`` came, ending with its culprit."""
    dependency = chain[-1]
    names = {"file": path.name, "dependency": dependency.name, "via": ""}
    if len(chain) > 1:
        names["via"] = Message("loader.through", files=", ".join(p.name for p in chain[:-1]))
    if not dependency.is_file():
        return Message("loader.imports_missing", **names)
    if isinstance(error, SyntaxError) and _syntax_error_file(error) == dependency:
        return Message("loader.imports_syntax_error", **names, line=error.lineno,
                       error=error.msg)
    line = _innermost_line_in(dependency, error)
    where = Message("loader.at_line", line=line) if line else ""
    return Message("loader.imports_import_error", **names, type=type(error).__name__,
                   error=str(error), where=where)


def _broken_imports(path: Path, error: BaseException) -> list[Path]:
    """The other modules of ``path``'s directory being imported when ``error`` came,
    outermost first: the last is the one that failed; empty when ``path`` itself did.

    An error passes through the ``<module>`` frame of each module whose import it
    interrupted (frames of functions merely *called* at import time are no such frame).
    A syntax error has no frame of its module: Python compiles a module before running
    it, and the error names the file. A module missing from the directory shows as a
    ``ModuleNotFoundError`` of our package.
    """
    path = _absolute(path)
    importing = [_absolute(f.filename) for f in traceback.extract_tb(error.__traceback__)
                 if f.name == "<module>"]
    chain = list(dict.fromkeys(f for f in importing if f.parent == path.parent and f != path))
    failed = _failed_without_a_frame(path.parent, error)
    if failed is not None:
        return [] if failed == path else [*chain, failed]
    return chain


def _failed_without_a_frame(directory: Path, error: BaseException) -> Path | None:
    """A module of ``directory`` that could not even start running: a syntax error in it,
    or it is missing."""
    if isinstance(error, SyntaxError):
        file = _syntax_error_file(error)
        return file if file is not None and file.parent == directory else None
    if isinstance(error, ModuleNotFoundError) and error.name:
        package, _, module = error.name.partition(".")
        if package.startswith((SUBMISSION_PACKAGE, REFERENCE_PACKAGE)) and module \
                and "." not in module and not (directory / f"{module}.py").is_file():
            return directory / f"{module}.py"
    return None


def _syntax_error_file(error: SyntaxError) -> Path | None:
    return _absolute(error.filename) if error.filename else None


def _absolute(file: str | Path) -> Path:
    """``file`` as Python names a module's file (our directories may be given relative)."""
    return Path(os.path.abspath(file))


def _innermost_line_in(path: Path, error: BaseException) -> int | None:
    path = _absolute(path)
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__)
             if _absolute(f.filename) == path]
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


def load_topic(
    label: str, directory: Path, catalog: Catalog, topic: str,
    reference: Implementation | None = None,
) -> Implementation:
    """Import ``topic`` from ``directory``, and first the topics it imports relatively.

    For an ``--isolate`` worker, which serves one topic: code of topics that
    ``topic`` does not import never runs there. Dependencies are imported in
    catalogue order with the same stand-ins as :func:`load_implementation`.
    """
    package = _new_package(SUBMISSION_PACKAGE if reference else REFERENCE_PACKAGE, directory)
    impl = Implementation(label=label, directory=directory, package=package)
    needed = _dependencies(directory, topic, {t.name for t in catalog.topics}) | {topic}
    for name in (t.name for t in catalog.topics if t.name in needed):
        load = _import_topic(package, directory, name)
        impl.topics[name] = load
        if load.state != "ok" and reference is not None and reference.module(name) is not None:
            sys.modules[f"{package}.{name}"] = reference.module(name)
            setattr(sys.modules[package], name, reference.module(name))
    return impl


def _dependencies(directory: Path, topic: str, topics: set[str]) -> set[str]:
    """The topics ``topic``'s module imports relatively, and theirs, read from the source."""
    found: set[str] = set()
    waiting = [topic]
    while waiting:
        try:
            tree = ast.parse((directory / f"{waiting.pop()}.py").read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                for name in set(names) & topics - found - {topic}:
                    found.add(name)
                    waiting.append(name)
    return found
