"""A plain ``pytest`` run, remembered for ``gradkata status``.

``gradkata status`` answers from ``.gradkata/status.json`` (:mod:`gradkata.status`)
while the code is unchanged. A learner's own ``pytest`` run is a grading
run like any other, so it feeds that cache too: at collection the run notes
each topic's fingerprint (the code as graded, not as it may be after an edit
made during the run) and which grading tests it selected; at the end it
saves the grade of every topic it graded *whole*:

- the course's own ``exercises/`` only (never ``--impl PATH``: someone else's
  submission leaves no state behind, and never ``solutions``);
- every exercise of the topic selected (``--exercise`` narrows per exercise),
  none of its collected tests dropped afterwards (``-k``, ``-m``,
  ``--deselect``, ``--lf`` all deselect), no node id on the command line
  (``tests/test_x.py::test_y``), and the run not stopped early (``-x``);
- a topic none of whose tests was collected counts only when the run
  collected the whole ``tests/`` folder (it has no tests at all).

The grade is kept as ``gradkata status`` keeps its own (:func:`gradkata.status.record`):
explanations as messages, so that ``gradkata status --lang zh`` after an English
``pytest`` run explains in Chinese.

Saving is best-effort: a read-only folder or a full disk never changes the
grading run's result (every error here is swallowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog


@dataclass(frozen=True)
class RunNotes:
    """What a run notes at collection, to remember its grade at the end."""

    fingerprints: dict[str, str]  # topic -> fingerprint of its code, as collected
    tests: dict[str, str]  # graded test node id -> its topic, as collected


def take_notes(catalog: Catalog, directory: Path, tests: dict[str, str]) -> RunNotes | None:
    """Notes for a run grading ``directory``; None unless it is the course's ``exercises/``.

    tests: graded test node id -> topic, for the tests the run keeps.
    """
    try:
        if directory.resolve() != catalog.exercises_dir.resolve():
            return None
        from .status import topic_fingerprints

        return RunNotes(topic_fingerprints(catalog, directory), dict(tests))
    except Exception:  # best effort: never a reason for grading to fail
        return None


def remember(grading, session) -> None:
    """Save the grade of every topic graded whole (module docstring) for ``gradkata status``.

    grading: the run's :class:`~gradkata.session.GradingSession` (finished);
    session: pytest's ``Session``.
    """
    notes = getattr(grading, "notes", None)
    if notes is None or grading.grade is None or grading.stopped_early:
        return
    try:
        _save(grading, session, notes)
    except Exception:  # best effort: a cache that cannot be written is no grading failure
        return


def _save(grading, session, notes: RunNotes) -> None:
    from hypothesis import settings

    from . import status
    from .runner import GradeRequest

    catalog, config = grading.catalog, session.config
    if names_single_tests(config):
        return
    topics = whole_topics(catalog, notes, {ex.id for ex in grading.wanted},
                          {item.nodeid for item in session.items}, _whole_suite(config, catalog))
    if not topics:
        return
    request = GradeRequest(impl="exercises", seed=grading.options.seed,
                           profile=config.getoption("hypothesis_profile", None))
    course = status.course_fingerprint(catalog, request)
    cache = status.load_cache(catalog)
    if cache.get("course") != course:
        cache = status.fresh_cache(course)
    fingerprints = {t: notes.fingerprints[t] for t in topics}
    profile = settings.get_current_profile_name()
    status.save_cache(catalog, status.merged(cache, grading.grade, fingerprints, profile))


def whole_topics(catalog: Catalog, notes: RunNotes, wanted: set[str], kept: set[str],
                 whole_suite: bool) -> list[str]:
    """Topics a run graded whole (module docstring).

    wanted: the selected exercise ids; kept: node ids of the tests still
    selected at the end; whole_suite: the run collected the whole tests folder
    (and named no single test).
    """
    dropped = {topic for test, topic in notes.tests.items() if test not in kept}
    collected = set(notes.tests.values())
    return [
        topic.name for topic in catalog.topics
        if all(ex.id in wanted for ex in topic.exercises)
        and topic.name not in dropped
        and (topic.name in collected or whole_suite)
    ]


def _whole_suite(config, catalog: Catalog) -> bool:
    """The run collected the whole tests folder: a path at or above it on the command line."""
    tests = (catalog.root / "tests").resolve()
    folders = [Path(config.invocation_params.dir, str(a)).resolve() for a in config.args]
    return any(folder == tests or folder in tests.parents for folder in folders)


def names_single_tests(config) -> bool:
    """``tests/test_x.py::test_y`` on the command line: a topic may be graded only in part."""
    return any("::" in str(a) for a in config.args)
