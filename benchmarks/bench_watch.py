"""Save-to-verdict latency of ``gradkata watch ID`` beside a cold ``pytest --exercise ID``.

Run (not part of the test run; it takes about a minute per exercise here):

    python benchmarks/bench_watch.py                      # one exercise per topic or so
    python benchmarks/bench_watch.py 4.1 4.12 --saves 9   # these exercises
    python benchmarks/bench_watch.py --all --variant both # every exercise, solved and stub
    pytest benchmarks/bench_watch.py --benchmark-only     # 4.1 under pytest-benchmark

For each exercise, in a scratch copy of the course (all of tests/, so that the
cold run collects what a learner's run collects):

- watch: start ``gradkata watch ID`` once (a process that imports torch and
  warms up), then save the exercise's module ``--saves`` times the way
  editors do (a temporary file renamed over it), and time each save until
  the watcher has printed its verdict. That is the latency a dojo sees: the
  poll interval and the debounce are included.
- cold: ``pytest --exercise ID`` in a fresh process on the same files, the
  learner's alternative, timed from start to exit.

The module holds the reference solution of the exercise's topic ("solution":
every check runs and passes, the slowest common case; the other topics are
solved too, so nothing is blocked), the untouched stub
("stub": todo), or the reference with the exercise replaced by the first
known-wrong version of it in selftests/known_wrong/ ("wrong": failed, which
includes hypothesis shrinking the failing example). The watcher's last
verdict is compared with the cold run's JSON, so the numbers are for the
same verdict. Wall times depend on the machine's load (printed); CPU
seconds of the watcher's grading (one torch thread) are what an idle core
would need.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ("catalog.toml", "pyproject.toml", "conftest.py", "hints.toml")
DEFAULT = ("1.1", "2.2", "3.4", "4.1", "4.12", "5.7", "6.2", "7.1", "8.3")
TARGET = 0.5  # seconds from save to verdict, median


def scratch_course(folder: Path) -> Path:
    for name in COURSE:
        shutil.copyfile(ROOT / name, folder / name)
    for name in ("exercises", "solutions", "tests"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


class Watcher:
    """``gradkata watch ID --events`` in a subprocess, read line by line on a thread."""

    def __init__(self, course: Path, exercise: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gradkata.cli", "watch", exercise, "--events", "--lang", "en"],
            cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def next_verdict(self, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line.startswith("@verdict "):
                return json.loads(line.removeprefix("@verdict "))

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.lines.get(timeout=max(0.01, deadline - time.monotonic())):
            pass

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def wrong_module(topic: str, name: str, exercise_id: str) -> str | None:
    """The reference module with ``name`` replaced by its first known-wrong version."""
    import ast

    reference = (ROOT / "solutions" / f"{topic}.py").read_text()
    wrong_source = (ROOT / "selftests" / "known_wrong" / f"{topic}.py").read_text()
    for node in ast.parse(wrong_source).body:
        marks = [d for d in getattr(node, "decorator_list", []) if isinstance(d, ast.Call)
                 and d.args and getattr(d.args[0], "value", None) == exercise_id]
        if marks and isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            text = ast.get_source_segment(wrong_source, node)
            body = text[text.index(f"{'class' if isinstance(node, ast.ClassDef) else 'def'} "):]
            body = body.replace(f" {node.name}", f" {name}", 1)
            target = next(n for n in ast.parse(reference).body if getattr(n, "name", None) == name)
            lines = reference.splitlines(keepends=True)
            lines[target.lineno - 1:target.end_lineno] = [body + "\n"]
            return "".join(lines)
    return None


def save(module: Path, text: str) -> None:
    """An editor's atomic save: a temporary file, renamed over the module."""
    temporary = module.with_name(f".{module.name}.swp")
    temporary.write_text(text)
    os.replace(temporary, module)


def measure(exercise: str, variant: str, saves: int, cold_runs: int) -> dict:
    from gradkata.catalog import load_catalog

    catalog = load_catalog(ROOT / "catalog.toml")
    ex = catalog.select([exercise])[0]
    with tempfile.TemporaryDirectory(prefix="bench_watch_") as folder:
        course = scratch_course(Path(folder))
        module = course / "exercises" / f"{ex.topic}.py"
        if variant != "stub":  # the learner has done every other exercise already
            for done in (course / "solutions").glob("*.py"):
                shutil.copyfile(done, course / "exercises" / done.name)
        if variant == "wrong":
            source = wrong_module(ex.topic, ex.name, ex.id)
            if source is None:
                return {}
        else:
            source = (course / ("solutions" if variant == "solution" else "exercises")
                      / f"{ex.topic}.py").read_text()
        module.write_text(source)
        started = time.perf_counter()
        watcher = Watcher(course, ex.id)
        try:
            watcher.next_verdict()  # the first grade, right after warm-up
            watcher.wait_for("watching")
            warm_up = time.perf_counter() - started
            latencies, grading, cpu = [], [], []
            for number in range(saves):
                time.sleep(1.0)  # idle time, as between a learner's saves
                save(module, f"{source}\n# save {number}\n")
                saved = time.perf_counter()
                verdict = watcher.next_verdict()
                latencies.append(time.perf_counter() - saved)
                grading.append(verdict["seconds"])
                cpu.append(verdict["cpu_seconds"])
        finally:
            watcher.stop()
        colds = []
        for _ in range(cold_runs):
            report = course / "cold.json"
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "--exercise", ex.id, "--grade-json", str(report)],
                           cwd=course, capture_output=True, check=False)
            colds.append(time.perf_counter() - began)
        cold_tests = json.loads(report.read_text())["tests"]
    same = [{k: t[k] for k in ("name", "score", "extra_data")} for t in cold_tests] \
        == verdict["tests"]
    watch = statistics.median(latencies)
    cold = statistics.median(colds)
    return {"exercise": f"{ex.number} {ex.id}", "variant": variant,
            "state": verdict["tests"][0]["extra_data"]["state"], "same_verdict": same,
            "watch_median": watch, "watch_min": min(latencies), "watch_max": max(latencies),
            "grading_median": statistics.median(grading), "cpu_median": statistics.median(cpu),
            "cold": cold, "ratio": cold / watch, "warm_up": warm_up}


HEADER = (f"{'exercise':<42}{'variant':<9}{'state':<8}{'watch':>7}{'(min-max)':>14}"
          f"{'grade':>7}{'cpu':>6}{'cold':>7}{'ratio':>7}  same  <{TARGET}s")


def report(rows: list[dict]) -> None:
    for r in rows:
        print(f"{r['exercise']:<42}{r['variant']:<9}{r['state']:<8}{r['watch_median']:>7.2f}"
              f"{r['watch_min']:>7.2f}-{r['watch_max']:<6.2f}{r['grading_median']:>7.2f}"
              f"{r['cpu_median']:>6.2f}{r['cold']:>7.2f}{r['ratio']:>6.1f}x  "
              f"{'yes' if r['same_verdict'] else 'NO':<5} "
              f"{'yes' if r['watch_median'] < TARGET else 'no'}",
              flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", default=list(DEFAULT))
    parser.add_argument("--all", action="store_true", help="every exercise of the catalogue")
    parser.add_argument("--variant", choices=("solution", "stub", "wrong", "both"),
                        default="solution", help="both: solution and stub")
    parser.add_argument("--saves", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    if args.all:
        from gradkata.catalog import load_catalog

        args.exercises = [ex.number for ex in load_catalog(ROOT / "catalog.toml").exercises]
    variants = ("solution", "stub") if args.variant == "both" else (args.variant,)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"{os.cpu_count()} CPUs, load average at start {load}; {args.saves} saves each; "
          f"times in seconds")
    print(HEADER)
    rows = []
    for exercise in args.exercises:
        for variant in variants:
            row = measure(exercise, variant, args.saves, args.cold_runs)
            if row:  # no known-wrong version of this exercise: nothing to measure
                rows.append(row)
                report([row])
    print(f"load average at end {os.getloadavg() if load else None}")
    medians = [r["watch_median"] for r in rows]
    print(f"watch median over exercises {statistics.median(medians):.2f} s; cold "
          f"{statistics.median(r['cold'] for r in rows):.2f} s; ratio "
          f"{statistics.median(r['ratio'] for r in rows):.1f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


# -- under pytest-benchmark ----------------------------------------------------------------

def test_watch_latency_of_a_solved_sigmoid(benchmark, tmp_path):
    course = scratch_course(tmp_path)
    module = course / "exercises" / "activations.py"
    source = (course / "solutions" / "activations.py").read_text()
    module.write_text(source)
    watcher = Watcher(course, "4.1")
    saves = iter(range(1000))
    try:
        watcher.next_verdict()
        watcher.wait_for("watching")

        def save_and_wait():
            save(module, f"{source}\n# save {next(saves)}\n")
            return watcher.next_verdict()

        verdict = benchmark.pedantic(save_and_wait, setup=lambda: time.sleep(1.0), rounds=7)
    finally:
        watcher.stop()
    assert verdict["tests"][0]["extra_data"]["state"] == "passed"


if __name__ == "__main__":
    sys.exit(main())
