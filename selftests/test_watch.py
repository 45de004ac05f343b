"""Watch mode: polling that survives editors' saves, and the verdict of ``pytest --exercise``.

The poller tests use real files and short real sleeps. The verdict test grades
in this (warm) process after an editor-style save, and compares the JSON with
that of a cold ``pytest --exercise`` subprocess on the same files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradkata.catalog import load_catalog
from gradkata.runner import GradeRequest
from gradkata.watch import Poller, Watch, watched

from .course_copy import PROFILE, replace_definition, scratch_course


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "activations.py").write_text("x = 1\n")
    (tmp_path / "losses.py").write_text("y = 2\n")
    return tmp_path


def quick(folder: Path) -> Poller:
    return Poller(folder, interval=0.01, debounce=0.03, settle_limit=1.0)


def test_only_modules_count_not_swap_backup_or_temporary_files():
    assert watched("activations.py")
    for name in (".activations.py.swp", "activations.py~", "#activations.py#",
                 ".#activations.py", "activations.py.tmp", "4913", "~activations.py"):
        assert not watched(name), name


def test_a_plain_save_is_noticed_once(folder):
    poller = quick(folder)
    assert poller.poll() == set()
    (folder / "activations.py").write_text("x = 2  # a longer line\n")
    assert poller.wait() == {"activations.py"}
    assert poller.poll() == set(), "the same save reported twice"


def test_an_editor_save_through_a_temporary_file_and_a_rename_is_one_change(folder):
    poller = quick(folder)
    temporary = folder / ".activations.py.swp"
    temporary.write_text("x = 3\n")  # same size as before: the inode gives it away
    assert poller.poll() == set(), "the temporary file is not a module"
    os.replace(temporary, folder / "activations.py")
    assert poller.wait() == {"activations.py"}
    assert (folder / "activations.py").read_text() == "x = 3\n"


def test_a_file_deleted_then_written_again_is_waited_for(folder):
    slept = []

    def sleep_and_recreate(seconds):
        slept.append(seconds)
        if len(slept) == 2:  # the editor writes the new file a moment later
            (folder / "activations.py").write_text("x = 4\n")

    poller = Poller(folder, interval=0.01, debounce=0.01, settle_limit=1.0,
                    sleep=sleep_and_recreate)
    (folder / "activations.py").unlink()
    changed = poller.wait()
    assert changed == {"activations.py"}
    assert "activations.py" in poller.last, "graded while the file was missing"


def test_a_burst_of_writes_settles_into_one_change(folder):
    writes = iter(["x = 5\n", "x = 55\n", "x = 555\n"])

    def sleep_while_writing(seconds):
        for text in writes:
            (folder / "losses.py").write_text(text)
            return

    poller = Poller(folder, interval=0.01, debounce=0.01, sleep=sleep_while_writing)
    (folder / "activations.py").write_text("x = 6\n")
    assert poller.wait() == {"activations.py", "losses.py"}
    assert poller.poll() == set()


# -- the verdict --------------------------------------------------------------------------

IDS = ("1.1", "1.2", "1.3", "1.4")
OUTER_RIGHT = "def outer(u, v):\n    return u[:, None] * v[None, :]\n"
OUTER_TRANSPOSED = "def outer(u, v):\n    return v[:, None] * u[None, :]\n"
L1_WITHOUT_ABS = "def l1_norm(x):\n    return x.sum()\n"


def results_in(path: Path) -> list[dict]:
    return json.loads(path.read_text())["tests"]


def test_watch_after_a_save_gives_the_verdict_of_a_cold_pytest_run(tmp_path):
    course = scratch_course(tmp_path, ("tensors",), {"tensors": {"matmul"}})
    module = course / "exercises" / "tensors.py"
    module.write_text(replace_definition(module.read_text(), "outer", OUTER_TRANSPOSED))
    warm_json = tmp_path / "warm.json"
    catalog = load_catalog(course / "catalog.toml")
    request = GradeRequest(exercises=IDS, profile=PROFILE, grade_json=warm_json)
    verdicts = []
    watch = Watch(catalog, request, course / "exercises",
                  on_verdict=lambda run, changed: verdicts.append((run, changed)),
                  poller=Poller(course / "exercises", interval=0.01, debounce=0.05))
    watch.start()
    first = {t["name"]: t["extra_data"]["state"] for t in results_in(warm_json)}
    assert first == {"tensors.matmul": "passed", "tensors.outer": "failed",
                     "tensors.l1_norm": "todo", "tensors.l2_norm": "todo"}

    # the learner fixes outer and gets l1_norm wrong; the editor saves atomically
    fixed = replace_definition(module.read_text(), "outer", OUTER_RIGHT)
    temporary = module.with_name(".tensors.py.swp")
    temporary.write_text(replace_definition(fixed, "l1_norm", L1_WITHOUT_ABS))
    os.replace(temporary, module)
    watch.loop(runs=1)
    assert verdicts[-1][1] == {"tensors.py"}
    warm = results_in(warm_json)
    assert [t["extra_data"]["state"] for t in warm] == ["passed", "passed", "failed", "todo"]

    cold_json = tmp_path / "cold.json"
    exercises = [arg for number in IDS for arg in ("--exercise", number)]
    cold = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *exercises,
         f"--hypothesis-profile={PROFILE}", "--grade-json", str(cold_json)],
        cwd=course, capture_output=True, text=True, timeout=300)
    assert cold.returncode == 1, cold.stdout[-2000:]  # l1_norm failed
    assert warm == results_in(cold_json)  # states, scores, checks and messages alike
    assert verdicts[-1][0].exit_code == cold.returncode
