"""``gradkata report --html PATH``: the grade as one self-contained web page.

    gradkata report --html report.html                   the last run (graded now if none)
    gradkata report --html report.html --from grade.json  a saved Gradescope results file
    gradkata report --html report.html --gradebook gradebook.csv   with pass rates per exercise

The grade comes from ``--from RESULTS_JSON``, or else as ``gradkata status``
finds it (the last run's results for the unchanged topics; the others graded
now, in this process); ``--impl PATH`` grades that submission now and keeps
no state. The loss curve is of ``--impl``'s ``train_classifier``
(:mod:`gradkata.training_curve`; ``--no-training`` leaves it out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .. import __version__
from ..catalog import Catalog
from ..grading import ExerciseGrade, Grade
from ..words import say

EXIT_BAD_INPUT = 2


class ReportProblem(Exception):
    """A file given on the command line cannot be used; the message says why."""


def add_parser(commands, shared) -> None:
    report = commands.add_parser(
        "report", parents=[shared["grading"]],
        help="the grade as a self-contained web page: card, plots of failed gradient "
             "checks, the training loss curve, a gradebook's pass rates")
    report.add_argument("--html", type=Path, required=True, metavar="PATH",
                        help="write the page here")
    report.add_argument("--from", dest="from_json", type=Path, default=None,
                        metavar="RESULTS_JSON",
                        help="the grade of this results file (pytest --grade-json) "
                             "instead of the last run")
    report.add_argument("--gradebook", type=Path, default=None, metavar="CSV",
                        help="a batch gradebook: add a chart of each exercise's pass rate")
    report.add_argument("--refresh", action="store_true", help="grade every topic again")
    report.add_argument("--no-training", action="store_true",
                        help="leave out the training loss curve (it trains a model)")
    report.add_argument("--training-seconds", type=float, default=60.0, metavar="S",
                        help="time limit for train_classifier's run (default 60)")


def run(catalog: Catalog, args: argparse.Namespace) -> int:
    from ..report import card, html
    from ..report.labels import labels_for
    from ..report.passrates import GradebookError, read_gradebook
    from ..status import impl_directory
    from ..training_curve import training_curve

    try:
        grade, context = _grade(catalog, args)
        gradebook = read_gradebook(args.gradebook, catalog) if args.gradebook else None
    except (ReportProblem, GradebookError, OSError, ValueError) as problem:
        print(f"gradkata: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    training = None if args.no_training else training_curve(
        catalog, impl_directory(catalog, args.impl), args.training_seconds)
    text = html.page(grade, catalog, card.CardContext(**context), training=training,
                     gradebook=gradebook)
    write_text(args.html, text)
    print(labels_for(args.lang)["report_written"].format(path=args.html))
    return 0


def _grade(catalog: Catalog, args) -> tuple[Grade, dict]:
    """The grade to show, and the card's context for it."""
    context = {"version": __version__, "impl_label": args.impl, "seed": args.seed,
               "profile": args.profile or "dev", "lang": args.lang}
    if args.from_json is not None:
        document = json.loads(args.from_json.read_text(encoding="utf-8"))
        extra = document.get("extra_data", {}) if isinstance(document, dict) else {}
        context.update(impl_label=str(extra.get("impl", "?")), seed=extra.get("seed", "?"),
                       profile="?")
        return grade_from_results(document, catalog), context
    if args.impl == "exercises":
        return _from_status(catalog, args, context)
    from ..runner import GradeRequest, grade

    print(say(args.lang, "grading_topics", topics=args.impl), file=sys.stderr)
    graded = grade(catalog, GradeRequest(impl=args.impl, seed=args.seed, lang=args.lang,
                                         profile=args.profile))
    if graded.grade is None:
        raise ReportProblem(graded.output.strip())
    context.update(profile=graded.profile, next_location=graded.next_location)
    return graded.grade, context


def _from_status(catalog: Catalog, args, context: dict) -> tuple[Grade, dict]:
    from ..runner import GradeRequest
    from ..status import StatusError, current

    def announce(topics) -> None:
        print(say(args.lang, "grading_topics", topics=", ".join(topics)), file=sys.stderr)

    request = GradeRequest(seed=args.seed, lang=args.lang, profile=args.profile)
    try:
        result = current(catalog, request, refresh=args.refresh, announce=announce)
    except StatusError as error:
        raise ReportProblem(str(error).strip()) from None
    context.update(profile=result.profile, next_location=result.next_location, bars=True)
    return result.grade, context


def grade_from_results(document: dict, catalog: Catalog) -> Grade:
    """The :class:`Grade` a Gradescope results document (SPEC §3) records.

    Tests that name no catalogue exercise are skipped; the failed family is
    the first failed check; "blocked by" is not recorded there.
    """
    if not isinstance(document, dict) or not isinstance(document.get("tests"), list):
        raise ReportProblem("not a results file: no 'tests' list")
    ids = {ex.id: ex for ex in catalog.exercises}
    graded = {}
    for test in document["tests"]:
        exercise = ids.get(str(test.get("name"))) if isinstance(test, dict) else None
        if exercise is None:
            continue
        extra = test.get("extra_data") or {}
        checks = dict(extra.get("checks") or {})
        failed = next((family for family, state in checks.items() if state == "failed"), None)
        state = extra.get("state") or ("passed" if test.get("status") == "passed" else "failed")
        graded[exercise.id] = ExerciseGrade(
            exercise, state, float(test.get("score") or 0.0), checks, str(test.get("output", "")),
            failed, evidence=extra.get("gradcheck"))
    return Grade(tuple(graded[ex.id] for ex in catalog.exercises if ex.id in graded))


def write_text(path: Path, text: str) -> None:
    """Write atomically: an interrupted run never leaves half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # a page to share: readable as any new file is
    os.replace(temporary, path)
