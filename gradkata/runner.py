"""Grade in this process: ``pytest.main`` with the gradkata plugin, and the Grade it made.

The commands (status, check, watch, kata) grade through here rather than in a
``pytest`` subprocess, so that a process that already holds torch pays for it
once. The run is an ordinary pytest run of the course's tests with the same
options a learner would type (``--impl``, ``--exercise``, ``--seed``, ...): the
plugin grades it exactly as it grades ``pytest --exercise ID``; this module
only listens (a small pytest plugin object) and keeps what it computed.
"""

from __future__ import annotations

import contextlib
import gc
import io
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import split
from .catalog import Catalog
from .grading import Grade

# pytest plugins a grading run has no use for; leaving them out changes no
# verdict (they report, cache or add options nobody passes) and saves time.
UNUSED_PLUGINS = ("cacheprovider", "doctest", "junitxml", "pastebin", "stepwise",
                  "setuponly", "setupplan", "benchmark")


@dataclass(frozen=True)
class GradeRequest:
    """What to grade: the options of ``pytest`` a learner would type."""

    impl: str = "exercises"  # 'exercises', 'solutions' or a directory
    exercises: tuple[str, ...] = ()  # --exercise values; () grades everything
    seed: int = 0
    lang: str = "en"
    profile: str | None = None  # --hypothesis-profile; None: the course's default
    grade_json: Path | None = None
    test_files: tuple[Path, ...] = ()  # () collects the whole tests/ folder

    def pytest_args(self, catalog: Catalog) -> list[str]:
        root = catalog.root
        paths = [str(p) for p in self.test_files] or [str(root / "tests")]
        # --option=VALUE: pytest decides its rootdir before it knows these options
        args = [*paths, f"--rootdir={root}", "-q", f"--impl={self.impl}",
                f"--seed={self.seed}", f"--lang={self.lang}"]
        args += [f"-pno:{plugin}" for plugin in UNUSED_PLUGINS]
        args += [f"--exercise={value}" for value in self.exercises]
        if self.profile:
            args.append(f"--hypothesis-profile={self.profile}")
        if self.grade_json is not None:
            args.append(f"--grade-json={self.grade_json}")
        return args


@dataclass
class GradeRun:
    """One grading run's result."""

    exit_code: int
    grade: Grade | None  # None when nothing was graded (a usage error, say)
    next_location: tuple[Path, int | None] | None = None
    profile: str = "dev"
    stopped_early: bool = False
    output: str = ""  # pytest's own terminal output, for a usage error
    seconds: float = 0.0  # wall-clock time of the run
    cpu_seconds: float = 0.0  # this process's CPU time during the run (one torch thread)
    test_files: tuple[Path, ...] = ()  # the test files that held the graded tests
    document: dict | None = None  # the Gradescope results the plugin computed


@dataclass(eq=False)  # pytest keeps plugins in sets: hash by identity
class _Listener:
    """A pytest plugin object that keeps what the gradkata plugin computed."""

    progress: Callable[[int, int], None] | None = None
    total: int = 0
    done: int = 0
    run: GradeRun | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)  # split in processes: this process's share

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from hypothesis import settings

        from . import __version__
        from .plugin import SESSION
        from .report import gradescope

        grading = session.config.stash.get(SESSION, None)
        if grading is None or grading.grade is None:
            return
        files = {Path(item.path) for item in session.items}  # every process's tests, by now
        nxt = grading.grade.next_up()
        self.run = GradeRun(
            exit_code=0, grade=grading.grade, profile=settings.get_current_profile_name(),
            next_location=grading.impl.location(nxt.exercise) if nxt and grading.impl else None,
            stopped_early=grading.stopped_early, test_files=tuple(sorted(files)),
            document=gradescope.results(grading.grade, version=__version__,
                                        impl_label=grading.options.impl,
                                        seed=grading.options.seed, execution_time=0.0))


def warm_up() -> None:
    """Import torch now and keep its objects out of every later garbage collection."""
    import torch  # noqa: F401 - imported for its side effect: torch is loaded

    settle_memory()


def settle_memory() -> None:
    """Collect garbage now and freeze what survives (``gc.freeze``), between runs.

    pytest collects garbage several times at the end of each run, over every
    object in the process: with torch, hypothesis and the imported tests that
    is most of a second per run. Objects that survive a run are nearly all
    long-lived (modules, caches), so freezing them moves that cost out of the
    next run into the idle time after a verdict. Nothing about grading changes.
    """
    gc.collect()
    gc.freeze()


def grade(catalog: Catalog, request: GradeRequest, *,
          progress: Callable[[int, int], None] | None = None, processes: int = 1) -> GradeRun:
    """Run the course's tests in this process for ``request``; return the grade.

    pytest's own output is kept (``GradeRun.output``), not printed; ``progress``
    is called with (tests done, tests collected) after every test.
    processes: above 1 (POSIX only, else ignored), this process forks and the
    tests are split between the copies (:mod:`gradkata.split`); same grade.
    """
    listener = _Listener(progress=progress)
    started, cpu_started = time.perf_counter(), time.process_time()
    kept = _TorchState.save()
    _forget_other_courses_tests(catalog)
    before = set(sys.modules)
    buffer = io.StringIO()
    try:
        args = request.pytest_args(catalog)
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer), \
                split.team(processes, lambda plugins: pytest.main(args, plugins=plugins)) as share:
            code = int(pytest.main(args, plugins=[listener, *share]))
    finally:
        kept.restore()
        _forget_graded_modules(before)
    run = listener.run or GradeRun(exit_code=code, grade=None)
    run.exit_code, run.output = code, buffer.getvalue()
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu_started
    return run


def _forget_other_courses_tests(catalog: Catalog) -> None:
    """Drop test modules of the same name imported from another course directory.

    pytest imports ``tests/test_tensors.py`` as module ``test_tensors`` and
    refuses a second file of that name in one process; a process that grades
    two courses (a gradebook, gradkata's own self-tests) needs the name back.
    """
    tests = {path.stem: path.resolve() for path in (catalog.root / "tests").rglob("*.py")
             if path.stem.startswith("test_") or path.stem.endswith("_test")}
    for name, module in list(sys.modules.items()):
        stem = name.rsplit(".", 1)[-1]
        file = getattr(module, "__file__", None)
        if stem in tests and file and Path(file).resolve() != tests[stem]:
            del sys.modules[name]


def _forget_graded_modules(before: Iterable[str]) -> None:
    """Drop the modules a run imported from the graded code (a fresh copy each run).

    The loader imports every implementation under a new synthetic package name;
    a process that grades all day would otherwise keep every copy it ever made.
    """
    from .loader import REFERENCE_PACKAGE, SUBMISSION_PACKAGE

    prefixes = (SUBMISSION_PACKAGE + "_", REFERENCE_PACKAGE + "_")
    for name in set(sys.modules) - set(before):
        if name.startswith(prefixes):
            del sys.modules[name]


@dataclass(frozen=True)
class _TorchState:
    """torch's process-wide settings, put back after each run.

    Code under grade may change them (``torch.set_default_dtype`` at import);
    a fresh ``pytest`` process would not see that change in its next run, so
    neither may a process that grades again and again.
    """

    values: tuple

    @staticmethod
    def save() -> _TorchState:
        torch = sys.modules.get("torch")
        if torch is None:
            return _TorchState(())
        return _TorchState((torch.get_default_dtype(), torch.is_grad_enabled(),
                            torch.get_num_threads(), _default_device(torch)))

    def restore(self) -> None:
        torch = sys.modules.get("torch")
        if torch is None or not self.values:
            return
        now = _TorchState.save().values
        setters = (torch.set_default_dtype, torch.set_grad_enabled, torch.set_num_threads,
                   torch.set_default_device)
        for before, after, setter in zip(self.values, now, setters, strict=True):
            if before != after and before is not None:  # only what the run changed
                setter(before)


def _default_device(torch):
    getter = getattr(torch, "get_default_device", None)
    return getter() if getter is not None else None
