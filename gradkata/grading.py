"""Pure functions: check outcomes -> exercise states -> scores (SPEC §3).

A family passes when every test of it passed; each family that ran carries
an equal share of the exercise's points; a family whose tests were all
skipped (real-GPU parity without a GPU) gives its share to the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .catalog import Catalog, Exercise
from .messages import Message

FAMILIES = ("value", "grad", "property", "stability", "dtype", "device", "purity",
            "guard", "errors", "convergence")
STATES = ("passed", "failed", "todo", "error", "missing")


@dataclass(frozen=True)
class CheckOutcome:
    """One test's result, as the plugin recorded it."""

    exercise: str
    family: str
    test: str  # pytest node id
    outcome: str  # "passed" | "failed" | "skipped" | "todo"
    explanation: str = ""
    todo_origins: tuple[str, ...] = ()
    evidence: dict | None = None  # a failed gradient check's per-element values, for a plot


@dataclass(frozen=True)
class ExerciseGrade:
    exercise: Exercise
    state: str
    score: float
    checks: dict[str, str] = field(default_factory=dict)  # family -> passed|failed|skipped
    # learner-facing: why it is not passed ("" when passed); a Message, English as a str
    output: str = ""
    failed_family: str | None = None
    blocked_by: Exercise | None = None
    # The first failed gradient check's per-element values (gradcheck_picture), with
    # "family" and "explanation" added: what the HTML report plots.
    evidence: dict | None = None


@dataclass(frozen=True)
class Grade:
    exercises: tuple[ExerciseGrade, ...]

    @property
    def score(self) -> float:
        return sum(g.score for g in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(g.exercise.points for g in self.exercises)

    @property
    def passed(self) -> int:
        return sum(g.state == "passed" for g in self.exercises)

    def next_up(self) -> ExerciseGrade | None:
        """The first exercise in learning order that is not passed."""
        return next((g for g in self.exercises if g.state != "passed"), None)

    def exit_status(self, require_complete: bool) -> int:
        bad = {"failed", "error", "missing"} | ({"todo"} if require_complete else set())
        return 1 if any(g.state in bad for g in self.exercises) else 0


def grade_exercise(exercise: Exercise, outcomes: Iterable[CheckOutcome], catalog: Catalog,
                   problem: tuple[str, str] | None = None) -> ExerciseGrade:
    """Grade one exercise from its tests' outcomes.

    problem: ``(state, reason)`` when its module is broken or missing.
    """
    if problem is not None:
        state, reason = problem
        return ExerciseGrade(exercise, state, 0.0, output=reason)
    outcomes = list(outcomes)
    todos = [o for o in outcomes if o.outcome == "todo"]
    if todos:  # its own stub first: "blocked by" only when its own code is written
        own = [o for o in todos if _first_exercise(o.todo_origins, catalog) in (None, exercise.id)]
        return _todo_grade(exercise, (own or todos)[0], catalog)
    checks = family_statuses(outcomes)
    ran = [f for f, status in checks.items() if status != "skipped"]
    passed = [f for f in ran if checks[f] == "passed"]
    score = exercise.points * len(passed) / len(ran) if ran else exercise.points
    failed = next((f for f in ran if checks[f] == "failed"), None)
    if failed is None:
        return ExerciseGrade(exercise, "passed", score, checks)
    first = next(o for o in outcomes if o.family == failed and o.outcome == "failed")
    return ExerciseGrade(exercise, "failed", score, checks, first.explanation, failed,
                         evidence=_first_evidence(outcomes, checks))


def _first_evidence(outcomes: list[CheckOutcome], checks: dict[str, str]) -> dict | None:
    """The evidence of the first failed check that has some, in family order."""
    for family in checks:
        for o in outcomes:
            if o.family == family and o.outcome == "failed" and o.evidence is not None:
                return {**o.evidence, "family": family, "explanation": o.explanation}
    return None


def family_statuses(outcomes: list[CheckOutcome]) -> dict[str, str]:
    """family -> "failed" if any test failed, "passed" if any passed, else "skipped"."""
    by_family: dict[str, set[str]] = {}
    for outcome in outcomes:
        by_family.setdefault(outcome.family, set()).add(outcome.outcome)
    ordered = sorted(by_family, key=lambda f: FAMILIES.index(f) if f in FAMILIES else len(FAMILIES))
    return {
        family: "failed" if "failed" in by_family[family]
        else "passed" if "passed" in by_family[family] else "skipped"
        for family in ordered
    }


def _first_exercise(origins: tuple[str, ...], catalog: Catalog) -> str | None:
    """The innermost graded function on a todo's stack that is an exercise."""
    ids = {ex.id for ex in catalog.exercises}
    return next((o for o in origins if o in ids), None)


def _todo_grade(exercise: Exercise, todo: CheckOutcome, catalog: Catalog) -> ExerciseGrade:
    origin_id = _first_exercise(todo.todo_origins, catalog)
    origin = catalog.exercise(origin_id) if origin_id else exercise
    if origin.id == exercise.id:
        return ExerciseGrade(exercise, "todo", 0.0,
                             output=Message("grading.not_done", name=exercise.name))
    return ExerciseGrade(
        exercise, "todo", 0.0, blocked_by=origin,
        output=Message("grading.blocked_by", number=origin.number, id=origin.id),
    )


def grade(exercises: Iterable[Exercise], outcomes: Iterable[CheckOutcome], catalog: Catalog,
          problems: dict[str, tuple[str, str]]) -> Grade:
    """Grade ``exercises`` (in catalogue order) from all recorded outcomes."""
    by_exercise: dict[str, list[CheckOutcome]] = {}
    for outcome in outcomes:
        by_exercise.setdefault(outcome.exercise, []).append(outcome)
    return Grade(tuple(
        grade_exercise(ex, by_exercise.get(ex.id, []), catalog, problems.get(ex.id))
        for ex in exercises
    ))
