"""``gradkata release --out DIR``: the repository a learner clones.

It holds what installing and grading need (the package, the grading tests,
the catalogue, hints, pytest settings) and the stubs regenerated from
``solutions/``; it never holds the reference solutions, the project's own
tests (and so its known-wrong implementations), benchmarks or CI. What goes
in is a list (:data:`LEARNER_FILES`, :data:`LEARNER_FOLDERS`), so a new file
in the course stays out until someone decides a learner needs it.

The README is the course's, less what is not true in the learner's copy:
the sections for course staff and authors and the design notes
(:data:`STAFF_SECTIONS`), and every sentence or command line that names
something left out (``pytest selftests``, ``benchmarks/...``).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from ..catalog import Catalog
from .regenerate import write_stubs
from .stubs import ReleaseError

LEARNER_FILES = ("pyproject.toml", "catalog.toml", "hints.toml", "conftest.py", ".gitignore")
LEARNER_FOLDERS = ("gradkata", "tests")
LEFT_OUT = ("solutions", "selftests", "benchmarks", ".ci")
STAFF_SECTIONS = ("For course", "Design")  # "## " headings starting so are not the learner's
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
_LEFT_OUT_NAMES = "|".join(re.escape(name) for name in LEFT_OUT)
# A path into a left-out folder ("benchmarks/bench_watch.py") or a pytest run of one.
_MENTION = re.compile(rf"(?<![\w.-])(?:{_LEFT_OUT_NAMES})/|\bpytest\s+(?:{_LEFT_OUT_NAMES})\b")


def write_learner_repo(catalog: Catalog, out: Path) -> list[Path]:
    """Write the learner's repository into ``out`` (new or empty); return its top-level entries."""
    root = catalog.root.resolve()
    out = out.resolve()
    if out == root or root in out.parents:
        raise ReleaseError(f"{out} is inside the course ({root}): choose a folder outside it")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} is not an empty folder: choose a new or empty one")
    exercises = out / catalog.exercises_dir.name
    write_stubs(catalog, exercises)  # first: a badly marked module stops it before any copy
    package_init = catalog.exercises_dir / "__init__.py"
    if package_init.is_file():
        shutil.copyfile(package_init, exercises / "__init__.py")
    for name in LEARNER_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, out / name)
    for name in LEARNER_FOLDERS:
        shutil.copytree(root / name, out / name, ignore=_NOT_SHIPPED)
    readme = (root / "README.md").read_text(encoding="utf-8")
    (out / "README.md").write_text(learner_readme(readme), encoding="utf-8")
    return sorted(out.iterdir())


def learner_readme(text: str) -> str:
    """The course README without the staff sections and without mentions of what is left out."""
    sections = re.split(r"(?m)^(?=## )", text)
    kept = [section for section in sections
            if not section.startswith(tuple(f"## {prefix}" for prefix in STAFF_SECTIONS))]
    return "".join(_without_mentions(section) for section in kept).rstrip("\n") + "\n"


def _without_mentions(section: str) -> str:
    """``section`` less the code lines and prose sentences that name a left-out folder."""
    out: list[str] = []
    in_code = False
    paragraph: list[str] = []
    for line in section.splitlines():
        fence = line.lstrip().startswith("```")
        if fence:
            in_code = not in_code
        if in_code or fence or line.startswith("    ") or not line.strip():
            out += _prose(paragraph)
            paragraph = []
            if not _MENTION.search(line) or fence:
                out.append(line)
        else:
            paragraph.append(line)
    out += _prose(paragraph)
    return "\n".join(out) + "\n"


def _prose(paragraph: list[str]) -> list[str]:
    """A paragraph's lines, each list item without the sentences that name a left-out folder."""
    items: list[list[str]] = []
    for line in paragraph:
        if line.startswith(("- ", "* ")) or not items:
            items.append([line])
        else:
            items[-1].append(line)
    lines: list[str] = []
    for item in items:
        text = " ".join(line.strip() for line in item)
        if not _MENTION.search(text):
            lines += item
            continue
        sentences = re.split(r"(?<=[.!?])\s+", text)
        kept = " ".join(s for s in sentences if not _MENTION.search(s))
        bullet = item[0][:2] if item[0].startswith(("- ", "* ")) else ""
        if kept.strip() and kept.strip() != bullet.strip():
            lines += textwrap.wrap(kept, 78, subsequent_indent=" " * len(bullet))
    return lines
