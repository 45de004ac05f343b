"""``gradkata status [--refresh] [--short]``: the grade card, from the last run if nothing changed.

Only the topics whose files changed since the last grading are graded again
(see :mod:`gradkata.status`); ``--refresh`` grades them all.
"""

from __future__ import annotations

import sys
import time

from ..catalog import Catalog
from ..words import say
from .common import grade_request
from .output import Progress, card_lines, emit, grading_failed


def add_parser(commands, shared) -> None:
    status = commands.add_parser(
        "status", parents=[shared["grading"]],
        help="the grade card: instant when nothing changed since the last run")
    status.add_argument("--refresh", action="store_true", help="grade every topic again")
    status.add_argument("--short", action="store_true", help="one line per topic")


def run(catalog: Catalog, args) -> int:
    try:
        result = current_status(catalog, args, refresh=args.refresh)
    except GradingFailed as error:
        return grading_failed(args.lang, str(error))
    lines = card_lines(catalog, result.grade, args, next_location=result.next_location,
                       profile=result.profile, bars=True)
    emit([line for line in lines if line.bold] if args.short else lines)
    if not result.regraded:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(result.graded_at))
        print(say(args.lang, "from_cache", when=when))
    elif result.cached:
        print(say(args.lang, "partly_cached", topics=", ".join(result.regraded),
                  seconds=result.seconds))
    else:
        print(say(args.lang, "all_graded", seconds=result.seconds))
    return 0


class GradingFailed(Exception):
    """Grading itself failed (a collection error, say); the message is pytest's output."""


def current_status(catalog: Catalog, args, refresh: bool = False):
    """The status of the last run, with the topics changed since graded again (or all)."""
    from ..status import StatusError, current

    progress = Progress(args.lang)

    def announce(topics) -> None:
        print(say(args.lang, "grading_topics", topics=", ".join(topics)), file=sys.stderr)

    try:
        return current(catalog, grade_request(args), refresh=refresh, progress=progress,
                       announce=announce)
    except StatusError as error:
        raise GradingFailed(str(error)) from None
    finally:
        progress.clear()
