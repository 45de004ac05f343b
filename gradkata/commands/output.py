"""What the learner's commands print: card lines in colour, a progress line, short paths.

Colour and the rewritten progress line appear only on a terminal (and not
with ``NO_COLOR`` or ``TERM=dumb``), so that piped output stays plain text.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import __version__
from ..catalog import Catalog
from ..words import say
from .common import STATUS_EXIT_USAGE

_COLOURS = {"green": "32", "red": "31", "yellow": "33"}


def _coloured(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def emit(lines, stream=None) -> None:
    """Print card lines, in colour on a terminal."""
    stream = stream or sys.stdout
    colour = _coloured(stream)
    for line in lines:
        codes = ([_COLOURS[line.colour]] if line.colour else []) + (["1"] if line.bold else [])
        text = f"\033[{';'.join(codes)}m{line.text}\033[0m" if colour and codes else line.text
        print(text, file=stream)
    stream.flush()


def card_lines(catalog: Catalog, grade, args, *, next_location, profile: str,
               bars: bool = False, stopped_early: bool = False):
    """The grade card's lines for this command line's options (impl, seed, language)."""
    from ..report import card

    context = card.CardContext(version=__version__, impl_label=args.impl, seed=args.seed,
                               profile=profile, lang=args.lang, stopped_early=stopped_early,
                               next_location=next_location, bars=bars)
    return card.render(grade, catalog, context)


class Progress:
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


def relative(path: Path) -> str:
    """``path`` relative to the working directory, as the learner would type it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def grading_failed(lang: str, output: str) -> int:
    """Say that grading itself failed (not the learner's code), with pytest's output."""
    print(say(lang, "grading_failed"), file=sys.stderr)
    print(output.strip(), file=sys.stderr)
    return STATUS_EXIT_USAGE
