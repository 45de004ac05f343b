"""Watch mode for dojos: grade again on every save, from a process that holds torch.

``gradkata watch [ID ...]`` imports torch once, warms fake tensors and the
grading tests, and then polls the implementation folder. When a ``*.py`` file
changes (and has settled: editors that write a temporary file and rename
it, or delete and re-create the file, produce several changes in quick
succession), it grades the chosen exercises again through
:func:`gradkata.runner.grade`: the same pytest run, options and plugin as
``pytest --exercise ID``, so the same verdict, without paying ~4 s of
imports and warm-up on every save.

Polling uses only ``os.stat`` (modification time, size, inode): no inotify,
so it works the same on Linux, macOS and Windows.

Nearly all of a verdict's time is the exercise's own tests (hypothesis
examples and checks, no single hot spot), and they are independent: each
is seeded from its node id, hypothesis is derandomized. So where the
platform can fork (POSIX) and there are two cores, a grading forks the warm
process and each copy runs half of the tests (:mod:`gradkata.split`); the
parent grades once from every outcome, in the order one process records
them, so the verdict stays that of ``pytest --exercise ID``. A child that
dies or hangs only costs time: the parent runs its tests. ``processes``
(``gradkata watch --jobs N``) sets how many copies; 1 keeps one process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import split
from .catalog import Catalog
from .runner import GradeRequest, GradeRun, grade, settle_memory, warm_up

Signature = tuple[int, int, int]  # mtime_ns, size, inode
INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED


def watched(name: str) -> bool:
    """A module an editor saves, not its swap, backup or temporary files."""
    return name.endswith(".py") and not name.startswith((".", "#", "~"))


@dataclass
class Poller:
    """Notices saved ``*.py`` files in a folder by polling their stat, then lets them settle.

    interval: seconds between polls while idle. debounce: a change counts once
    the folder has looked the same for this long. settle_limit: give up waiting
    for a vanished file to come back after this long.
    """

    folder: Path
    interval: float = 0.05
    debounce: float = 0.05
    settle_limit: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    last: dict[str, Signature] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.last = self.snapshot()

    def snapshot(self) -> dict[str, Signature]:
        found: dict[str, Signature] = {}
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return found
        for entry in entries:
            if not watched(entry.name):
                continue
            try:
                info = entry.stat()
            except OSError:  # removed between listing and stat
                continue
            found[entry.name] = (info.st_mtime_ns, info.st_size, info.st_ino)
        return found

    def poll(self) -> set[str]:
        """Names changed, added or removed since the last poll (no waiting)."""
        now = self.snapshot()
        changed = {n for n in set(now) | set(self.last) if now.get(n) != self.last.get(n)}
        self.last = now
        return changed

    def settle(self, changed: set[str]) -> set[str]:
        """Wait until nothing changes for ``debounce`` and removed files are back (or give up)."""
        gone = {n for n in changed if n not in self.last}
        waited = 0.0
        while True:
            self.sleep(self.debounce)
            waited += self.debounce
            more = self.poll()
            changed |= more
            gone = (gone | {n for n in more if n not in self.last}) - set(self.last)
            if (not more and not gone) or waited >= self.settle_limit:
                return changed

    def wait(self, should_stop: Callable[[], bool] = lambda: False) -> set[str]:
        """Block until a save has happened and settled; return the names involved."""
        while not should_stop():
            changed = self.poll()
            if changed:
                return self.settle(changed)
            self.sleep(self.interval)
        return set()


class Watch:
    """Grades a request again whenever the implementation folder changes."""

    def __init__(self, catalog: Catalog, request: GradeRequest, folder: Path,
                 on_verdict: Callable[[GradeRun, set[str]], None], poller: Poller | None = None,
                 processes: int | None = None):
        self.catalog, self.request, self.on_verdict = catalog, request, on_verdict
        # None: two processes share the tests where there are two cores and fork
        self.processes = split.default_processes() if processes is None else processes
        # watching starts now: a save during the warm-up is graded right after it
        self.poller = poller or Poller(folder)
        self.files_for: dict[str, set[Path]] = {}  # exercise id -> its test files

    def start(self) -> GradeRun | None:
        """Import and warm everything; grade once if exercises were named."""
        warm_up()
        _warm_fake_tensors()
        self.files_for = _test_files_by_exercise(self.catalog, self.request)
        run = self.grade_now(set()) if self.request.exercises else None
        settle_memory()
        return run

    def grade_now(self, changed: set[str]) -> GradeRun:
        wanted = self.request.exercises or self._topics_of(changed)
        run = grade(self.catalog, replace(self.request, exercises=wanted,
                                          test_files=self.test_files_for(wanted)),
                    processes=self.processes)
        if run.exit_code == INTERRUPTED:  # pytest caught the learner's Ctrl-C
            raise KeyboardInterrupt
        self.on_verdict(run, changed)
        return run

    def loop(self, should_stop: Callable[[], bool] = lambda: False,
             runs: int | None = None) -> None:
        """Wait for saves and grade after each, until ``should_stop`` or ``runs`` gradings."""
        done = 0
        while not should_stop() and (runs is None or done < runs):
            changed = self.poller.wait(should_stop)
            if changed:
                self.grade_now(changed)
                settle_memory()  # after the verdict is out: idle time pays for it
                done += 1

    def _topics_of(self, changed: Iterable[str]) -> tuple[str, ...]:
        topics = [t.name for t in self.catalog.topics]
        named = tuple(t for t in topics if f"{t}.py" in changed)
        return named or tuple(topics)  # a helper module changed: it may affect any topic

    def test_files_for(self, wanted: tuple[str, ...]) -> tuple[Path, ...]:
        """Only the test files that grade ``wanted``: collecting the others changes nothing."""
        chosen = self.catalog.select(list(wanted))
        files = set()
        for exercise in chosen:
            if exercise.id not in self.files_for:
                return ()  # not seen at warm-up (a new test?): collect everything
            files |= self.files_for[exercise.id]
        return tuple(sorted(files))


def _test_files_by_exercise(catalog: Catalog, request: GradeRequest) -> dict[str, set[Path]]:
    """Collect the whole suite once (this also imports every test module): id -> its test files."""
    import contextlib
    import io

    import pytest

    from .plugin import SESSION

    class Collector:
        def __init__(self) -> None:
            self.found: dict[str, set[Path]] = {}

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            grading = session.config.stash.get(SESSION, None)
            for item in session.items:
                exercise = grading.exercise_of(item) if grading else None
                if exercise is not None:
                    self.found.setdefault(exercise.id, set()).add(Path(item.path))

    collector = Collector()
    args = [*replace(request, exercises=(), grade_json=None).pytest_args(catalog), "--collect-only"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[collector])
    return collector.found


def _warm_fake_tensors() -> None:
    """The first FakeTensorMode use costs over a second: pay it before the first save."""
    import torch

    from .checks.devices import check_device_hygiene

    check_device_hygiene(lambda x: x * 2 + 1, torch.ones(3), what="warm-up")
