"""``gradkata next``: the next exercise to do, with where it is, its state and its docstring."""

from __future__ import annotations

from ..catalog import Catalog
from ..messages import render
from ..report.labels import labels_for
from ..words import say
from .output import grading_failed, relative
from .status import GradingFailed, current_status


def add_parser(commands, shared) -> None:
    commands.add_parser("next", parents=[shared["grading"]],
                        help="the next exercise to do: number, id, file:line and docstring")


def run(catalog: Catalog, args) -> int:
    from ..status import docstring, impl_directory

    try:
        result = current_status(catalog, args)
    except GradingFailed as error:
        return grading_failed(args.lang, str(error))
    upcoming = result.grade.next_up()
    if upcoming is None:
        print(say(args.lang, "all_done"))
        return 0
    ex = upcoming.exercise
    print(say(args.lang, "next_header", number=ex.number, id=ex.id))
    if result.next_location is not None:
        path, line = result.next_location
        print(f"{relative(path)}:{line}" if line else relative(path))
    _print_state(upcoming, args.lang)
    text = docstring(impl_directory(catalog, args.impl), ex)
    if text:
        print()
        print("\n".join("    " + line if line else "" for line in text.splitlines()))
        print()
    print(say(args.lang, "next_tips", number=ex.number))
    return 0


def _print_state(upcoming, lang: str) -> None:
    """Why the next exercise is not passed yet: blocked, failed or broken (nothing when to do)."""
    state = labels_for(lang)[upcoming.state]
    if upcoming.blocked_by is not None:
        blocker = upcoming.blocked_by
        print(f"{state} · " + say(lang, "next_state_blocked", number=blocker.number,
                                    id=blocker.id))
    elif upcoming.state == "failed":
        first = (render(upcoming.output, lang).strip().splitlines() or [""])[0]
        print(f"{state} · " + say(lang, "next_state_failed", family=upcoming.failed_family,
                                    explanation=first))
    elif upcoming.state in ("error", "missing"):
        print(f"{state} · " + say(lang, "next_state_error",
                                    explanation=render(upcoming.output, lang)))
