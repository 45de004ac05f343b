"""Find the solution markers in a reference module's lines.

Two kinds of block, each opened and closed by a comment line of its own::

    # BEGIN SOLUTION            lines only the reference has: the learner's
    ...                         stub leaves them out (in an exercise's body,
    # END SOLUTION              the stub's ``raise NotImplementedError`` stands
                                in for them)
    # BEGIN STUB                lines only the learner's stub has, written as
    # import math  # noqa: F401 comments in the reference ("# " or a bare "#"
    # END STUB                  in front) and uncommented in the stub

A block's closing line has the indentation of its opening line; blocks do not
nest. This module only reads markers: :mod:`gradkata.release.stubs` decides
what a block means where it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["solution", "stub"]
OPENERS: dict[str, Kind] = {"# BEGIN SOLUTION": "solution", "# BEGIN STUB": "stub"}
CLOSERS: dict[Kind, str] = {"solution": "# END SOLUTION", "stub": "# END STUB"}


class MarkerError(ValueError):
    """The markers of a module are malformed; the message names the line."""


@dataclass(frozen=True)
class Block:
    kind: Kind
    begin: int  # line number (1-based) of the opening marker
    end: int  # line number of the closing marker
    indent: str  # the markers' indentation

    def covers(self, line: int) -> bool:
        """Whether ``line`` lies between the markers, the markers included."""
        return self.begin <= line <= self.end


def find_blocks(lines: list[str], filename: str) -> list[Block]:
    """Every marker block of ``lines`` (a module's lines, without line ends), in order.

    Raises :class:`MarkerError` for an unclosed or stray marker, a nested
    block, a closing marker at another indentation, or a stub line that is
    not a comment.
    """
    blocks: list[Block] = []
    open_kind: Kind | None = None
    open_line, open_indent = 0, ""
    for number, line in enumerate(lines, start=1):
        text, indent = line.strip(), line[:len(line) - len(line.lstrip())]
        where = f"{filename}:{number}"
        if text in OPENERS:
            if open_kind is not None:
                raise MarkerError(f"{where}: {text!r} inside the block opened at line "
                                  f"{open_line}: blocks do not nest")
            open_kind, open_line, open_indent = OPENERS[text], number, indent
        elif text in CLOSERS.values():
            if open_kind is None or text != CLOSERS[open_kind]:
                raise MarkerError(f"{where}: {text!r} closes no block")
            if indent != open_indent:
                raise MarkerError(f"{where}: {text!r} is not indented like its opening "
                                  f"marker (line {open_line})")
            blocks.append(Block(open_kind, open_line, number, open_indent))
            open_kind = None
        elif open_kind == "stub" and not _is_stub_comment(line, open_indent):
            raise MarkerError(f"{where}: a line of a stub block must be a comment at the "
                              f"block's indentation ('# ' + the learner's line, or '#')")
    if open_kind is not None:
        raise MarkerError(f"{filename}:{open_line}: {OPENERS_TEXT[open_kind]!r} is never "
                          f"closed by {CLOSERS[open_kind]!r}")
    return blocks


OPENERS_TEXT: dict[Kind, str] = {kind: text for text, kind in OPENERS.items()}


def _is_stub_comment(line: str, indent: str) -> bool:
    return line == indent + "#" or line.startswith(indent + "# ")


def uncomment(line: str, indent: str) -> str:
    """The learner's line a stub block's comment line stands for."""
    if line == indent + "#":
        return ""
    return indent + line[len(indent) + 2:]
