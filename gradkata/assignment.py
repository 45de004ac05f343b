"""Per-assignment configuration: which exercises, their points, and Gradescope visibility.

Course staff edit a small TOML file (``assignment.toml`` at the course root
is a commented example)::

    exercises = ["activations", "5.1"]   # as --exercise takes them; absent: all
    visibility = "after_due_date"        # every test's default
    output = "Homework 2: activations"   # shown above the result

    [exercise."activations.sigmoid"]
    points = 5                           # score scales: score * 5 / catalogue points
    visibility = "visible"

It applies to a results document after grading (:func:`apply`): the grade
itself never depends on it, so the same submission graded for two
assignments differs only in points, visibility and text.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from .catalog import Catalog

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_TOP_KEYS = ("exercises", "visibility", "output", "exercise")
_EXERCISE_KEYS = ("points", "visibility")


class AssignmentError(ValueError):
    """The assignment file is malformed; the message names the file, the line and the key."""


@dataclass(frozen=True)
class Override:
    points: float | None = None
    visibility: str | None = None


@dataclass(frozen=True)
class Assignment:
    exercises: tuple[str, ...] = ()  # --exercise values; () means every exercise
    visibility: str | None = None  # the default for every test; None: Gradescope's own
    output: str = ""
    overrides: dict[str, Override] = field(default_factory=dict)  # by exercise id


def load_assignment(path: Path, catalog: Catalog) -> Assignment:
    """Read and validate ``path``; an :class:`AssignmentError` says what is wrong, and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AssignmentError(f"{path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AssignmentError(f"{path}: {error}") from None
    problem = _Problems(path, text)
    for key in data:
        if key not in _TOP_KEYS:
            problem(key, f"unknown key {key!r} (known: {', '.join(_TOP_KEYS)})")
    exercises = _exercise_values(data.get("exercises", []), catalog, problem)
    selected = {ex.id for ex in catalog.select(list(exercises))} if exercises else None
    output = data.get("output", "")
    if not isinstance(output, str):
        problem("output", "'output' must be a string")
    return Assignment(exercises=exercises, output=output,
                      visibility=_visibility(data.get("visibility"), "visibility", problem),
                      overrides=_overrides(data.get("exercise", {}), catalog, selected, problem))


class _Problems:
    """Raises an AssignmentError naming the file and the line where ``needle`` first appears."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def __call__(self, needle: str, message: str) -> NoReturn:
        pattern = re.compile(rf"(^|[\s\[\".]){re.escape(needle)}([\s\]\".=]|$)")
        line = next((n for n, text in enumerate(self.lines, 1)
                     if pattern.search(text.split("#", 1)[0])), None)
        where = f"{self.path}:{line}" if line else str(self.path)
        raise AssignmentError(f"{where}: {message}")


def _exercise_values(values, catalog: Catalog, problem) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problem("exercises", "'exercises' must be a list of ids, numbers or topics, "
                             'e.g. exercises = ["activations", "5.1"]')
    for value in values:
        if not any(value in (ex.id, ex.number, ex.topic) for ex in catalog.exercises):
            problem(value, f"'exercises' names no exercise {value!r}{_close(value, catalog)}")
    return tuple(values)


def _visibility(value, key: str, problem) -> str | None:
    if value is not None and value not in VISIBILITIES:
        problem(key, f"{key} {value!r} is not one of {', '.join(VISIBILITIES)}")
    return value


def _overrides(table, catalog: Catalog, selected: set[str] | None,
               problem) -> dict[str, Override]:
    if not isinstance(table, dict):
        problem("exercise", 'per-exercise settings go in tables: [exercise."activations.sigmoid"]')
    known = {ex.id for ex in catalog.exercises}
    overrides = {}
    for exercise_id, settings in table.items():
        if exercise_id not in known:
            problem(exercise_id, f"[exercise] names no exercise id {exercise_id!r}"
                                 f"{_close(exercise_id, catalog)}")
        if selected is not None and exercise_id not in selected:
            problem(exercise_id, f"[exercise.{exercise_id!r}]: 'exercises' does not select it")
        if not isinstance(settings, dict):
            problem(exercise_id, f"[exercise.{exercise_id!r}] must be a table")
        for key in settings:
            if key not in _EXERCISE_KEYS:
                problem(key, f"[exercise.{exercise_id!r}]: unknown key {key!r} "
                             f"(known: {', '.join(_EXERCISE_KEYS)})")
        points = settings.get("points")
        if points is not None and (isinstance(points, bool) or not isinstance(points, int | float)
                                   or points < 0):
            problem("points", f"[exercise.{exercise_id!r}]: points must be a number >= 0")
        overrides[exercise_id] = Override(
            points=float(points) if points is not None else None,
            visibility=_visibility(settings.get("visibility"), "visibility", problem))
    return overrides


def _close(value: str, catalog: Catalog) -> str:
    names = [ex.id for ex in catalog.exercises] + [t.name for t in catalog.topics]
    by_name = [ex.id for ex in catalog.exercises if ex.name == value]
    close = by_name or difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def apply(assignment: Assignment, document: dict) -> dict:
    """``document`` (SPEC §3 results) with the assignment's points, visibility and text.

    An exercise's score scales with its points (``score * points / max_score``);
    the top-level ``score`` stays the sum of the tests' scores.
    """
    for test in document.get("tests", []):
        override = assignment.overrides.get(test["name"], Override())
        if override.points is not None:
            old = test["max_score"]
            test["score"] = round(test["score"] * override.points / old, 4) if old else 0.0
            test["max_score"] = override.points
        visibility = override.visibility or assignment.visibility
        if visibility is not None:
            test["visibility"] = visibility
    document["score"] = round(sum(test["score"] for test in document.get("tests", [])), 4)
    if assignment.visibility is not None:
        document["visibility"] = assignment.visibility
    if assignment.output:
        document["output"] = f"{assignment.output.rstrip()}\n\n{document.get('output', '')}"
    return document
