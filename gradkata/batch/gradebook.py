"""The gradebook: one CSV row per submission, one column per exercise's score.

Columns: ``submission``, then each graded exercise id in catalogue order,
then ``total`` and ``max_total``. Scores come from each submission's JSON as
written (assignment points applied), so the gradebook and the JSON files
never disagree; a submission that could not be graded has a row of zeros.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

GRADEBOOK_NAME = "gradebook.csv"


def rows(exercise_ids: list[str], documents: dict[str, dict]) -> list[list[str]]:
    """The gradebook as rows of text, header first; ``documents`` maps submission -> JSON."""
    table = [["submission", *exercise_ids, "total", "max_total"]]
    for name in sorted(documents):
        tests = {test["name"]: test for test in documents[name].get("tests", [])}
        scores = [tests[i]["score"] if i in tests else 0.0 for i in exercise_ids]
        maxima = [tests[i]["max_score"] for i in exercise_ids if i in tests]
        table.append([name, *(number(s) for s in scores), number(sum(scores)),
                      number(sum(maxima))])
    return table


def number(value: float) -> str:
    """A score as a spreadsheet reads it: ``2``, ``1.3333`` (four decimals at most)."""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def write(path: Path, table: list[list[str]]) -> None:
    """Write the CSV atomically: a spreadsheet open on it never sees half a file."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    os.replace(temporary, path)
