"""The course catalogue: topics, exercise ids, numbers, points, forbidden calls.

The catalogue is course data (``catalog.toml`` beside the course's
``exercises/`` and ``solutions/``), not harness code. Plugin, reports and CLI
all read it through :func:`load_catalog`; nothing else knows which exercises
exist.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = "catalog.toml"


class CatalogError(ValueError):
    """The catalogue file is malformed; the message says where."""


@dataclass(frozen=True)
class Exercise:
    topic: str
    name: str
    number: str  # "<topic number>.<position>", e.g. "4.1"
    points: float
    forbidden: tuple[str, ...]  # the topic's entries followed by the exercise's own

    @property
    def id(self) -> str:
        return f"{self.topic}.{self.name}"


@dataclass(frozen=True)
class Topic:
    name: str
    number: int
    title: str
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class Catalog:
    root: Path  # the course directory: exercises/, solutions/ and tests/ live here
    title: str
    exercises_dir: Path
    solutions_dir: Path
    topics: tuple[Topic, ...]

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        """Every exercise, in catalogue (learning) order."""
        return tuple(ex for topic in self.topics for ex in topic.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise KeyError(exercise_id)

    def topic(self, name: str) -> Topic:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)

    def forbidden_rules(self, exercise: Exercise):
        """The guard's rules for ``exercise``. The learner's own functions from
        other topics are always allowed, whatever they call inside (SPEC §1)."""
        from .checks.guard import ForbiddenRules  # imports torch: only when guarding

        others = tuple(t.name for t in self.topics if t.name != exercise.topic)
        return ForbiddenRules(exercise.id, exercise.forbidden, other_topics=others)

    def select(self, wanted: list[str]) -> tuple[Exercise, ...]:
        """Resolve ``--exercise`` values (an id, a number or a topic name).

        Raises ``KeyError`` with a message listing close matches for the
        first value that names nothing.
        """
        chosen: set[str] = set()
        for value in wanted:
            matches = [ex for ex in self.exercises if value in (ex.id, ex.number, ex.topic)]
            if not matches:
                raise KeyError(self._unknown_message(value))
            chosen.update(ex.id for ex in matches)
        return tuple(ex for ex in self.exercises if ex.id in chosen)

    def _unknown_message(self, value: str) -> str:
        names = [ex.id for ex in self.exercises] + [ex.number for ex in self.exercises]
        names += [t.name for t in self.topics]
        # Also match on the bare function name, the way learners type it.
        by_name = [ex.id for ex in self.exercises if ex.name == value]
        close = by_name or difflib.get_close_matches(value, names, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"unknown exercise {value!r}.{hint} (see catalog.toml for the list)"


def find_catalog(start: Path) -> Path | None:
    """The catalogue file in ``start`` or its nearest ancestor holding one."""
    for folder in (start, *start.parents):
        candidate = folder / CATALOG_FILE
        if candidate.is_file():
            return candidate
    return None


def load_catalog(path: Path) -> Catalog:
    """Parse ``catalog.toml``; raise :class:`CatalogError` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{path}: {error}") from error
    course = data.get("course", {})
    root = path.parent
    topics = tuple(_topic(entry, path) for entry in data.get("topic", []))
    if not topics:
        raise CatalogError(f"{path}: no [[topic]] entries")
    return Catalog(
        root=root,
        title=course.get("title", "gradkata"),
        exercises_dir=root / course.get("exercises", "exercises"),
        solutions_dir=root / course.get("solutions", "solutions"),
        topics=topics,
    )


def _topic(entry: dict, path: Path) -> Topic:
    try:
        name, number = entry["name"], int(entry["number"])
        topic_forbidden = tuple(entry.get("forbidden", ()))
        exercises = tuple(
            Exercise(
                topic=name,
                name=item["name"],
                number=f"{number}.{position}",
                points=float(item.get("points", 1)),
                forbidden=topic_forbidden + tuple(item.get("forbidden", ())),
            )
            for position, item in enumerate(entry.get("exercise", []), start=1)
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CatalogError(
            f"{path}: bad topic entry {entry.get('name', '?')!r}: {error}"
        ) from error
    return Topic(name=name, number=number, title=entry.get("title", name), exercises=exercises)
