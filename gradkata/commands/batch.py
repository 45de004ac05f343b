"""``gradkata batch SUBMISSIONS --out DIR``: grade every submission in a folder, for course staff.

Every subdirectory or ``.zip`` file of SUBMISSIONS is one submission. Each is
graded in a ``pytest --isolate`` subprocess of its own with the ``grading``
hypothesis profile, ``--jobs`` at a time, within ``--wall-limit`` seconds.
DIR receives ``<submission>.json`` (Gradescope's format) per submission and
``gradebook.csv``; a batch that was stopped resumes where it stopped. POSIX only.

Exit status: 0 when every submission was graded (failing grades are no
error), 1 when some could not be (their rows hold zeros and their JSON says
why), 4 for a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from ..report.labels import LANGUAGES

EXIT_UNGRADABLE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 4, 130


def add_parser(commands, shared) -> None:
    parser = commands.add_parser(
        "batch", help="grade every submission in a folder: JSON per submission and a gradebook",
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                        help="a folder: each subdirectory or .zip file is one submission")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where the JSON files, gradebook.csv and the manifest go")
    parser.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those unchanged since last run")
    add_grading_options(parser)


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    """The options ``batch`` and ``autograde`` share: what to grade, and how."""
    from ..batch.grade_one import DEFAULT_WALL_LIMIT

    parser.add_argument("--exercise", action="append", default=[], metavar="ID",
                        help="grade only this: an id, a number or a topic; repeatable "
                             "(replaces the assignment's selection)")
    parser.add_argument("--assignment", type=Path, default=None, metavar="FILE",
                        help="the assignment's TOML: exercises, points, visibility, output")
    parser.add_argument("--seed", type=int, default=0, help="the grader's seed (default 0)")
    parser.add_argument("--lang", dest="output_lang", choices=LANGUAGES, default=None,
                        help="language of the JSON's texts and of these messages (default en)")
    parser.add_argument("--wall-limit", type=_positive_float, default=DEFAULT_WALL_LIMIT,
                        metavar="SECONDS", help="wall-clock limit for one submission "
                                                f"(default {DEFAULT_WALL_LIMIT:g})")
    parser.add_argument("--hypothesis-profile", dest="profile", default="grading",
                        help="hypothesis profile (default grading: what learners reproduce)")
    parser.add_argument("--no-isolate", dest="isolate", action="store_false",
                        help="grade in the pytest process itself: faster, but the graded code "
                             "can then hang or fool the grader; for trusted code only")
    parser.add_argument("--call-timeout", type=_positive_float, default=None, metavar="SECONDS",
                        help="pytest --call-timeout: the limit of one call to the graded code")
    parser.add_argument("--memory-limit", type=_positive_int, default=None, metavar="MIB",
                        help="pytest --memory-limit: the memory of the graded code's worker")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def grading_setup(catalog, args, command: str):
    """``(settings, selected exercises, assignment)`` from the command line, or UsageProblem."""
    from ..assignment import AssignmentError, load_assignment
    from ..batch.grade_one import GradingSettings, NotPosix, require_posix
    from .common import UsageProblem, select_exercises

    lang = args.output_lang or "en"
    try:
        require_posix(command, lang)
        assignment = load_assignment(args.assignment, catalog) if args.assignment else None
    except (NotPosix, AssignmentError) as error:
        raise UsageProblem(f"gradkata {command}: {error}" if isinstance(error, AssignmentError)
                           else str(error)) from None
    values = tuple(args.exercise) or (assignment.exercises if assignment else ())
    selected = select_exercises(catalog, list(values), lang) if values else catalog.exercises
    limits = {"call-timeout": args.call_timeout, "memory-limit": args.memory_limit}
    if not args.isolate and any(value is not None for value in limits.values()):
        raise UsageProblem(f"gradkata {command}: --call-timeout and --memory-limit "
                           "need isolation (leave out --no-isolate)")
    settings = GradingSettings(exercises=values, seed=args.seed, lang=lang, profile=args.profile,
                               isolate=args.isolate, wall_limit=args.wall_limit,
                               pytest_options=tuple(f"--{name}={value:g}" for name, value
                                                    in limits.items() if value is not None))
    return settings, selected, assignment


def run(catalog, args) -> int:
    from ..batch.progress import Progress
    from ..batch.schedule import Batch, run_batch
    from ..batch.submissions import discover
    from ..batch.words import say
    from .common import UsageProblem

    settings, selected, assignment = grading_setup(catalog, args, "batch")
    lang = settings.lang
    folder, out_dir = args.submissions, args.out
    if not folder.is_dir():
        raise UsageProblem(say(lang, "not_a_folder", path=folder))
    submissions = [s for s in discover(folder) if s.path.resolve() != out_dir.resolve()]
    if not submissions:
        raise UsageProblem(say(lang, "no_submissions", path=folder))
    batch = Batch(catalog=catalog, submissions=submissions, out_dir=out_dir, settings=settings,
                  selected=selected, jobs=args.jobs, assignment=assignment, regrade=args.regrade)
    progress = Progress(len(submissions), lang=lang)
    with _sigterm_as_interrupt():
        result = run_batch(batch, progress)
    return _summary(result, out_dir, lang)


def _summary(result, out_dir: Path, lang: str) -> int:
    from ..batch.words import say

    if result.interrupted:
        done = len(result.kept) + len(result.graded) + len(result.ungradable)
        print(say(lang, "interrupted", done=done, total=result.total), file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.ungradable:
        print(say(lang, "summary_failed", count=len(result.ungradable), total=result.total),
              file=sys.stderr)
        for name, reason in sorted(result.ungradable.items()):
            lines = [line.strip() for line in reason.splitlines() if line.strip()] or [""]
            print(f"  {name}: {lines[0]}", file=sys.stderr)
            if len(lines) > 1:  # a crash: its last line is usually the error
                print(f"    … {lines[-1]}", file=sys.stderr)
    print(say(lang, "summary_ok", total=result.total, gradebook=out_dir / "gradebook.csv"),
          file=sys.stderr)
    return EXIT_UNGRADABLE if result.ungradable else 0


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM stops the batch as Ctrl-C does: grading processes killed, manifest kept."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
