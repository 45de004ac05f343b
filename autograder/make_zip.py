"""Build the zip to upload as a Gradescope autograder: ``python autograder/make_zip.py OUT.zip``.

The zip holds the course (catalogue, grading tests, reference solutions, the
gradkata package, the assignment file) with ``setup.sh`` and
``run_autograder`` at its root, where Gradescope looks for them.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
FILES = ("catalog.toml", "hints.toml", "assignment.toml", "pyproject.toml", "conftest.py",
         "README.md")
FOLDERS = ("gradkata", "tests", "solutions", "exercises")
SCRIPTS = ("setup.sh", "run_autograder")  # at the zip's root, executable


def build(target: Path, course: Path = COURSE) -> list[str]:
    """Write the autograder zip to ``target``; the names it holds."""
    entries = [(course / name, name) for name in FILES if (course / name).is_file()]
    for folder in FOLDERS:
        for path in sorted((course / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                entries.append((path, path.relative_to(course).as_posix()))
    entries += [(course / "autograder" / name, name) for name in SCRIPTS]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, name in entries:
            info = zipfile.ZipInfo.from_file(path, name)
            info.external_attr = (0o755 if name in SCRIPTS else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, path.read_bytes())
    return [name for _, name in entries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the zip to write, e.g. autograder.zip")
    names = build(parser.parse_args().out)
    print(f"{len(names)} files; setup.sh and run_autograder at the root")


if __name__ == "__main__":
    main()
