"""``gradkata autograde SUBMISSION --out RESULTS_JSON``: grade one submission, as batch does.

What ``autograder/run_autograder`` calls on Gradescope. SUBMISSION is a
directory or a ``.zip`` file in any layout ``batch`` accepts (the topic
modules at its top or in a folder at any depth); it is graded by the same
code path as one submission of a batch, and RESULTS_JSON is written even
when it cannot be graded (zeros, and an ``output`` saying why). POSIX only.

Exit status: 0 when graded (failing grades are no error), 1 when it could
not be graded, 4 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .batch import EXIT_UNGRADABLE, add_grading_options, grading_setup


def add_parser(commands, shared) -> None:
    parser = commands.add_parser(
        "autograde", help="grade one submission into Gradescope's results.json (as batch does)",
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", type=Path, metavar="SUBMISSION",
                        help="a directory or .zip file holding the topic modules")
    parser.add_argument("--out", type=Path, required=True, metavar="RESULTS_JSON",
                        help="where to write the results (Gradescope: results/results.json)")
    add_grading_options(parser)


def run(catalog, args) -> int:
    from ..assignment import apply
    from ..batch.grade_one import grade_submission
    from ..batch.submissions import Submission
    from ..batch.words import say
    from ..report import gradescope
    from .common import UsageProblem

    settings, selected, assignment = grading_setup(catalog, args, "autograde")
    if not args.submission.exists():
        raise UsageProblem(say(settings.lang, "no_such_path", path=args.submission))
    submission = Submission(args.submission.resolve().name, args.submission)
    with tempfile.TemporaryDirectory(prefix="gradkata-autograde-") as scratch:
        outcome = grade_submission(catalog, submission, settings, Path(scratch) / "submission",
                                   selected)
    document = apply(assignment, outcome.document) if assignment else outcome.document
    gradescope.write(document, args.out)
    print(document["output"].splitlines()[-1], file=sys.stderr)
    return 0 if outcome.graded else EXIT_UNGRADABLE
