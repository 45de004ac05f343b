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
locale). Grading runs in this process (see :mod:`gradkata.runner`). Each
command but ``grade`` lives in a module of :mod:`gradkata.commands`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .catalog import CatalogError, find_catalog, load_catalog
from .commands.common import STATUS_EXIT_USAGE, UsageProblem
from .report.labels import LANGUAGES
from .words import say

__all__ = ["COMMAND_MODULES", "STATUS_EXIT_USAGE", "UsageProblem", "main"]

# The commands with a module of their own, in the order of ``gradkata --help``:
# each module has add_parser(commands, shared_parents) and run(catalog, args) -> exit status.
COMMAND_MODULES: tuple[str, ...] = (
    "list", "status", "next", "check", "hint", "watch", "kata",  # the learner's
    "batch", "autograde", "release", "report",  # course staff's tools
)


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
        return _command_module(args.command).run(catalog, args)
    except UsageProblem as problem:
        print(str(problem), file=sys.stderr)
        return STATUS_EXIT_USAGE
    except BrokenPipeError:  # gradkata next | head: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradkata", description="gradient-checking exercises")
    parser.add_argument("--version", action="version", version=f"gradkata {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade the exercises (pytest options pass through)")
    grade.add_argument("pytest_args", nargs=argparse.REMAINDER)
    shared = _shared_parents()
    for name in COMMAND_MODULES:
        _command_module(name).add_parser(commands, shared)
    return parser


def _shared_parents() -> dict[str, argparse.ArgumentParser]:
    """The parent parsers of the common options: "language" (--lang) and "grading"."""
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument("--lang", choices=LANGUAGES, default=None,
                          help="language of messages and card: en or zh (default: from the locale)")
    grading = argparse.ArgumentParser(add_help=False, parents=[language])
    grading.add_argument("--impl", default="exercises",
                         help="what to grade: exercises (default), solutions, or a directory")
    grading.add_argument("--seed", type=int, default=0, help="the grader's seed (default 0)")
    grading.add_argument("--hypothesis-profile", dest="profile", default=None,
                         help="dev (the default) or grading (what course grading runs)")
    return {"language": language, "grading": grading}


def _command_module(name: str):
    import importlib

    return importlib.import_module(f"gradkata.commands.{name}")


def _default_language() -> str:
    from .session import default_language

    return default_language()


if __name__ == "__main__":
    sys.exit(main())
