"""Submissions on disk for the batch self-tests: folders and zips, the gradebook read back."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path


def write_files(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def make_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in members.items():
            bundle.writestr(name, text)
    return path


def gradebook_rows(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
