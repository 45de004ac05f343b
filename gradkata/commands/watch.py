"""``gradkata watch [ID ...]``: grade again on every save of a file in ``exercises/`` (for dojos).

The grading process stays warm between saves (see :mod:`gradkata.watch`);
each verdict prints as a grade card. ``kata`` shares the options and the
printer defined here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..catalog import Catalog
from ..words import say
from .common import grade_request, select_exercises
from .output import card_lines, emit, relative


def add_parser(commands, shared) -> None:
    watch = commands.add_parser("watch", parents=[shared["grading"]],
                                help="grade again on every save of a file in exercises/")
    watch.add_argument("ids", nargs="*", metavar="ID",
                       help="what to grade on each save (default: the saved file's topic)")
    add_watch_options(watch)
    watch.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="processes that share each grading's tests (POSIX; default 2, "
                            "at most one per core)")
    watch.add_argument("--grade-json", type=Path, default=None, metavar="PATH",
                       help="also write each verdict as Gradescope JSON, as pytest --grade-json")
    watch.add_argument("--events", action="store_true", help=argparse.SUPPRESS)  # for benchmarks


def add_watch_options(parser: argparse.ArgumentParser) -> None:
    """How often to look at the files, and how long a save must settle: watch's and kata's."""
    parser.add_argument("--interval", type=float, default=0.05,
                        help="seconds between two looks at the files (default 0.05)")
    parser.add_argument("--debounce", type=float, default=0.05,
                        help="a save counts once the files are still this long (default 0.05)")


def run(catalog: Catalog, args) -> int:
    from ..split import default_processes
    from ..status import impl_directory
    from ..watch import Poller, Watch

    if args.ids:
        select_exercises(catalog, args.ids, args.lang)
    folder = impl_directory(catalog, args.impl)
    request = grade_request(args, exercises=tuple(args.ids), grade_json=args.grade_json)
    print(say(args.lang, "watch_warming"), flush=True)
    watcher = Watch(catalog, request, folder, on_verdict=verdict_printer(catalog, args),
                    poller=Poller(folder, interval=args.interval, debounce=args.debounce),
                    processes=default_processes(args.jobs))
    watcher.start()
    what = " ".join(args.ids) if args.ids else say(args.lang, "watch_what_topic")
    print(say(args.lang, "watch_start", folder=relative(folder), what=what), flush=True)
    try:
        watcher.loop()
    except KeyboardInterrupt:
        print(say(args.lang, "watch_stop"))
    return 0


def verdict_printer(catalog: Catalog, args):
    """``show(run, changed)``: the saved files, the seconds taken and the card of one verdict."""
    def show(run, changed: set[str]) -> None:
        if getattr(args, "events", False):
            _event(run)
        files = ", ".join(sorted(changed)) or "—"
        print(say(args.lang, "watch_saved", clock=time.strftime("%H:%M:%S"), files=files,
                  seconds=run.seconds))
        if run.grade is None:
            print(run.output.strip(), file=sys.stderr)
            return
        emit(card_lines(catalog, run.grade, args, next_location=run.next_location,
                        profile=run.profile, stopped_early=run.stopped_early))

    return show


def _event(run) -> None:
    """One machine-readable line per verdict, for benchmarks/bench_watch.py."""
    tests = (run.document or {}).get("tests", [])
    print("@verdict " + json.dumps({
        "seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "exit_code": run.exit_code,
        "tests": [{k: t[k] for k in ("name", "score", "extra_data")} for t in tests]}),
        flush=True)
