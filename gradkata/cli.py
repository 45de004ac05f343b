"""The ``gradkata`` command.

``gradkata grade [pytest options]`` grades the course in the current
directory (the same as ``pytest``); ``gradkata list`` prints the catalogue.
More commands (status, next, hint, watch, batch, release) build on these.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .catalog import CatalogError, find_catalog, load_catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradkata", description="gradient-checking exercises")
    parser.add_argument("--version", action="version", version=f"gradkata {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade the exercises (pytest options pass through)")
    grade.add_argument("pytest_args", nargs=argparse.REMAINDER)
    commands.add_parser("list", help="list the catalogue's exercises")
    args = parser.parse_args(argv)
    if args.command == "grade":
        import pytest

        return int(pytest.main(args.pytest_args))
    return _list()


def _list() -> int:
    path = find_catalog(Path.cwd())
    if path is None:
        print("gradkata: no catalog.toml here or above: run this in the course directory",
              file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(f"gradkata: {error}", file=sys.stderr)
        return 2
    for topic in catalog.topics:
        print(f"{topic.number} {topic.name} — {topic.title}")
        for ex in topic.exercises:
            print(f"  {ex.number:<6}{ex.id:<40}{ex.points:g} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
