"""Find submissions, unpack one, and find the folder that holds its topic modules.

A submission is a directory or a ``.zip`` file. Its topic modules
(``tensors.py``, ``activations.py``, ...) may lie at its top or in a folder
at any depth (``alice/hw2/exercises/``): the folder holding the most of them
is the one graded. Every submission is copied (or extracted) into a scratch
folder first, so nothing the graded code writes can change the original, and
zips are extracted with care: no absolute paths, no ``..``, no links, and a
bound on the unpacked size and the number of files.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_UNPACKED_BYTES = 64 * 2**20  # far above any honest set of Python modules
MAX_FILES = 10_000
MAX_DEPTH = 12  # how deep to look for the topic modules
_IGNORED = {"__pycache__", "__MACOSX", ".git"}  # folders that never hold a submission's code


class SubmissionProblem(Exception):
    """The submission cannot be graded at all: a message key of :mod:`.words` and its values."""

    def __init__(self, key: str, **values):
        super().__init__(key, values)
        self.key, self.values = key, values

    def explain(self, lang: str) -> str:
        """Why, for course staff and the learner, in ``lang``."""
        from .words import say

        return say(lang, self.key, **self.values)


@dataclass(frozen=True)
class Submission:
    name: str  # the gradebook row and the JSON file's stem
    path: Path  # a directory or a .zip file

    @property
    def is_zip(self) -> bool:
        return self.path.is_file()


def discover(folder: Path) -> list[Submission]:
    """Every subdirectory and ``.zip`` file of ``folder``, sorted by name.

    A zip is named by its stem (``bob.zip`` -> ``bob``) unless a directory
    already has that name; hidden entries and other files are not submissions.
    """
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    directories = [p for p in entries if p.is_dir() and p.name not in _IGNORED]
    zips = [p for p in entries if p.is_file() and p.suffix.lower() == ".zip"]
    taken = {p.name for p in directories}
    found = [Submission(p.name, p) for p in directories]
    for path in zips:
        name = path.stem if path.stem not in taken else path.name
        taken.add(name)
        found.append(Submission(name, path))
    return sorted(found, key=lambda s: s.name)


def unpack(submission: Submission, scratch: Path, topics: Iterable[str]) -> Path:
    """Copy or extract ``submission`` into ``scratch``; return its folder of topic modules.

    Raises :class:`SubmissionProblem` for an unreadable or unsafe zip, or when
    no folder holds a topic module. A directory holding no topic module but a
    zip file (an upload of a zip) is graded from that zip.
    """
    topics = tuple(topics)
    if scratch.exists():
        shutil.rmtree(scratch)
    if submission.is_zip:
        extract_zip(submission.path, scratch)
    else:
        shutil.copytree(submission.path, scratch, symlinks=True,
                        ignore=shutil.ignore_patterns(*_IGNORED))
    found = find_module_folder(scratch, topics)
    if found is None and not submission.is_zip:
        inner = sorted(p for p in scratch.rglob("*.zip") if p.is_file())
        if inner:
            return unpack(Submission(submission.name, inner[0]), scratch / "_unzipped", topics)
    if found is None:
        raise SubmissionProblem("no_modules", names=", ".join(f"{t}.py" for t in topics[:3]))
    return found


def find_module_folder(root: Path, topics: Iterable[str]) -> Path | None:
    """The folder under ``root`` holding the most ``<topic>.py`` files (None: no such folder).

    Ties go to the shallowest folder, then to one named ``exercises``, then by name.
    """
    wanted = {f"{topic}.py" for topic in topics}
    best: tuple | None = None
    for folder, subfolders, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        subfolders[:] = sorted(d for d in subfolders if d not in _IGNORED and depth < MAX_DEPTH)
        count = len(wanted.intersection(files))
        if count:
            key = (-count, depth, Path(folder).name != "exercises", folder)
            best = key if best is None or key < best else best
    return Path(best[3]) if best is not None else None


def extract_zip(archive: Path, target: Path) -> None:
    """Extract ``archive`` into ``target``, refusing anything that could escape it or flood it."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_FILES:
                raise SubmissionProblem("zip_too_many", count=len(members), limit=MAX_FILES)
            budget = MAX_UNPACKED_BYTES
            for member in members:
                relative = safe_member_path(member)
                if relative is None:  # a folder entry, or a link: nothing to grade
                    continue
                budget = _extract_member(bundle, member, target / relative, budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError) as error:
        raise SubmissionProblem("zip_unreadable", error=str(error) or type(error).__name__) \
            from None


def safe_member_path(member: zipfile.ZipInfo) -> Path | None:
    """The member's path relative to the target; None for folders and links.

    Raises :class:`SubmissionProblem` for an absolute path or one that climbs out with ``..``.
    """
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and parts[0].endswith(":")) or ".." in parts:
        raise SubmissionProblem("zip_unsafe_path", path=repr(member.filename))
    is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
    if member.is_dir() or is_link or not parts:
        return None
    if any(part in _IGNORED for part in parts):
        return None
    return Path(*parts)


def _extract_member(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path,
                    budget: int) -> int:
    """Copy one member to ``path``, counting the bytes actually written; the budget left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open(member) as source, path.open("wb") as sink:
        while chunk := source.read(1 << 16):
            budget -= len(chunk)  # declared sizes can lie: count what arrives
            if budget < 0:
                raise SubmissionProblem("zip_too_big", mib=MAX_UNPACKED_BYTES // 2**20)
            sink.write(chunk)
    return budget
