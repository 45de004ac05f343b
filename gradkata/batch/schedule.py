"""The batch: every submission graded in parallel, each in its own process group, resumably.

Each finished submission's JSON is written and the manifest saved at once,
in this (the main) thread, so that stopping the batch at any moment loses at
most the submissions being graded at that moment. The gradebook is written
at the end, and on an interruption from the submissions finished so far.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..assignment import Assignment, apply
from ..catalog import Catalog, Exercise
from ..report import gradescope
from . import gradebook
from .grade_one import GradingSettings, Outcome, ProcessGroups, grade_submission
from .progress import Progress
from .resume import GRADED, UNGRADABLE, Entry, Manifest, content_hash, settings_hash
from .submissions import Submission

SCRATCH_NAME = ".gradkata-work"  # in the output folder: unpacked submissions being graded


@dataclass
class Batch:
    """One batch run's inputs."""

    catalog: Catalog
    submissions: list[Submission]
    out_dir: Path
    settings: GradingSettings
    selected: tuple[Exercise, ...]  # the exercises graded: the gradebook's columns
    jobs: int = 1
    assignment: Assignment | None = None
    regrade: bool = False


@dataclass
class BatchResult:
    total: int
    kept: list[str] = field(default_factory=list)  # unchanged and graded before: not regraded
    graded: list[str] = field(default_factory=list)  # graded in this run
    ungradable: dict[str, str] = field(default_factory=dict)  # name -> why, in this run
    interrupted: bool = False


def run_batch(batch: Batch, progress: Progress | None = None) -> BatchResult:
    """Grade what is not graded yet; write the JSON files, the manifest and the gradebook."""
    run = _Run(batch, progress or Progress(len(batch.submissions)))
    todo = []
    for submission in batch.submissions:
        if run.is_done(submission) and not batch.regrade:
            run.result.kept.append(submission.name)
        else:
            todo.append(submission)
    run.progress.start(kept=len(run.result.kept))
    try:
        _grade_all(batch, todo, run.finish)
    except KeyboardInterrupt:
        run.result.interrupted = True
    finally:
        run.progress.close()
        run.write_gradebook()
        shutil.rmtree(batch.out_dir / SCRATCH_NAME, ignore_errors=True)
    return run.result


def json_path(batch: Batch, name: str) -> Path:
    return batch.out_dir / f"{name}.json"


def _fingerprint(batch: Batch) -> dict:
    assignment = asdict(batch.assignment) if batch.assignment is not None else None
    return {**batch.settings.fingerprint(), "assignment": assignment}


def _grade_all(batch: Batch, todo: list[Submission], finish) -> None:
    """Grade ``todo`` with ``batch.jobs`` processes at a time; ``finish`` each as it ends."""
    groups = ProcessGroups()
    scratch = batch.out_dir / SCRATCH_NAME
    pool = ThreadPoolExecutor(max_workers=max(1, batch.jobs))
    try:
        pending: dict[Future, Submission] = {
            pool.submit(grade_submission, batch.catalog, submission, batch.settings,
                        scratch / submission.name, batch.selected, groups): submission
            for submission in todo}
        order = {submission.name: index for index, submission in enumerate(todo)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            # Keep every finished grade before any error ends the batch, in a stable order.
            ended = sorted(finished, key=lambda f: (f.exception() is not None,
                                                    order[pending[f].name]))
            for future in ended:
                finish(pending.pop(future), future.result())
    except BaseException:
        groups.stop()  # no new process starts; the running ones die with their groups
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Run:
    """One run's state: the manifest, the hashes, and what happened to each submission."""

    def __init__(self, batch: Batch, progress: Progress):
        self.batch, self.progress = batch, progress
        self.manifest = Manifest.load(batch.out_dir)
        self.settings_key = settings_hash(_fingerprint(batch))
        self.hashes = {s.name: content_hash(s.path) for s in batch.submissions}
        self.result = BatchResult(total=len(batch.submissions))

    def is_done(self, submission: Submission) -> bool:
        return self.manifest.is_done(submission.name, self.hashes[submission.name],
                                     self.settings_key, json_path(self.batch, submission.name))

    def finish(self, submission: Submission, outcome: Outcome) -> None:
        """Write its JSON, then record it in the manifest: a JSON is never newer than its entry."""
        document = outcome.document
        if self.batch.assignment is not None:
            document = apply(self.batch.assignment, document)
        gradescope.write(document, json_path(self.batch, submission.name))
        self.manifest.record(submission.name, Entry(
            content=self.hashes[submission.name], settings=self.settings_key,
            state=GRADED if outcome.graded else UNGRADABLE, score=document["score"],
            max_score=sum(test["max_score"] for test in document.get("tests", [])),
            reason=outcome.reason, seconds=round(outcome.seconds, 2)))
        if outcome.graded:
            self.result.graded.append(submission.name)
        else:
            self.result.ungradable[submission.name] = outcome.reason
        self.progress.finished(submission.name, outcome.graded, outcome.seconds)

    def write_gradebook(self) -> None:
        """Every submission finished with its current contents and these settings."""
        documents = {}
        for name, content in self.hashes.items():
            entry = self.manifest.entries.get(name)
            if entry is None or entry.content != content or entry.settings != self.settings_key:
                continue
            try:
                path = json_path(self.batch, name)
                documents[name] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
        ids = [ex.id for ex in self.batch.selected]
        gradebook.write(self.batch.out_dir / gradebook.GRADEBOOK_NAME,
                        gradebook.rows(ids, documents))
