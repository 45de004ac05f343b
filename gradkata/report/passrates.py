"""Per-exercise pass rates of a batch gradebook CSV, for the HTML report's chart.

The gradebook has one row per submission: a ``submission`` column, one
column per exercise id holding that submission's score, then ``total`` and
``max_total``. An exercise counts as passed by a submission when its score
equals the exercise's points in the catalogue (full marks); an empty cell
counts as not passed. Columns that are not catalogue exercises are ignored.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog, Exercise

FULL_MARKS_SLACK = 5e-5  # scores are written rounded to 4 decimals


@dataclass(frozen=True)
class PassRates:
    submissions: int
    rates: tuple[tuple[Exercise, float], ...]  # catalogue order; only exercises in the CSV


class GradebookError(ValueError):
    """The file is not a gradebook (no ``submission`` column, or no exercise column)."""


def read_gradebook(path: Path, catalog: Catalog) -> PassRates:
    """Pass rates from the gradebook at ``path``; :class:`GradebookError` when it is not one."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        rows = list(reader)
    if "submission" not in columns:
        raise GradebookError(f"{path}: no 'submission' column: not a gradebook")
    exercises = [ex for ex in catalog.exercises if ex.id in columns]
    if not exercises:
        raise GradebookError(f"{path}: no column names an exercise of the catalogue")
    rates = tuple((ex, _share_passed(rows, ex)) for ex in exercises)
    return PassRates(len(rows), rates)


def _share_passed(rows: list[dict], exercise: Exercise) -> float:
    if not rows:
        return 0.0
    return sum(_passed(row.get(exercise.id), exercise.points) for row in rows) / len(rows)


def _passed(cell: str | None, points: float) -> bool:
    try:
        return float(cell or "") >= points - FULL_MARKS_SLACK
    except ValueError:
        return False
