"""The last run's grade, kept under ``.gradkata/``: instant while the code is unchanged.

``gradkata status`` and ``gradkata next`` read the grade from
``.gradkata/status.json``. Each topic's results carry a fingerprint: a hash
of its module and of the topic modules it imports (``from .layers import
...``), on top of one hash of everything else a grade depends on (the
catalogue, the grading tests, the reference solutions, the harness, the
options). A topic whose fingerprint still matches is shown from the cache;
the others are graded again (in this process, see :mod:`gradkata.runner`),
and only those. ``--refresh`` grades every topic again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__
from .catalog import Catalog, Exercise
from .grading import ExerciseGrade, Grade
from .loader import definition_lines
from .messages import from_data, to_data
from .runner import GradeRequest, grade

STATE_DIR = ".gradkata"
CACHE_FILE = "status.json"
CACHE_FORMAT = 1


class StatusError(RuntimeError):
    """Grading could not run (a usage error, say); the message is pytest's output."""


@dataclass(frozen=True)
class Status:
    grade: Grade
    regraded: tuple[str, ...]  # topics graded by this call
    cached: tuple[str, ...]  # topics shown from the cache
    profile: str
    next_location: tuple[Path, int | None] | None
    seconds: float = 0.0  # time spent grading
    graded_at: float = 0.0  # when the oldest result shown was graded (time.time())


def state_dir(catalog: Catalog) -> Path:
    """``.gradkata/`` in the course directory: the commands' memory (git-ignored)."""
    return catalog.root / STATE_DIR


def impl_directory(catalog: Catalog, impl: str) -> Path:
    named = {"exercises": catalog.exercises_dir, "solutions": catalog.solutions_dir}
    return named.get(impl) or Path(impl).resolve()


# -- fingerprints --------------------------------------------------------------

def course_fingerprint(catalog: Catalog, request: GradeRequest) -> str:
    """One hash of what every topic's grade depends on besides the graded code."""
    digest = hashlib.sha256()
    options = [__version__, request.impl, str(request.seed), request.profile or ""]
    digest.update("\0".join(options).encode())
    harness = Path(__file__).resolve().parent
    files = sorted(harness.rglob("*.py"))
    root = catalog.root
    files += [root / "catalog.toml", root / "pyproject.toml", root / "conftest.py"]
    files += sorted((root / "tests").rglob("*.py")) + sorted(catalog.solutions_dir.glob("*.py"))
    for path in files:
        digest.update(str(path).encode() + b"\0" + _read(path) + b"\0")
    return digest.hexdigest()


def topic_fingerprints(catalog: Catalog, directory: Path) -> dict[str, str]:
    """topic -> hash of its module in ``directory``, of the topic modules it imports, and of
    every other ``*.py`` there (a learner's helper module may serve any topic)."""
    names = [t.name for t in catalog.topics]
    sources = {name: _read(directory / f"{name}.py") for name in names}
    imports = {name: _relative_imports(sources[name], names) for name in names}
    helpers = hashlib.sha256()
    for path in sorted(directory.rglob("*.py")) if directory.is_dir() else ():
        relative = path.relative_to(directory).as_posix()
        if relative not in {f"{name}.py" for name in names} | {"__init__.py"}:
            helpers.update(relative.encode() + b"\0" + _read(path) + b"\0")
    fingerprints = {}
    for name in names:
        digest = helpers.copy()
        for dependency in sorted(_closure(name, imports)):
            digest.update(dependency.encode() + b"\0" + sources[dependency] + b"\0")
        fingerprints[name] = digest.hexdigest()
    return fingerprints


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"\0missing"


def _relative_imports(source: bytes, topics: list[str]) -> set[str]:
    """Topics a module imports relatively (``from .layers import X``, ``from . import optim``)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()  # it cannot be imported at all: graded 'error' on its own
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
            candidates = names
            found.update(c for c in candidates if c in topics)
    return found


def _closure(topic: str, imports: dict[str, set[str]]) -> set[str]:
    seen, stack = set(), [topic]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(imports[name])
    return seen


# -- the cache -------------------------------------------------------------------

def load_cache(catalog: Catalog) -> dict:
    try:
        data = json.loads((state_dir(catalog) / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == CACHE_FORMAT else {}


def save_cache(catalog: Catalog, data: dict) -> None:
    """Write atomically: an interrupted run never leaves half a cache."""
    folder = state_dir(catalog)
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".status.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
    os.replace(temporary, folder / CACHE_FILE)


def record(g: ExerciseGrade) -> dict:
    """``g`` as JSON data; its explanations kept as messages (:func:`~.messages.to_data`),
    so that a card drawn from the cache speaks whichever language is asked for."""
    evidence = {k: to_data(v) for k, v in g.evidence.items()} if g.evidence else g.evidence
    return {"state": g.state, "score": g.score, "checks": dict(g.checks),
            "output": to_data(g.output), "failed_family": g.failed_family,
            "blocked_by": g.blocked_by.id if g.blocked_by else None, "evidence": evidence}


def from_record(exercise: Exercise, data: dict, catalog: Catalog) -> ExerciseGrade:
    """The grade :func:`record` kept (an older cache's plain English texts read as they are)."""
    blocked = data.get("blocked_by")
    evidence = data.get("evidence")
    if isinstance(evidence, dict):
        evidence = {k: from_data(v) for k, v in evidence.items()}
    return ExerciseGrade(exercise, data["state"], float(data["score"]), dict(data["checks"]),
                         _text(from_data(data["output"])), data.get("failed_family"),
                         catalog.exercise(blocked) if blocked else None, evidence)


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def fresh_cache(course: str) -> dict:
    return {"format": CACHE_FORMAT, "course": course, "topics": {}, "exercises": {}}


def merged(cache: dict, grade: Grade, fingerprints: dict[str, str], profile: str) -> dict:
    """``cache`` with the topics of ``fingerprints`` (topic -> fingerprint) graded as in
    ``grade``: their old results replaced, every other topic's kept."""
    topics = set(fingerprints)
    kept = {k: v for k, v in cache["exercises"].items() if k.split(".", 1)[0] not in topics}
    kept.update({g.exercise.id: record(g) for g in grade.exercises if g.exercise.topic in topics})
    now = time.time()
    return {**cache, "exercises": kept, "topics": {**cache["topics"], **fingerprints},
            "profile": profile,
            "graded_at": {**cache.get("graded_at", {}), **dict.fromkeys(topics, now)}}


# -- status ------------------------------------------------------------------------

def current(catalog: Catalog, request: GradeRequest, *, refresh: bool = False,
            progress: Callable[[int, int], None] | None = None,
            announce: Callable[[tuple[str, ...]], None] | None = None) -> Status:
    """The grade of every exercise: from the cache where nothing changed, graded where it did.

    ``announce`` is told which topics are about to be graded, before grading starts.
    """
    course = course_fingerprint(catalog, request)
    directory = impl_directory(catalog, request.impl)
    topics = topic_fingerprints(catalog, directory)
    cache = load_cache(catalog)
    if refresh or cache.get("course") != course:
        cache = fresh_cache(course)
    stale = tuple(t.name for t in catalog.topics if cache["topics"].get(t.name) != topics[t.name])
    seconds = 0.0
    if stale:
        if announce is not None:
            announce(stale)
        everything = len(stale) == len(catalog.topics)
        run = grade(catalog, replace(request, exercises=() if everything else stale,
                                     grade_json=None), progress=progress)
        if run.grade is None:
            raise StatusError(run.output)
        seconds = run.seconds
        cache = merged(cache, run.grade, {t: topics[t] for t in stale}, run.profile)
        save_cache(catalog, cache)
    graded = Grade(tuple(from_record(ex, cache["exercises"][ex.id], catalog)
                         for ex in catalog.exercises if ex.id in cache["exercises"]))
    nxt = graded.next_up()
    return Status(
        grade=graded, regraded=stale,
        cached=tuple(t.name for t in catalog.topics if t.name not in stale),
        profile=cache.get("profile", request.profile or "dev"),
        next_location=location(directory, nxt.exercise) if nxt else None, seconds=seconds,
        graded_at=min(cache.get("graded_at", {}).values(), default=0.0))


def location(directory: Path, exercise: Exercise) -> tuple[Path, int | None]:
    path = directory / f"{exercise.topic}.py"
    return path, definition_lines(path).get(exercise.name)


def docstring(directory: Path, exercise: Exercise) -> str:
    """The exercise's docstring in the graded code, read without importing it."""
    path = directory / f"{exercise.topic}.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == exercise.name:
            return ast.get_docstring(node) or ""
    return ""
