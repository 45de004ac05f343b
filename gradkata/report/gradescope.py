"""The grade as Gradescope's results JSON (SPEC §3)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..grading import ExerciseGrade, Grade
from ..messages import render


def results(grade: Grade, *, version: str, impl_label: str, seed: int,
            execution_time: float, lang: str = "en") -> dict:
    """The JSON document as a dict: one entry per graded exercise, catalogue order.

    lang: the language of each test's ``output`` (``--lang``; English when not given).
    """
    return {
        "score": round(grade.score, 4),
        "execution_time": round(execution_time, 2),
        "output": f"gradkata {version}: {grade.passed}/{len(grade.exercises)} exercises passed",
        "extra_data": {"impl": impl_label, "seed": seed, "version": version},
        "tests": [
            {
                "name": g.exercise.id,
                "number": g.exercise.number,
                "score": round(g.score, 4),
                "max_score": g.exercise.points,
                "status": "passed" if g.state == "passed" else "failed",
                "output": render(g.output, lang),
                "tags": [g.exercise.topic],
                "extra_data": _test_extra(g, lang),
            }
            for g in grade.exercises
        ],
    }


def _test_extra(g: ExerciseGrade, lang: str) -> dict:
    """State and checks; ``gradcheck``: a failed gradient check's per-element values."""
    extra = {"state": g.state, "checks": dict(g.checks)}
    if g.evidence is not None:
        explanation = render(g.evidence.get("explanation", ""), lang)
        extra["gradcheck"] = {**g.evidence, "explanation": explanation}
    return extra


def write(document: dict, path: Path) -> None:
    """Write atomically, so an interrupted run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, path)
