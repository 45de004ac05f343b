"""``gradkata release``: regenerate ``exercises/`` from the marked ``solutions/``.

    gradkata release              write every stub that changed
    gradkata release --check      exit 1, naming the files, when exercises/ is out of date (CI)
    gradkata release --out DIR    write the learner's repository (no solutions/) into DIR

A course staff tool: its messages are in English. The markers are described
in :mod:`gradkata.release`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..catalog import Catalog
from ..release.learner_repo import write_learner_repo
from ..release.regenerate import stale_stubs, write_stubs
from ..release.stubs import ReleaseError

EXIT_STALE = 1  # --check: exercises/ differs from what solutions/ gives
EXIT_REFUSED = 2  # a badly marked solution, no solutions/, an --out that is not empty
DIFF_LINES_SHOWN = 40  # per file: enough to see what changed, not a wall of text


def add_parser(commands, shared: dict[str, argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "release", help="regenerate exercises/ from solutions/ (course authors)",
        description="Regenerate the learner's stubs in exercises/ from the marked reference "
                    "modules in solutions/ (# BEGIN SOLUTION / # END SOLUTION).")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when exercises/ is out of date")
    mode.add_argument("--out", type=Path, default=None, metavar="DIR",
                      help="write the learner's repository (without solutions/) into DIR")


def run(catalog: Catalog, args) -> int:
    try:
        if args.check:
            return _check(catalog)
        if args.out is not None:
            return _learner_repo(catalog, args.out)
        return _release(catalog)
    except ReleaseError as error:
        print(f"gradkata release: {error}", file=sys.stderr)
        return EXIT_REFUSED


def _release(catalog: Catalog) -> int:
    changed = write_stubs(catalog)
    total = len(catalog.topics)
    for path in changed:
        print(f"wrote {_relative(path)}")
    print(f"{len(changed)} of {total} stubs changed" if changed
          else f"exercises/ is up to date ({total} stubs)")
    return 0


def _check(catalog: Catalog) -> int:
    stale = stale_stubs(catalog)
    if not stale:
        print(f"exercises/ is up to date with solutions/ ({len(catalog.topics)} stubs)")
        return 0
    print("gradkata release --check: exercises/ is out of date with solutions/:",
          file=sys.stderr)
    for stub in stale:
        print(f"  {_relative(stub.path)}", file=sys.stderr)
    for stub in stale:
        print(file=sys.stderr)
        print("\n".join(stub.diff[:DIFF_LINES_SHOWN]), file=sys.stderr)
        if len(stub.diff) > DIFF_LINES_SHOWN:
            print(f"... ({len(stub.diff) - DIFF_LINES_SHOWN} more diff lines)", file=sys.stderr)
    print("\nRun `gradkata release` to regenerate exercises/ from solutions/, then commit it. "
          "(Edit the docstrings in solutions/: exercises/ is generated.)", file=sys.stderr)
    return EXIT_STALE


def _learner_repo(catalog: Catalog, out: Path) -> int:
    entries = write_learner_repo(catalog, out)
    print(f"wrote the learner's repository to {_relative(out)}: "
          + ", ".join(entry.name + ("/" if entry.is_dir() else "") for entry in entries))
    print(f"try it: cd {_relative(out)} && pip install torch==2.13.0 -e . && pytest")
    return 0


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
