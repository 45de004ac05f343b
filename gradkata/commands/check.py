"""``gradkata check ID [ID ...]``: grade exercises now (the verdict of pytest --exercise ID)."""

from __future__ import annotations

from ..catalog import Catalog
from .common import grade_request, select_exercises
from .output import Progress, card_lines, emit, grading_failed


def add_parser(commands, shared) -> None:
    check = commands.add_parser("check", parents=[shared["grading"]],
                                help="grade exercises now (the verdict of pytest --exercise ID)")
    check.add_argument("ids", nargs="+", metavar="ID", help="an id, a number (4.1) or a topic")


def run(catalog: Catalog, args) -> int:
    from ..runner import grade

    # an unknown id: say so in the learner's language, before pytest starts
    select_exercises(catalog, args.ids, args.lang)
    progress = Progress(args.lang)
    try:
        graded = grade(catalog, grade_request(args, exercises=tuple(args.ids)), progress=progress)
    finally:
        progress.clear()
    if graded.grade is None:
        return grading_failed(args.lang, graded.output)
    emit(card_lines(catalog, graded.grade, args, next_location=graded.next_location,
                    profile=graded.profile, stopped_early=graded.stopped_early))
    return graded.exit_code
