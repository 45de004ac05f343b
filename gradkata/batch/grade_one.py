"""Grade one submission in a ``pytest`` subprocess of its own; the same for batch and autograde.

The subprocess is exactly what course staff would type by hand::

    python -m pytest COURSE/tests --rootdir=COURSE --impl=DIR --isolate
        --hypothesis-profile=grading --seed=N --grade-json=OUT -q -p no:cacheprovider

It starts in a new session (its own process group), so at the wall-clock
limit the whole group is killed: the pytest process and every process it
started. A submission that cannot be graded at all still gets a document:
every selected exercise at zero, and an ``output`` saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..catalog import Catalog, Exercise
from .submissions import Submission, SubmissionProblem, unpack
from .words import say

DEFAULT_WALL_LIMIT = 1800.0  # seconds for one whole submission
_TAIL_LINES = 12  # of the grading process's output, in the reason of a crash
_QUIET_PLUGINS = ("cacheprovider", "benchmark")


class NotPosix(Exception):
    """Process groups are needed here, and this system has none."""


def require_posix(command: str, lang: str) -> None:
    if os.name != "posix":
        raise NotPosix(say(lang, "not_posix", command=command))


@dataclass(frozen=True)
class GradingSettings:
    """How every submission of a batch is graded: the options of the pytest run."""

    exercises: tuple[str, ...] = ()  # --exercise values; () grades everything
    seed: int = 0
    lang: str = "en"
    profile: str = "grading"
    isolate: bool = True
    wall_limit: float = DEFAULT_WALL_LIMIT
    pytest_options: tuple[str, ...] = ()  # more options, --opt=VALUE forms

    def pytest_command(self, catalog: Catalog, impl: Path, grade_json: Path) -> list[str]:
        # --option=VALUE: pytest decides its rootdir before it knows these options
        command = [sys.executable, "-m", "pytest", str(catalog.root / "tests"),
                   f"--rootdir={catalog.root}", f"--impl={impl}", f"--seed={self.seed}",
                   f"--lang={self.lang}", f"--hypothesis-profile={self.profile}",
                   f"--grade-json={grade_json}", "-q"]
        command += [f"-pno:{plugin}" for plugin in _QUIET_PLUGINS]
        command += ["--isolate"] if self.isolate else []
        command += [f"--exercise={value}" for value in self.exercises]
        return command + list(self.pytest_options)

    def fingerprint(self) -> dict:
        """What decides a grade: a change grades every submission again (not the wall limit)."""
        return {"exercises": list(self.exercises), "seed": self.seed, "lang": self.lang,
                "profile": self.profile, "isolate": self.isolate,
                "pytest_options": list(self.pytest_options), "version": __version__}


@dataclass
class Outcome:
    """One submission's result: always a document, graded or not."""

    document: dict
    graded: bool
    reason: str = ""  # why it could not be graded
    seconds: float = 0.0


class Stopped(Exception):
    """The batch is stopping: no new grading process starts."""


@dataclass
class ProcessGroups:
    """The grading processes running now, so that an interrupted batch can end them all."""

    running: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: bool = False

    def stop(self) -> None:
        """Kill every running group, and refuse to start another (no race: one lock)."""
        with self.lock:
            self.stopping = True
            for process in list(self.running):
                _kill_group(process)


def grade_submission(catalog: Catalog, submission: Submission, settings: GradingSettings,
                     scratch: Path, selected: tuple[Exercise, ...],
                     groups: ProcessGroups | None = None) -> Outcome:
    """Unpack ``submission`` into ``scratch``, grade it, and return its document.

    ``selected`` are the exercises ``settings.exercises`` names, for the zero
    document of a submission that cannot be graded. ``scratch`` is removed.
    """
    started = time.perf_counter()
    try:
        modules = unpack(submission, scratch / "files", [t.name for t in catalog.topics])
        outcome = _run_pytest(catalog, settings, modules, scratch, groups or ProcessGroups())
    except SubmissionProblem as problem:
        outcome = Outcome({}, graded=False, reason=problem.explain(settings.lang))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    if not outcome.graded:
        outcome.document = ungradable_document(selected, outcome.reason, settings,
                                               outcome.seconds)
    _label(outcome.document, submission.name, settings)
    return outcome


def _run_pytest(catalog: Catalog, settings: GradingSettings, modules: Path, scratch: Path,
                groups: ProcessGroups) -> Outcome:
    grade_json, log_path, cwd = scratch / "grade.json", scratch / "pytest.log", scratch / "run"
    cwd.mkdir(parents=True)  # an empty working folder: nothing to import from, nothing to spoil
    command = settings.pytest_command(catalog, modules, grade_json)
    status = run_in_own_group(command, cwd=cwd, log_path=log_path,
                              wall_limit=settings.wall_limit, groups=groups)
    if status is None:
        return Outcome({}, graded=False,
                       reason=say(settings.lang, "wall_limit", seconds=settings.wall_limit))
    if status in (0, 1) and grade_json.is_file():  # 1: some exercise failed, a normal grade
        try:
            return Outcome(json.loads(grade_json.read_text(encoding="utf-8")), graded=True)
        except ValueError:
            pass
    tail = _tail(log_path)
    return Outcome({}, graded=False,
                   reason=say(settings.lang, "grader_crashed", status=status, tail=tail))


def run_in_own_group(command: list[str], *, cwd: Path, log_path: Path, wall_limit: float,
                     groups: ProcessGroups) -> int | None:
    """Run ``command`` in a new process group; its exit status, or None past ``wall_limit``.

    Its output goes to ``log_path``. Past the limit the whole group is killed.
    """
    environment = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0",
                       OMP_NUM_THREADS="1")  # one thread: a batch runs several side by side
    with log_path.open("wb") as log, groups.lock:
        if groups.stopping:
            raise Stopped
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=environment,
                                   start_new_session=True)
        groups.running.add(process)
    try:
        return process.wait(timeout=wall_limit)
    except subprocess.TimeoutExpired:
        return None
    finally:
        _kill_group(process)  # also any process it left behind
        process.wait()
        with groups.lock:
            groups.running.discard(process)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already


def _tail(log_path: Path) -> str:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-_TAIL_LINES:])


def ungradable_document(selected: tuple[Exercise, ...], reason: str, settings: GradingSettings,
                        seconds: float) -> dict:
    """SPEC §3's document for a submission that could not be graded: zeros, and why."""
    return {
        "score": 0.0,
        "execution_time": round(seconds, 2),
        "output": say(settings.lang, "ungradable_output", version=__version__, reason=reason),
        "extra_data": {"impl": "", "seed": settings.seed, "version": __version__,
                       "ungradable": reason},
        "tests": [
            {"name": ex.id, "number": ex.number, "score": 0.0, "max_score": ex.points,
             "status": "failed", "output": reason, "tags": [ex.topic],
             "extra_data": {"state": "error", "checks": {}}}
            for ex in selected
        ],
    }


def _label(document: dict, name: str, settings: GradingSettings) -> None:
    """Name the submission rather than its scratch folder, so the same work gives the same JSON."""
    extra = document.setdefault("extra_data", {})
    extra["impl"] = name
    extra["hypothesis_profile"] = settings.profile
