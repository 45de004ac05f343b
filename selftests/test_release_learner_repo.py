"""``gradkata release``: the learner's repository.

Its README keeps only what is true for a learner, it refuses a folder inside
the course or not empty, and the last test installs it in a fresh virtual
environment and grades its stubs there (about 20 s of CPU, the only test of
the release self-tests that runs subprocesses).
"""

from __future__ import annotations

import importlib.util
import os
import re
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradkata.release.learner_repo import LEFT_OUT, learner_readme, write_learner_repo
from gradkata.release.stubs import ReleaseError

from .conftest import ROOT
from .solution_code import reference, solution_lines

# -- the learner's repository -----------------------------------------------------------------


def test_learner_readme_keeps_what_is_true_for_a_learner():
    readme = learner_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    assert first_block.strip().startswith("pip install torch==2.13.0 -e . && pytest")
    assert len(first_block.strip().splitlines()) == 1
    assert not re.search(r"^## (For course|Design)", readme, re.MULTILINE)
    for heading in ("## How a learner works", "## Commands", "## Reading the card"):
        assert heading in readme
    for name in LEFT_OUT:
        assert f"{name}/" not in readme, name
        assert f"pytest {name}" not in readme, name


def test_the_readme_filter_drops_only_the_sentence_that_names_a_left_out_folder():
    text = textwrap.dedent("""\
        # t

        - `watch` is fast. See `benchmarks/bench_watch.py`. It polls.
        - `kata` times you.

        ## For course authors

        Anything.
        """)
    assert learner_readme(text) == "# t\n\n- `watch` is fast. It polls.\n- `kata` times you.\n"


def test_learner_repo_refuses_a_folder_inside_the_course_or_not_empty(catalog, tmp_path):
    with pytest.raises(ReleaseError, match="inside the course"):
        write_learner_repo(catalog, ROOT / "learner")
    (tmp_path / "something").write_text("")
    with pytest.raises(ReleaseError, match="not an empty folder"):
        write_learner_repo(catalog, tmp_path)


def package_view(folder: Path) -> Path:
    """Every package this interpreter has installed except gradkata, as links in one folder."""
    folder.mkdir()
    for packages in site.getsitepackages():
        for entry in sorted(Path(packages).iterdir()):
            target = folder / entry.name
            if "gradkata" not in entry.name.lower() and entry.suffix != ".pth" \
                    and not target.exists():
                target.symlink_to(entry)
    return folder


def fresh_venv(folder: Path, packages: Path) -> Path:
    """A new virtual environment seeing ``packages`` (by a .pth file); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "outer_packages.pth").write_text(f"{packages}\n")
    return python


@pytest.mark.skipif(os.name == "nt", reason="the package view is made of symlinks (POSIX)")
@pytest.mark.skipif(not all(importlib.util.find_spec(name) for name in ("setuptools", "pip")),
                    reason="installing without build isolation needs setuptools and pip here")
@pytest.mark.timeout(600)
def test_learner_repository_installs_in_a_fresh_venv_and_grades_its_stubs(catalog, tmp_path):
    learner = tmp_path / "learner"
    write_learner_repo(catalog, learner)
    shipped = {path.relative_to(learner).as_posix() for path in learner.rglob("*")}
    assert {"pyproject.toml", "catalog.toml", "hints.toml", "conftest.py", "README.md",
            ".gitignore", "gradkata/plugin.py", "tests/test_train.py",
            "exercises/__init__.py", "exercises/autograd.py"} <= shipped
    assert not [path for path in shipped if path.split("/")[0] in LEFT_OUT]
    assert not [path for path in shipped if "__pycache__" in path or "egg-info" in path]
    # Solution code in no shipped file. tests/ is left aside: grading tests compute their own
    # references (a central difference, say), and a learner grading at home needs them.
    every_solution_line = {line for topic in catalog.topics
                           for line in solution_lines(reference(topic.name)) if len(line) >= 25}
    for path in learner.rglob("*"):
        if path.is_file() and path.parts[len(learner.parts)] not in ("tests", "exercises"):
            text = path.read_text(encoding="utf-8")
            assert not [line for line in every_solution_line if line in text], path

    python = fresh_venv(tmp_path / "venv", package_view(tmp_path / "packages"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "PYTEST", "VIRTUAL_ENV"))}
    # No bytecode: the shared packages' __pycache__ must not learn this venv's paths.
    env |= {"PYTHONNOUSERSITE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INDEX": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*args: str) -> subprocess.CompletedProcess:
        # -P: the learner repo's own gradkata/ folder must not shadow the installed package
        return subprocess.run([str(python), "-P", *args], cwd=learner, env=env,
                              capture_output=True, text=True, timeout=400)

    installed = run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--quiet", ".")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = run("-c", "import gradkata, importlib.metadata as m; print(gradkata.__file__); "
                      "print(m.distribution('gradkata').locate_file(''))")
    venv = str(tmp_path / "venv")
    assert all(line.startswith(venv) for line in where.stdout.split()), where.stdout

    graded = run("-m", "pytest", "-p", "no:cacheprovider", "--trace-config")
    output = graded.stdout + graded.stderr
    assert graded.returncode == 0, output[-3000:]
    plugin = re.search(r"^\s*gradkata\s*: (\S+)$", output, re.MULTILINE)
    assert plugin, "pytest did not load the gradkata plugin"
    assert plugin.group(1).startswith(venv), f"the plugin came from {plugin.group(1)}"
    assert "grade card" in output
    assert "0/51 exercises passed" in output
    assert len(re.findall(r"^\s+\d+\.\d+\s+\S+\s+todo\s", output, re.MULTILINE)) == 51
