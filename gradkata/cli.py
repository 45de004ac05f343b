"""The ``gradkata`` command.

    gradkata status [--refresh] [--short]   the grade card, from the last run if nothing changed
    gradkata next                           the next exercise: number, id, file:line, docstring
    gradkata check ID [ID ...]              grade these (the verdict of pytest --exercise ID)
    gradkata hint [ID] [--reset]            one more hint for an exercise
    gradkata watch [ID ...]                 grade again on every save (for dojos)
    gradkata kata ID --minutes N            one exercise from a fresh stub, against the clock
    gradkata grade [pytest options]         the same as pytest
    gradkata list                           the catalogue

Every message exists in English and Chinese (``--lang en|zh``; default: the
locale). Grading runs in this process (see :mod:`gradkata.runner`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import __version__
from .catalog import Catalog, CatalogError, Exercise, find_catalog, load_catalog
from .messages import render
from .report.labels import LANGUAGES, labels_for
from .words import say

STATUS_EXIT_USAGE = 4  # pytest's exit status for a usage error


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "grade":
        import pytest

        return int(pytest.main(args.pytest_args))
    lang = getattr(args, "lang", None) or _default_language()
    args.lang = lang
    path = find_catalog(Path.cwd())
    if path is None:
        print(say(lang, "no_catalog"), file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(f"gradkata: {error}", file=sys.stderr)
        return 2
    try:
        if args.command in COMMANDS:
            return COMMANDS[args.command](catalog, args)
        return _command_module(args.command).run(catalog, args)
    except UsageProblem as problem:
        print(str(problem), file=sys.stderr)
        return STATUS_EXIT_USAGE
    except BrokenPipeError:  # gradkata next | head: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# -- arguments --------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradkata", description="gradient-checking exercises")
    parser.add_argument("--version", action="version", version=f"gradkata {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument("--lang", choices=LANGUAGES, default=None,
                          help="language of messages and card: en or zh (default: from the locale)")
    grading = argparse.ArgumentParser(add_help=False, parents=[language])
    grading.add_argument("--impl", default="exercises",
                         help="what to grade: exercises (default), solutions, or a directory")
    grading.add_argument("--seed", type=int, default=0, help="the grader's seed (default 0)")
    grading.add_argument("--hypothesis-profile", dest="profile", default=None,
                         help="dev (the default) or grading (what course grading runs)")

    grade = commands.add_parser("grade", help="grade the exercises (pytest options pass through)")
    grade.add_argument("pytest_args", nargs=argparse.REMAINDER)
    commands.add_parser("list", help="list the catalogue's exercises")
    status = commands.add_parser(
        "status", parents=[grading],
        help="the grade card: instant when nothing changed since the last run")
    status.add_argument("--refresh", action="store_true", help="grade every topic again")
    status.add_argument("--short", action="store_true", help="one line per topic")
    commands.add_parser("next", parents=[grading],
                        help="the next exercise to do: number, id, file:line and docstring")
    check = commands.add_parser("check", parents=[grading],
                                help="grade exercises now (the verdict of pytest --exercise ID)")
    check.add_argument("ids", nargs="+", metavar="ID", help="an id, a number (4.1) or a topic")
    hint = commands.add_parser("hint", parents=[language],
                               help="one more hint for an exercise (remembered in .gradkata/)")
    hint.add_argument("id", nargs="?", metavar="ID",
                      help="an id or number (default: the next exercise of the last status)")
    hint.add_argument("--reset", action="store_true", help="forget the hints shown so far")
    watch = commands.add_parser("watch", parents=[grading],
                                help="grade again on every save of a file in exercises/")
    watch.add_argument("ids", nargs="*", metavar="ID",
                       help="what to grade on each save (default: the saved file's topic)")
    _watch_options(watch)
    watch.add_argument("--grade-json", type=Path, default=None, metavar="PATH",
                       help="also write each verdict as Gradescope JSON, as pytest --grade-json")
    watch.add_argument("--events", action="store_true", help=argparse.SUPPRESS)  # for benchmarks
    kata = commands.add_parser("kata", parents=[grading],
                               help="one exercise from a fresh stub, against the clock")
    kata.add_argument("id", metavar="ID", help="an exercise id or number")
    kata.add_argument("--minutes", type=float, default=10.0, help="time limit (default 10)")
    _watch_options(kata)
    shared = {"language": language, "grading": grading}
    for name in COMMAND_MODULES:
        _command_module(name).add_parser(commands, shared)
    return parser


# Commands with a module of their own (course staff's tools): each module has
# add_parser(commands, shared_parents) and run(catalog, args) -> exit status.
COMMAND_MODULES: tuple[str, ...] = ("batch", "autograde", "release", "report")


def _command_module(name: str):
    import importlib

    return importlib.import_module(f"gradkata.commands.{name}")


def _watch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=float, default=0.05,
                        help="seconds between two looks at the files (default 0.05)")
    parser.add_argument("--debounce", type=float, default=0.05,
                        help="a save counts once the files are still this long (default 0.05)")


def _default_language() -> str:
    from .session import default_language

    return default_language()


def _request(args, **changes):
    from .runner import GradeRequest

    values = dict(impl=args.impl, seed=args.seed, lang=args.lang, profile=args.profile)
    values.update(changes)
    return GradeRequest(**values)


class UsageProblem(Exception):
    """A command line that names nothing; the message says so in the learner's language."""


def _select(catalog: Catalog, values: list[str], lang: str) -> tuple[Exercise, ...]:
    try:
        return catalog.select(values)
    except KeyError:
        value = next(v for v in values if not _matches(catalog, v))
        raise UsageProblem(_unknown(catalog, value, lang)) from None


def _one(catalog: Catalog, value: str, lang: str) -> Exercise:
    """One exercise by id, number or bare name (``sigmoid_backward``)."""
    by_name = [ex for ex in catalog.exercises if ex.name == value]
    if len(by_name) == 1:
        return by_name[0]
    chosen = _select(catalog, [value], lang)
    if len(chosen) != 1:
        raise UsageProblem(say(lang, "not_one_exercise", value=value, example=chosen[0].number))
    return chosen[0]


def _matches(catalog: Catalog, value: str) -> bool:
    return any(value in (ex.id, ex.number, ex.topic) for ex in catalog.exercises)


def _unknown(catalog: Catalog, value: str, lang: str) -> str:
    import difflib

    names = [ex.id for ex in catalog.exercises] + [t.name for t in catalog.topics]
    bare = difflib.get_close_matches(value, [ex.name for ex in catalog.exercises], n=5, cutoff=0.6)
    close = [ex.id for ex in catalog.exercises if ex.name in bare] or \
        difflib.get_close_matches(value, names, n=5, cutoff=0.5)
    hint = say(lang, "did_you_mean", names=", ".join(close)) if close else ""
    return say(lang, "unknown_exercise", value=value, close=hint)


# -- output -------------------------------------------------------------------------------

_COLOURS = {"green": "32", "red": "31", "yellow": "33"}


def _coloured(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emit(lines, stream=None) -> None:
    """Print card lines, in colour on a terminal."""
    stream = stream or sys.stdout
    colour = _coloured(stream)
    for line in lines:
        codes = ([_COLOURS[line.colour]] if line.colour else []) + (["1"] if line.bold else [])
        text = f"\033[{';'.join(codes)}m{line.text}\033[0m" if colour and codes else line.text
        print(text, file=stream)
    stream.flush()


def _card(catalog: Catalog, grade, args, *, next_location, profile: str, bars: bool = False,
          stopped_early: bool = False):
    from .report import card

    context = card.CardContext(version=__version__, impl_label=args.impl, seed=args.seed,
                               profile=profile, lang=args.lang, stopped_early=stopped_early,
                               next_location=next_location, bars=bars)
    return card.render(grade, catalog, context)


class _Progress:
    """``grading … 37/412 checks`` on one line of a terminal (nothing when not a terminal)."""

    def __init__(self, lang: str, stream=None):
        self.lang, self.stream = lang, stream or sys.stderr
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.stream.isatty():
            self.stream.write("\r" + say(self.lang, "progress", done=done, total=total) + "\033[K")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _grading_failed(lang: str, output: str) -> int:
    print(say(lang, "grading_failed"), file=sys.stderr)
    print(output.strip(), file=sys.stderr)
    return STATUS_EXIT_USAGE


# -- status and next -------------------------------------------------------------------------

def _current(catalog: Catalog, args, refresh: bool = False):
    from .status import StatusError, current

    progress = _Progress(args.lang)

    def announce(topics) -> None:
        print(say(args.lang, "grading_topics", topics=", ".join(topics)), file=sys.stderr)

    try:
        return current(catalog, _request(args), refresh=refresh, progress=progress,
                       announce=announce)
    except StatusError as error:
        raise _GradingFailed(str(error)) from None
    finally:
        progress.clear()


class _GradingFailed(Exception):
    pass


def _status(catalog: Catalog, args) -> int:
    try:
        result = _current(catalog, args, refresh=args.refresh)
    except _GradingFailed as error:
        return _grading_failed(args.lang, str(error))
    lines = _card(catalog, result.grade, args, next_location=result.next_location,
                  profile=result.profile, bars=True)
    _emit([line for line in lines if line.bold] if args.short else lines)
    if not result.regraded:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(result.graded_at))
        print(say(args.lang, "from_cache", when=when))
    elif result.cached:
        print(say(args.lang, "partly_cached", topics=", ".join(result.regraded),
                  seconds=result.seconds))
    else:
        print(say(args.lang, "all_graded", seconds=result.seconds))
    return 0


def _next(catalog: Catalog, args) -> int:
    from .status import docstring, impl_directory

    try:
        result = _current(catalog, args)
    except _GradingFailed as error:
        return _grading_failed(args.lang, str(error))
    upcoming = result.grade.next_up()
    if upcoming is None:
        print(say(args.lang, "all_done"))
        return 0
    ex = upcoming.exercise
    print(say(args.lang, "next_header", number=ex.number, id=ex.id))
    if result.next_location is not None:
        path, line = result.next_location
        print(f"{_relative(path)}:{line}" if line else _relative(path))
    state = labels_for(args.lang)[upcoming.state]
    if upcoming.blocked_by is not None:
        blocker = upcoming.blocked_by
        print(f"{state} · " + say(args.lang, "next_state_blocked", number=blocker.number,
                                    id=blocker.id))
    elif upcoming.state == "failed":
        first = (render(upcoming.output, args.lang).strip().splitlines() or [""])[0]
        print(f"{state} · " + say(args.lang, "next_state_failed", family=upcoming.failed_family,
                                    explanation=first))
    elif upcoming.state in ("error", "missing"):
        print(f"{state} · " + say(args.lang, "next_state_error",
                                    explanation=render(upcoming.output, args.lang)))
    text = docstring(impl_directory(catalog, args.impl), ex)
    if text:
        print()
        print("\n".join("    " + line if line else "" for line in text.splitlines()))
        print()
    print(say(args.lang, "next_tips", number=ex.number))
    return 0


# -- check --------------------------------------------------------------------------------------

def _check(catalog: Catalog, args) -> int:
    from .runner import grade

    _select(catalog, args.ids, args.lang)  # an unknown id: say so in the learner's language
    progress = _Progress(args.lang)
    try:
        run = grade(catalog, _request(args, exercises=tuple(args.ids)), progress=progress)
    finally:
        progress.clear()
    if run.grade is None:
        return _grading_failed(args.lang, run.output)
    _emit(_card(catalog, run.grade, args, next_location=run.next_location, profile=run.profile,
                stopped_early=run.stopped_early))
    return run.exit_code


# -- hints ----------------------------------------------------------------------------------------

def _hint(catalog: Catalog, args) -> int:
    from .hints import HintsError, fill, forget, hints_for, load_hints, reveal
    from .status import load_cache, location

    if args.id is None:
        args.id = _cached_next(catalog, load_cache(catalog))
        if args.id is None:
            print(say(args.lang, "hint_which"), file=sys.stderr)
            return 2
    ex = _one(catalog, args.id, args.lang)
    try:
        levels = hints_for(load_hints(catalog), ex, args.lang)
    except HintsError as error:
        print(f"gradkata: {error}", file=sys.stderr)
        return 2
    if not levels:
        print(say(args.lang, "hint_none", id=ex.id), file=sys.stderr)
        return 2
    if args.reset:
        forget(catalog, ex)
        print(say(args.lang, "hint_reset", number=ex.number, id=ex.id))
        return 0
    shown = reveal(catalog, ex, len(levels))
    path, line = location(catalog.exercises_dir, ex)
    where = f"{_relative(path)}:{line}" if line else _relative(path)
    print(say(args.lang, "hint_header", number=ex.number, id=ex.id))
    for level, text in enumerate(levels[:shown], start=1):
        label = say(args.lang, "hint_level", level=level, total=len(levels))
        print(f"  {label} {fill(text, ex, _relative(path))}")
    if shown < len(levels):
        print(say(args.lang, "hint_more", left=len(levels) - shown, number=ex.number))
    else:
        print(say(args.lang, "hint_last", where=where))
    return 0


def _cached_next(catalog: Catalog, cache: dict) -> str | None:
    results = cache.get("exercises", {})
    return next((ex.id for ex in catalog.exercises
                 if ex.id in results and results[ex.id]["state"] != "passed"), None)


# -- watch and kata ------------------------------------------------------------------------

def _watch(catalog: Catalog, args) -> int:
    from .status import impl_directory
    from .watch import Poller, Watch

    if args.ids:
        _select(catalog, args.ids, args.lang)
    folder = impl_directory(catalog, args.impl)
    request = _request(args, exercises=tuple(args.ids), grade_json=args.grade_json)
    print(say(args.lang, "watch_warming"), flush=True)
    watcher = Watch(catalog, request, folder, on_verdict=_verdict_printer(catalog, args),
                    poller=Poller(folder, interval=args.interval, debounce=args.debounce))
    watcher.start()
    what = " ".join(args.ids) if args.ids else say(args.lang, "watch_what_topic")
    print(say(args.lang, "watch_start", folder=_relative(folder), what=what), flush=True)
    try:
        watcher.loop()
    except KeyboardInterrupt:
        print(say(args.lang, "watch_stop"))
    return 0


def _verdict_printer(catalog: Catalog, args):
    def show(run, changed: set[str]) -> None:
        if getattr(args, "events", False):
            _event(run)
        files = ", ".join(sorted(changed)) or "—"
        print(say(args.lang, "watch_saved", clock=time.strftime("%H:%M:%S"), files=files,
                  seconds=run.seconds))
        if run.grade is None:
            print(run.output.strip(), file=sys.stderr)
            return
        _emit(_card(catalog, run.grade, args, next_location=run.next_location,
                    profile=run.profile, stopped_early=run.stopped_early))

    return show


def _event(run) -> None:
    """One machine-readable line per verdict, for benchmarks/bench_watch.py."""
    tests = (run.document or {}).get("tests", [])
    print("@verdict " + json.dumps({
        "seconds": run.seconds, "cpu_seconds": run.cpu_seconds, "exit_code": run.exit_code,
        "tests": [{k: t[k] for k in ("name", "score", "extra_data")} for t in tests]}),
        flush=True)


def _kata(catalog: Catalog, args) -> int:
    from .kata import KataError, prepare, run
    from .status import impl_directory

    ex = _one(catalog, args.id, args.lang)
    source = impl_directory(catalog, args.impl)
    try:
        target, previous = prepare(catalog, ex, source)
    except KataError as error:
        print(f"gradkata: {error}", file=sys.stderr)
        return 2
    minutes = say(args.lang, "kata_minutes", minutes=args.minutes)
    print(say(args.lang, "kata_start", number=ex.number, id=ex.id, minutes=minutes,
              file=_relative(target)))
    print(say(args.lang, "kata_safe", folder=_relative(source)))
    if previous is not None:
        print(say(args.lang, "kata_previous", file=_relative(previous)))
    print(say(args.lang, "watch_warming"), flush=True)
    ticker = _Countdown(args.lang)
    show = _verdict_printer(catalog, args)

    def verdict(graded, changed) -> None:
        ticker.clear()
        show(graded, changed)

    final, finished = run(catalog, ex, _request(args), args.minutes * 60, on_tick=ticker,
                          on_verdict=verdict, interval=args.interval, debounce=args.debounce)
    ticker.clear()
    print(say(args.lang, "kata_time_up" if finished else "kata_stopped"))
    if final.grade is None:
        return _grading_failed(args.lang, final.output)
    _emit(_card(catalog, final.grade, args, next_location=final.next_location,
                profile=final.profile))
    return final.exit_code


class _Countdown:
    """The kata's visible clock: a line rewritten every second on a terminal, else one a minute."""

    def __init__(self, lang: str, stream=None):
        self.lang, self.stream = lang, stream or sys.stdout
        self.live = self.stream.isatty()
        self.last_minute: int | None = None

    def __call__(self, remaining: float, latest) -> None:
        seconds = max(0, int(remaining + 0.999))
        clock = f"{seconds // 60:02d}:{seconds % 60:02d}"
        verdict = say(self.lang, "kata_not_graded")
        if latest is not None and latest.grade is not None and latest.grade.exercises:
            g = latest.grade.exercises[0]
            verdict = f"{labels_for(self.lang)[g.state]} {g.score:.1f} / {g.exercise.points:.1f}"
        text = say(self.lang, "kata_left", clock=clock, verdict=verdict)
        if self.live:
            self.stream.write("\r" + text + "\033[K")
            self.stream.flush()
        elif self.last_minute != seconds // 60:
            print(text, file=self.stream, flush=True)
        self.last_minute = seconds // 60

    def clear(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()


# -- list -----------------------------------------------------------------------------------------

def _list(catalog: Catalog, args) -> int:
    for topic in catalog.topics:
        print(f"{topic.number} {topic.name} — {topic.title}")
        for ex in topic.exercises:
            print(f"  {ex.number:<6}{ex.id:<40}{ex.points:g} points")
    return 0


COMMANDS = {"status": _status, "next": _next, "check": _check, "hint": _hint,
            "watch": _watch, "kata": _kata, "list": _list}


if __name__ == "__main__":
    sys.exit(main())
