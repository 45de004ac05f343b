"""What a batch already did: content hashes of submissions, and the manifest that records them.

The manifest (``OUT/.gradkata-batch.json``) maps each submission's name to
the hash of its contents, the hash of the grading settings, its state and
its score. It is written atomically after every submission, so a batch that
is stopped at any moment resumes where it stopped: a submission is graded
again only when its contents or the settings changed, or when it could not
be graded last time (the cause may have been the machine, not the work).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST_NAME = ".gradkata-batch.json"
GRADED, UNGRADABLE = "graded", "ungradable"
_SKIPPED_FOLDERS = {"__pycache__"}  # written by Python itself, not by the learner
_ZIP_HASH_LIMIT = 256 * 2**20  # past this, hash the zip's raw bytes instead of its members


def content_hash(path: Path) -> str:
    """A hash of a submission's file names and bytes, whatever order the filesystem lists them.

    A zip is hashed by its members (names and unpacked bytes), so zipping the
    same files again gives the same hash; a zip that cannot be read is hashed
    by its raw bytes.
    """
    if path.is_file():
        try:
            return _hash_entries(_zip_entries(path))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
                _TooBig):
            return _hash_entries([("<raw>", _file_digest(path))])
    return _hash_entries(_folder_entries(path))


def _hash_entries(entries) -> str:
    digest = hashlib.sha256()
    for name, content_digest in sorted(entries):
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0" + content_digest + b"\0")
    return digest.hexdigest()


def _folder_entries(root: Path):
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in _SKIPPED_FOLDERS]
        for name in files:
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                yield relative, b"link:" + os.readlink(path).encode("utf-8", "surrogateescape")
            elif not name.endswith(".pyc"):
                yield relative, _file_digest(path)


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    return digest.digest()


class _TooBig(Exception):
    pass


def _zip_entries(path: Path) -> list[tuple[str, bytes]]:
    entries, total = [], 0
    with zipfile.ZipFile(path) as bundle:
        for member in bundle.infolist():
            if member.is_dir():
                continue
            digest = hashlib.sha256()
            with bundle.open(member) as source:
                while chunk := source.read(1 << 16):
                    total += len(chunk)
                    if total > _ZIP_HASH_LIMIT:
                        raise _TooBig
                    digest.update(chunk)
            entries.append((member.filename, digest.digest()))
    return entries


def settings_hash(settings: dict) -> str:
    """A hash of the grading settings: a batch run with other settings grades everything again."""
    text = json.dumps(settings, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Entry:
    """One submission's line in the manifest."""

    content: str  # content_hash of the submission
    settings: str  # settings_hash of the run that graded it
    state: str  # GRADED or UNGRADABLE
    score: float
    max_score: float
    reason: str = ""  # why it could not be graded
    finished_at: float = 0.0  # time.time() when its grading ended
    seconds: float = 0.0  # wall-clock time its grading took


class Manifest:
    """The batch's record of finished submissions, saved atomically after each change."""

    def __init__(self, path: Path, entries: dict[str, Entry] | None = None):
        self.path = path
        self.entries: dict[str, Entry] = entries or {}

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        """The manifest in ``out_dir``; an empty one when there is none or it is unreadable."""
        path = out_dir / MANIFEST_NAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries = {name: Entry(**values) for name, values in raw["submissions"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            entries = {}
        return cls(path, entries)

    def is_done(self, name: str, content: str, settings: str, json_path: Path) -> bool:
        """Whether ``name`` was graded with these contents and settings, and its JSON is there."""
        entry = self.entries.get(name)
        return (entry is not None and entry.state == GRADED and entry.content == content
                and entry.settings == settings and json_path.is_file())

    def record(self, name: str, entry: Entry) -> None:
        entry.finished_at = entry.finished_at or time.time()
        self.entries[name] = entry
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "submissions": {
            name: asdict(entry) for name, entry in sorted(self.entries.items())}}
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".manifest.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
        os.replace(temporary, self.path)
