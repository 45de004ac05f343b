"""What ``--isolate`` costs: the reference graded in-process and isolated, same run.

Run (not part of the test run; a few minutes):

    python benchmarks/bench_isolate.py                       # every topic, then the course
    python benchmarks/bench_isolate.py activations layers    # these topics only
    python benchmarks/bench_isolate.py --repeats 3 --profile grading

For each target (one topic, or the whole course), ``pytest --impl=solutions
--exercise=<topic>`` runs as a fresh process, alternately without and with
``--isolate``, ``--repeats`` times; the medians of wall time and of CPU time
(the process and every child: with ``--isolate`` the worker processes do the
calls) are printed with their ratio. Alternating the two keeps a change in
the machine's load from landing on one side only. Both runs must give the
same grade (full marks): the JSON of each is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ("tensors", "derivatives", "optim", "activations", "losses", "layers", "autograd", "train")


def grade_once(target: str, isolate: bool, profile: str,
               scratch: Path) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the process tree, the grade JSON)."""
    out = scratch / f"{target}-{'isolated' if isolate else 'in-process'}.json"
    tests = [str(ROOT / "tests")] if target == "course" else [str(ROOT / f"tests/test_{target}.py")]
    command = [sys.executable, "-m", "pytest", *tests, f"--rootdir={ROOT}", "-q",
               "-p", "no:cacheprovider", "--impl=solutions", f"--grade-json={out}",
               f"--hypothesis-profile={profile}"]
    if target != "course":
        command.append(f"--exercise={target}")
    if isolate:
        command.append("--isolate")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{finished.stdout[-3000:]}{finished.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out.read_text())


def verdict(document: dict) -> list:
    return [(t["name"], t["score"], t["status"]) for t in document["tests"]]


def measure(target: str, repeats: int, profile: str, scratch: Path) -> dict:
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    verdicts = {}
    for _ in range(repeats):
        for isolate in (False, True):
            wall, cpu, document = grade_once(target, isolate, profile, scratch)
            runs[isolate].append((wall, cpu))
            verdicts[isolate] = verdict(document)
    if verdicts[False] != verdicts[True]:
        sys.exit(f"{target}: the isolated grade differs from the in-process grade")
    plain, isolated = ([statistics.median(x) for x in zip(*runs[side], strict=True)]
                       for side in (False, True))
    return {"target": target, "in_process": plain, "isolated": isolated,
            "wall_ratio": isolated[0] / plain[0], "cpu_ratio": isolated[1] / plain[1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="topics (default: each topic, then the course)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--profile", default="dev", help="hypothesis profile (default dev)")
    args = parser.parse_args(argv)
    targets = args.targets or [*TOPICS, "course"]
    print(f"load average at start: {os.getloadavg()[0]:.2f}; profile {args.profile}")
    print(f"{'target':<12} {'in-process s':>13} {'isolated s':>11} {'wall x':>7} "
          f"{'cpu in/iso s':>14} {'cpu x':>6}")
    with tempfile.TemporaryDirectory() as folder:
        for target in targets:
            row = measure(target, args.repeats, args.profile, Path(folder))
            (wall, cpu), (wall_iso, cpu_iso) = row["in_process"], row["isolated"]
            print(f"{target:<12} {wall:13.1f} {wall_iso:11.1f} {row['wall_ratio']:7.2f} "
                  f"{cpu:6.1f}/{cpu_iso:<7.1f} {row['cpu_ratio']:6.2f}", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
