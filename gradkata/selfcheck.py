"""Run one exercise's grading tests in-process against any implementation.

For course authors and gradkata's own self-tests: prove that each check
catches the learner mistake it is meant to catch (a known-wrong
implementation fails that family, with a message naming the mistake) and
that the reference passes — without a pytest subprocess per mistake.
"""

from __future__ import annotations

import itertools
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .session import MARKER


@dataclass(frozen=True)
class CheckRun:
    test: str  # readable id, e.g. "test_matches_pytorch[sigmoid]"
    family: str
    failure: str | None  # the learner-facing message (a Message: English as a str), None: passed


def run_exercise_checks(
    test_module: types.ModuleType,
    catalog,
    exercise,
    impl: types.ModuleType,
    families: set[str] | None = None,
) -> list[CheckRun]:
    """Call every test of ``test_module`` that grades ``exercise`` with ``impl`` as the submission.

    ``catalog`` and ``exercise`` are a :class:`gradkata.catalog.Catalog` and
    one of its exercises; tests whose ``skipif`` applies (real CUDA without a
    GPU) are left out. ``families`` limits the run to those check families.
    """
    fixtures = {"impl": impl, "forbidden": catalog.forbidden_rules(exercise)}
    runs = []
    for name, function, params, family in _tests_of(test_module, exercise.id):
        if families is not None and family not in families:
            continue
        wanted = {k: v for k, v in fixtures.items() if k in _parameters(function)}
        try:
            function(**wanted, **params)
        except (Exception, BaseExceptionGroup) as error:
            runs.append(CheckRun(name, family, _message(error)))
        else:
            runs.append(CheckRun(name, family, None))
    return runs


def families_of(test_module: types.ModuleType, topic) -> set[str]:
    """Every check family the tests of ``test_module`` use for ``topic``'s exercises
    (families that only run on real CUDA, and so are skipped here, left out)."""
    return {
        family
        for exercise in topic.exercises
        for _, _, _, family in _tests_of(test_module, exercise.id)
    }


def failed_families(runs: list[CheckRun]) -> dict[str, list[str]]:
    """family -> the failure messages of its failed tests."""
    failed: dict[str, list[str]] = {}
    for run in runs:
        if run.failure is not None:
            failed.setdefault(run.family, []).append(run.failure)
    return failed


def _tests_of(module, exercise_id: str) -> Iterator[tuple[str, object, dict, str]]:
    for name, function in list(vars(module).items()):  # tests may add __warningregistry__
        if not name.startswith("test_") or not callable(function) or _skipped(function):
            continue
        marks = getattr(function, "pytestmark", [])
        own = next((m for m in marks if m.name == MARKER), None)
        grids = [m for m in marks if m.name == "parametrize"]
        for combination in itertools.product(*(_param_sets(m) for m in grids)):
            exercise_marks = [mk for _, _, ms in combination for mk in ms if mk.name == MARKER]
            mark = exercise_marks[0] if exercise_marks else own
            if mark is None or mark.args[0] != exercise_id:
                continue
            params = {
                k: v for keys, vals, _ in combination for k, v in zip(keys, vals, strict=True)
            }
            ids = "-".join(str(getattr(v, "name", v)) for v in params.values())
            yield f"{name}[{ids}]", function, params, mark.kwargs["check"]


def _param_sets(mark) -> list[tuple[list[str], tuple, list]]:
    names = mark.args[0]
    keys = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    rows = []
    for value in mark.args[1]:
        if isinstance(value, type(pytest.param(None))):
            rows.append((keys, value.values, list(value.marks)))
        else:
            rows.append((keys, value if len(keys) > 1 else (value,), []))
    return rows


def _skipped(function) -> bool:
    return any(
        m.name == "skipif" and m.args and m.args[0] for m in getattr(function, "pytestmark", [])
    )


def _parameters(function) -> set[str]:
    import inspect

    return set(inspect.signature(function).parameters)


def _message(error: BaseException) -> str:
    from .messages import Joined
    from .outcomes import explain

    if isinstance(error, BaseExceptionGroup):  # hypothesis found several distinct failures
        return Joined(_message(e) for e in error.exceptions)

    return explain(error)


def load_test_module(path: Path) -> types.ModuleType:
    """Import a grading test file by path, under a name of its own."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"gradkata_selfcheck_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module
