"""``gradkata batch`` on 20 mixed submissions: gradebook, resume after a kill, throughput.

Run by hand (not part of the test run; several minutes):

    python benchmarks/bench_batch.py                        # the tensors topic, --jobs = cores
    python benchmarks/bench_batch.py --exercise activations --jobs 4
    python benchmarks/bench_batch.py --no-isolate           # the same without --isolate

The issue's "done when", checked end to end in a scratch folder:

1. 20 submissions of every kind course staff meet: 12 copies of the
   reference (folders, folders with the modules in a nested ``exercises/``,
   and zips of those), 3 stubs, 2 with a syntax error, 1 reference with one
   exercise broken, 1 unreadable zip and 1 folder with no topic module.
2. ``gradkata batch`` starts; once half the submissions are finished it is
   stopped with SIGTERM (what ``kill`` sends). The stopped run's finished
   submissions are read from the manifest.
3. The same command runs again to the end. It must grade only the
   submissions the first run had not finished (their manifest timestamps
   show it), and the gradebook must hold the expected totals: full marks for
   every reference copy, zero for stubs, broken and ungradable ones.

Throughput (submissions per minute) is measured on the second run, whose
work is all fresh grading, and over both runs together (the grading lost to
the kill counts against it). Each submission pays for its own pytest
process and --isolate worker, both importing torch.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ".gradkata-batch.json"
BROKEN_EXERCISE = ("tensors", "def l1_norm(x):\n    return x.sum()\n")  # signs forgotten


def build_submissions(folder: Path) -> dict[str, str]:
    """20 submissions in ``folder``; returns name -> what it is ("reference", "stub", ...)."""
    reference = {p.name: p.read_text() for p in (ROOT / "solutions").glob("*.py")}
    stubs = {p.name: p.read_text() for p in (ROOT / "exercises").glob("*.py")}
    kinds: dict[str, str] = {}
    for index in range(12):
        name, layout = f"ref{index:02d}", ("flat", "nested", "zip", "zip-nested")[index % 4]
        _write(folder, name, reference, layout)
        kinds[name] = "reference"
    for index in range(3):
        _write(folder, f"stub{index}", stubs, "nested" if index else "flat")
        kinds[f"stub{index}"] = "stub"
    for index in range(2):
        broken = {**reference, "tensors.py": reference["tensors.py"] + "\ndef (:\n"}
        _write(folder, f"syntax{index}", broken, "zip" if index else "flat")
        kinds[f"syntax{index}"] = "syntax error"
    topic, definition = BROKEN_EXERCISE
    wrong = {**reference, f"{topic}.py": reference[f"{topic}.py"] + "\n\n" + definition}
    _write(folder, "wrong", wrong, "flat")
    kinds["wrong"] = "one exercise wrong"
    (folder / "junk.zip").write_bytes(b"PK\x03\x04 truncated")
    kinds["junk"] = "unreadable zip"
    (folder / "empty").mkdir()
    (folder / "empty" / "notes.txt").write_text("forgot to upload")
    kinds["empty"] = "no topic modules"
    return kinds


def _write(folder: Path, name: str, files: dict[str, str], layout: str) -> None:
    inner = "hw/exercises/" if "nested" in layout else ""
    if layout.startswith("zip"):
        with zipfile.ZipFile(folder / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as bundle:
            for filename, text in files.items():
                bundle.writestr(f"{name}/{inner}{filename}", text)
        return
    target = folder / name / inner
    target.mkdir(parents=True)
    for filename, text in files.items():
        (target / filename).write_text(text)


def manifest(out: Path) -> dict[str, dict]:
    try:
        return json.loads((out / MANIFEST).read_text())["submissions"]
    except (OSError, ValueError, KeyError):
        return {}


def start_batch(subs: Path, out: Path, options: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-c", "from gradkata.cli import main; raise SystemExit(main())",
               "batch", str(subs), "--out", str(out), "--lang", "en", *options]
    return subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)


def run_killed_halfway(subs: Path, out: Path, options: list[str], total: int):
    """Start the batch, SIGTERM it once half the submissions are finished; (seconds, finished)."""
    started = time.perf_counter()
    process = start_batch(subs, out, options)
    while len(manifest(out)) < total // 2 and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=120)
    seconds = time.perf_counter() - started
    print(f"first run: stopped after {seconds:.1f} s with exit status {process.returncode}; "
          f"{errors.strip().splitlines()[-1]}")
    return seconds, manifest(out)


def run_to_the_end(subs: Path, out: Path, options: list[str]) -> float:
    started = time.perf_counter()
    process = start_batch(subs, out, options)
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    print(f"second run: {seconds:.1f} s, exit status {process.returncode}")
    print("  " + "\n  ".join(line for line in errors.strip().splitlines()
                             if not line.startswith("graded:")))
    return seconds


def check_gradebook(out: Path, kinds: dict[str, str]) -> list[str]:
    """Problems with the gradebook: a wrong total for what each submission is."""
    with (out / "gradebook.csv").open() as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    problems = [f"{name}: no row" for name in kinds if name not in rows]
    for name, row in rows.items():
        total, top = float(row["total"]), float(row["max_total"])
        kind = kinds[name]
        expected_full = kind == "reference"
        if expected_full and total != top:
            problems.append(f"{name} ({kind}): {total} of {top}, expected full marks")
        if kind in ("stub", "unreadable zip", "no topic modules") and total != 0:
            problems.append(f"{name} ({kind}): {total}, expected 0")
        if kind in ("syntax error", "one exercise wrong") and not 0 <= total < top:
            problems.append(f"{name} ({kind}): {total} of {top}, expected less than full")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", default=None,
                        help="what to grade (default: the tensors topic)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-isolate", action="store_true")
    args = parser.parse_args()
    options = [f"--exercise={value}" for value in args.exercise or ["tensors"]]
    options += [f"--jobs={args.jobs}"] + (["--no-isolate"] if args.no_isolate else [])
    print(f"gradkata batch {' '.join(options)} on {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        subs, out = folder / "subs", folder / "out"
        subs.mkdir()
        kinds = build_submissions(subs)
        first_seconds, first = run_killed_halfway(subs, out, options, len(kinds))
        second_seconds = run_to_the_end(subs, out, options)
        final = manifest(out)
        regraded = [n for n in first if final[n]["finished_at"] != first[n]["finished_at"]
                    and first[n]["state"] == "graded"]
        fresh = len(kinds) - sum(1 for e in first.values() if e["state"] == "graded")
        problems = check_gradebook(out, kinds)
        print(f"finished by the first run: {len(first)}; graded again by the second: "
              f"{len(regraded)} {regraded or ''}")
        print(f"gradebook: {len(kinds)} rows, {'correct' if not problems else problems}")
        print(f"throughput, second run: {fresh / second_seconds * 60:.1f} submissions/minute "
              f"({fresh} in {second_seconds:.1f} s)")
        both = first_seconds + second_seconds
        print(f"throughput, both runs: {len(kinds) / both * 60:.1f} submissions/minute "
              f"({len(kinds)} in {both:.1f} s, the work lost to the kill included)")
        if problems or regraded:
            print(f"kept for a look: {folder}")
            return 1
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


if __name__ == "__main__":
    sys.exit(main())
