"""The training loss curve of an implementation's ``train_classifier``, for the HTML report.

A picture, not a grade: the implementation's ``train_classifier`` (with its
own layers, losses and optimiser; the reference stands in only for a topic
module that is missing or broken) trains with its defaults on the SPEC's
data -- 2 000 examples of the reference's ``make_classification_data`` from a
generator seeded with 0 -- and its per-epoch losses are the curve.

Time limit: the training runs in a subprocess (``python -m
gradkata.training_curve``), killed past ``seconds``. Chosen over a thread
(an abandoned thread inside torch aborts the interpreter at exit) and over
``signal.alarm`` (POSIX only, and it cannot stop a long torch call); the
price is one more torch import (~2 s). One torch thread, as in grading: on
a busy machine more threads make this small network much slower.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog, load_catalog

EXAMPLES = 2_000
SEED = 0
DEFAULT_SECONDS = 60.0
MARK = "@gradkata-training-curve "  # the subprocess's answer line (the code may print too)


@dataclass(frozen=True)
class TrainingCurve:
    """Per-epoch losses, or why there are none.

    problem: None (the curve is drawn), "todo" (``detail``: the exercise id that
    still raises NotImplementedError), "failed" (``detail``: what went wrong)
    or "timeout" (``detail``: the limit in seconds).
    """

    losses: tuple[float, ...] = ()
    problem: str | None = None
    detail: str = ""


def training_curve(catalog: Catalog, directory: Path,
                   seconds: float = DEFAULT_SECONDS) -> TrainingCurve:
    """Train the implementation in ``directory`` and return its loss curve (or the reason)."""
    command = [sys.executable, "-m", "gradkata.training_curve", str(catalog.root / "catalog.toml"),
               str(directory)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds,
                              check=False)
    except subprocess.TimeoutExpired:
        return TrainingCurve(problem="timeout", detail=f"{seconds:g}")
    answers = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if not answers:  # the process died (or the code under it exited): say how
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return TrainingCurve(problem="failed", detail=last)
    answer = json.loads(answers[-1][len(MARK):])
    return TrainingCurve(tuple(answer["losses"]), answer["problem"], answer["detail"])


def main(argv: list[str]) -> None:
    """In the subprocess: train, then print one line ``MARK {json}``."""
    import torch

    torch.set_num_threads(1)
    catalog = load_catalog(Path(argv[0]))
    curve = _train(catalog, Path(argv[1]))
    answer = {"losses": list(curve.losses), "problem": curve.problem, "detail": curve.detail}
    print(MARK + json.dumps(answer), flush=True)


def _train(catalog: Catalog, directory: Path) -> TrainingCurve:
    import torch

    from . import outcomes
    from .loader import load_implementation

    try:
        reference = load_implementation("solutions", catalog.solutions_dir, catalog)
        graded = load_implementation(str(directory), directory, catalog, reference)
        train, data = graded.module("train"), reference.module("train")
        if train is None or not hasattr(train, "train_classifier") or data is None:
            return TrainingCurve(problem="failed", detail=_missing(graded))
        X, y = data.make_classification_data(EXAMPLES,
                                             generator=torch.Generator().manual_seed(SEED))
        _, losses = train.train_classifier(X, y, generator=torch.Generator().manual_seed(SEED))
        return _checked(losses)
    except NotImplementedError as error:
        origins = outcomes.todo_origins(error) or ()
        return TrainingCurve(problem="todo", detail=origins[0] if origins else "train")
    except Exception as error:  # the learner's code: any failure is a sentence, not a crash
        text = str(error).strip().splitlines()
        detail = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
        return TrainingCurve(problem="failed", detail=detail)


def _missing(graded) -> str:
    load = graded.topics["train"]
    return load.problem or f"{load.path.name} defines no 'train_classifier'"


def _checked(losses) -> TrainingCurve:
    """The losses as floats, or "failed" when they are not a list of finite numbers."""
    try:
        values = tuple(float(v) for v in losses)
    except (TypeError, ValueError):
        return TrainingCurve(problem="failed", detail="losses is not a list of numbers")
    if not values or not all(math.isfinite(v) for v in values):
        return TrainingCurve(problem="failed", detail="losses is empty or not finite")
    return TrainingCurve(values)


if __name__ == "__main__":
    main(sys.argv[1:])
