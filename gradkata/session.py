"""One grading run: what is graded, what each test found, and the grade.

The pytest hooks in :mod:`gradkata.plugin` are thin; they hand pytest's
objects to a :class:`GradingSession`, which keeps the run's state (stored in
``config.stash``) and delegates to the loader, grading and reports.
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import __version__, lastrun, outcomes
from .catalog import Catalog, Exercise
from .grading import FAMILIES, CheckOutcome, Grade, grade
from .loader import Implementation, load_implementation
from .messages import render
from .report import card, gradescope

MARKER = "exercise"


@dataclass(frozen=True)
class Options:
    impl: str
    exercises: tuple[str, ...]
    grade_json: Path | None
    require_complete: bool
    seed: int
    lang: str
    timeout: float | None
    invocation_dir: Path
    json_lang: str = "en"  # the JSON's language: --lang as given, else English (SPEC §3)
    isolate: bool = False  # --isolate: graded code runs only in worker processes (SPEC §4)
    call_timeout: float = 60.0  # --call-timeout SECONDS, per call into a worker
    memory_limit: int = 4096  # --memory-limit MIB, per worker process


@dataclass
class GradingSession:
    catalog: Catalog
    options: Options
    wanted: tuple[Exercise, ...]  # --exercise selection (all when not given)
    started: float = field(default_factory=time.perf_counter)
    impl: Implementation | None = None
    collected: set[str] = field(default_factory=set)  # exercise ids with a collected test
    outcomes: list[CheckOutcome] = field(default_factory=list)
    other_failures: int = 0  # failed tests that grade no exercise (self-tests)
    stopped_early: bool = False  # -x / --maxfail: some checks never ran
    grade: Grade | None = None
    notes: lastrun.RunNotes | None = None  # for gradkata status, when grading exercises/

    # -- collection -------------------------------------------------------
    def collect(self, items: list[pytest.Item]) -> tuple[list, list]:
        """Split items into (kept, deselected); load the implementation if any grade."""
        graded = [item for item in items if item.get_closest_marker(MARKER)]
        if not graded:
            return items, []
        wanted = {ex.id for ex in self.wanted}
        kept, deselected = [], []
        for item in items:
            exercise = self.exercise_of(item)
            if exercise is not None and exercise.id not in wanted:
                deselected.append(item)
            else:
                kept.append(item)
        self._prepare([item for item in kept if self.exercise_of(item)])
        self.notes = lastrun.take_notes(self.catalog, self.impl_directory(), {
            item.nodeid: ex.topic for item in kept if (ex := self.exercise_of(item))})
        return kept, deselected

    def _prepare(self, items: list[pytest.Item]) -> None:
        from . import strategies  # imports torch: only once there is something to grade

        strategies.use_seed(self.options.seed)
        _single_thread()
        self.impl = self._load()
        if self.options.isolate:  # workers import the topics these items grade, and only those
            topics = {self.exercise_of(item).topic for item in items}
            self.impl.load_topics(topics, self.catalog)
        for item in items:
            exercise = self.exercise_of(item)
            self.collected.add(exercise.id)
            problem = self.impl.problem(exercise)
            if problem is not None:
                item.add_marker(pytest.mark.skip(reason=f"{problem[0]}: {problem[1]}"))
            outcomes.wrap_hypothesis_test(item.obj)

    def _load(self) -> Implementation:
        reference = None
        target = self.impl_directory()
        if self.options.isolate:
            return _isolated(self.options, target, self.catalog)
        if (
            target.resolve() != self.catalog.solutions_dir.resolve()
            and self.catalog.solutions_dir.is_dir()
        ):
            reference = load_implementation("solutions", self.catalog.solutions_dir, self.catalog)
        return load_implementation(self.options.impl, target, self.catalog, reference)

    def impl_directory(self) -> Path:
        named = {"exercises": self.catalog.exercises_dir, "solutions": self.catalog.solutions_dir}
        if self.options.impl in named:
            return named[self.options.impl]
        return (self.options.invocation_dir / self.options.impl).resolve()

    def exercise_of(self, item: pytest.Item) -> Exercise | None:
        marker = item.get_closest_marker(MARKER)
        if marker is None:
            return None
        exercise_id, family = marker.args[0], marker.kwargs.get("check")
        if family not in FAMILIES:
            raise pytest.UsageError(f"{item.nodeid}: check={family!r} is not one of {FAMILIES}")
        try:
            return self.catalog.exercise(exercise_id)
        except KeyError:
            raise pytest.UsageError(
                f"{item.nodeid}: exercise {exercise_id!r} is not in "
                f"{self.catalog.root / 'catalog.toml'}"
            ) from None

    # -- running ------------------------------------------------------------
    def module_for(self, item: pytest.Item):
        exercise = self.exercise_of(item)
        if exercise is None or self.impl is None:
            raise pytest.UsageError(f"{item.nodeid}: the impl fixture needs an @exercise marker")
        return self.impl.module(exercise.topic)

    def close_workers(self) -> None:
        """Under --isolate: end every worker and what they started (before the JSON is written)."""
        close = getattr(self.impl, "close", None)
        if close is not None:
            close()

    def seed_for(self, item: pytest.Item) -> int:
        return zlib.crc32(f"{self.options.seed}:{item.nodeid}".encode())

    def record(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
        """Note one test phase's result, and make a failure's report short and specific."""
        exercise = self.exercise_of(item)
        if exercise is None:
            self.other_failures += report.failed
            return
        if self.impl.problem(exercise) is not None or (report.when != "call" and report.passed):
            return
        family = item.get_closest_marker(MARKER).kwargs["check"]
        error = call.excinfo.value if call.excinfo else None
        if error is not None:
            error = outcomes.convert(error)
        if isinstance(error, outcomes.ExerciseTodo):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, str(error.msg))
            self.outcomes.append(
                CheckOutcome(exercise.id, family, item.nodeid, "todo", todo_origins=error.origins)
            )
        elif report.failed:
            explanation = outcomes.explain(error, self.options.timeout)
            report.longrepr = render(explanation, self.options.lang) + _hypothesis_notes(error)
            self.outcomes.append(CheckOutcome(exercise.id, family, item.nodeid, "failed",
                                              explanation, evidence=_evidence(error)))
        else:
            self.outcomes.append(CheckOutcome(exercise.id, family, item.nodeid, report.outcome))

    # -- the end ------------------------------------------------------------
    def finish(self, session: pytest.Session) -> None:
        if not self.collected:
            return
        problems = {ex.id: p for ex in self.catalog.exercises if (p := self.impl.problem(ex))}
        recorded = {o.exercise for o in self.outcomes} | set(problems)
        graded = [ex for ex in self.wanted if ex.id in self.collected and ex.id in recorded]
        self.grade = grade(graded, self.outcomes, self.catalog, problems)
        self.stopped_early = bool(session.shouldfail or session.shouldstop)
        if self.options.grade_json is not None:
            gradescope.write(self._json(), self.options.grade_json)
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            status = self.grade.exit_status(self.options.require_complete)
            session.exitstatus = max(status, 1 if self.other_failures else 0)
            lastrun.remember(self, session)  # gradkata status answers from it: best effort

    def _json(self) -> dict:
        return gradescope.results(
            self.grade,
            version=__version__,
            impl_label=self.options.impl,
            seed=self.options.seed,
            execution_time=time.perf_counter() - self.started,
            lang=self.options.json_lang,
        )

    def card_lines(self) -> list[card.CardLine]:
        if self.grade is None:
            return []
        nxt = self.grade.next_up()
        context = card.CardContext(
            version=__version__,
            impl_label=self.options.impl,
            seed=self.options.seed,
            profile=_profile_name(),
            lang=self.options.lang,
            stopped_early=self.stopped_early,
            next_location=self.impl.location(nxt.exercise) if nxt else None,
        )
        return card.render(self.grade, self.catalog, context)


def _evidence(error: BaseException | None) -> dict | None:
    """A failed gradient check's per-element values (for the HTML report's plot), if any."""
    evidence = getattr(error, "evidence", None)
    return evidence if isinstance(evidence, dict) else None


def _isolated(options: Options, directory: Path, catalog: Catalog) -> Implementation:
    """The implementation as --isolate serves it: nothing of it is imported here."""
    from . import isolate

    if not isolate.supported():
        raise pytest.UsageError(isolate.POSIX_ONLY)
    from .isolate.implementation import IsolatedImplementation
    from .isolate.pool import Pool, PoolOptions

    pool = Pool(PoolOptions(options.impl, directory, catalog.root / "catalog.toml",
                            options.call_timeout, options.memory_limit, options.seed))
    return IsolatedImplementation(options.impl, directory, pool)


def _single_thread() -> None:
    """The order of float reductions depends on the thread count: fix it for a stable grade."""
    import torch

    torch.set_num_threads(1)


def _profile_name() -> str:
    from hypothesis import settings

    return settings.get_current_profile_name()


def _hypothesis_notes(error: BaseException | None) -> str:
    notes = [n for n in getattr(error, "__notes__", []) if n.startswith("Draw")]
    shown = [n if len(n) <= 300 else n[:297] + "..." for n in notes[:4]]
    return ("\n\n" + "\n".join(shown)) if shown else ""


def default_language() -> str:
    """The card's language when --lang is not given: Chinese for a Chinese locale."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
