"""Write ``exercises/`` from ``solutions/``, or tell which stubs are out of date."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from .stubs import ReleaseError, stub_source


@dataclass(frozen=True)
class StaleStub:
    """A stub in ``exercises/`` that differs from what its reference module gives."""

    path: Path
    diff: list[str]  # unified diff lines, from the file on disk to the regenerated one


def expected_stubs(catalog: Catalog) -> dict[Path, str]:
    """Each topic's stub path in ``exercises/``, with the text ``solutions/`` gives it.

    Raises :class:`ReleaseError` when there is no ``solutions/`` (a learner's
    copy of the course) or a reference module is missing or badly marked.
    """
    if not catalog.solutions_dir.is_dir():
        raise ReleaseError(f"{catalog.solutions_dir} is not there: release runs in the "
                           f"course's own repository, which holds the reference solutions")
    stubs = {}
    for topic in catalog.topics:
        reference = catalog.solutions_dir / f"{topic.name}.py"
        try:
            source = reference.read_text(encoding="utf-8")
        except OSError as error:
            raise ReleaseError(f"{reference}: {error.strerror}") from None
        name = _shown(reference, catalog.root)
        stubs[catalog.exercises_dir / f"{topic.name}.py"] = stub_source(source, topic, name)
    return stubs


def write_stubs(catalog: Catalog, folder: Path | None = None) -> list[Path]:
    """Write every stub (into ``folder``, default ``exercises/``); return the files that changed.

    All stubs are made before any is written, so a badly marked module
    leaves ``exercises/`` as it was.
    """
    target = folder or catalog.exercises_dir
    target.mkdir(parents=True, exist_ok=True)
    changed = []
    for path, text in expected_stubs(catalog).items():
        destination = target / path.name
        if not destination.is_file() or destination.read_bytes() != text.encode("utf-8"):
            destination.write_bytes(text.encode("utf-8"))  # bytes: "\n" on every platform
            changed.append(destination)
    return changed


def stale_stubs(catalog: Catalog) -> list[StaleStub]:
    """The stubs of ``exercises/`` that are missing or differ from the regenerated ones."""
    stale = []
    for path, text in expected_stubs(catalog).items():
        current = path.read_bytes().decode("utf-8", "replace") if path.is_file() else ""
        if current != text:
            shown = _shown(path, catalog.root)
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(),
                                        f"{shown} (now)", f"{shown} (from solutions/)",
                                        lineterm="")
            stale.append(StaleStub(path, list(diff)))
    return stale


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the course, for messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
