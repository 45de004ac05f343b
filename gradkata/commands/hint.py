"""``gradkata hint [ID] [--reset]``: one more hint for an exercise, remembered in ``.gradkata/``.

Without an ID, the hint is for the next exercise of the last status (the
first one not passed, read from the status cache without grading).
"""

from __future__ import annotations

import sys

from ..catalog import Catalog
from ..words import say
from .common import one_exercise
from .output import relative


def add_parser(commands, shared) -> None:
    hint = commands.add_parser("hint", parents=[shared["language"]],
                               help="one more hint for an exercise (remembered in .gradkata/)")
    hint.add_argument("id", nargs="?", metavar="ID",
                      help="an id or number (default: the next exercise of the last status)")
    hint.add_argument("--reset", action="store_true", help="forget the hints shown so far")


def run(catalog: Catalog, args) -> int:
    from ..hints import HintsError, fill, forget, hints_for, load_hints, reveal
    from ..status import load_cache, location

    if args.id is None:
        args.id = _cached_next(catalog, load_cache(catalog))
        if args.id is None:
            print(say(args.lang, "hint_which"), file=sys.stderr)
            return 2
    ex = one_exercise(catalog, args.id, args.lang)
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
    where = f"{relative(path)}:{line}" if line else relative(path)
    print(say(args.lang, "hint_header", number=ex.number, id=ex.id))
    for level, text in enumerate(levels[:shown], start=1):
        label = say(args.lang, "hint_level", level=level, total=len(levels))
        print(f"  {label} {fill(text, ex, relative(path))}")
    if shown < len(levels):
        print(say(args.lang, "hint_more", left=len(levels) - shown, number=ex.number))
    else:
        print(say(args.lang, "hint_last", where=where))
    return 0


def _cached_next(catalog: Catalog, cache: dict) -> str | None:
    """The first exercise of the catalogue that the status cache holds as not passed."""
    results = cache.get("exercises", {})
    return next((ex.id for ex in catalog.exercises
                 if ex.id in results and results[ex.id]["state"] != "passed"), None)
