"""pytest hooks for gradkata: each a few lines, delegating to GradingSession.

Registered through the ``pytest11`` entry point; inert outside a course
directory (no ``catalog.toml`` at or above pytest's rootdir).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import isolate
from .catalog import CatalogError, find_catalog, load_catalog
from .report.labels import LANGUAGES
from .rootdir import redo_setup
from .session import MARKER, GradingSession, Options, default_language

SESSION = pytest.StashKey[GradingSession]()

HELP_IMPL = "what to grade: 'exercises' (default), 'solutions', or a directory of topic modules"
HELP_EXERCISE = (
    "grade only this exercise: an id (activations.sigmoid), a number (4.1) or a topic; repeatable"
)
HELP_GRADE_JSON = "also write the grade as Gradescope results JSON to this path"
HELP_REQUIRE_COMPLETE = "count an exercise still raising NotImplementedError as a failure"
HELP_SEED = "seed for every random choice of the grader (default 0)"
HELP_LANG = "language of the grade card: en or zh (default: from the locale)"
HELP_ISOLATE = (
    "run the code under grade only in worker processes, never in pytest's own (POSIX only)"
)
HELP_CALL_TIMEOUT = "with --isolate: fail a call to the graded code after SECONDS (default 60)"
HELP_MEMORY_LIMIT = "with --isolate: memory limit of each worker process in MiB (default 4096)"
DEFAULT_CALL_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT = 4096


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradkata", "gradkata grading")
    group.addoption("--impl", default="exercises", help=HELP_IMPL)
    group.addoption("--exercise", action="append", default=[], metavar="ID", help=HELP_EXERCISE)
    group.addoption("--grade-json", default=None, metavar="PATH", help=HELP_GRADE_JSON)
    group.addoption("--require-complete", action="store_true", help=HELP_REQUIRE_COMPLETE)
    group.addoption("--seed", type=int, default=0, help=HELP_SEED)
    group.addoption("--lang", choices=LANGUAGES, default=None, help=HELP_LANG)
    group.addoption("--isolate", action="store_true", help=HELP_ISOLATE)
    group.addoption(
        "--call-timeout",
        type=float,
        default=DEFAULT_CALL_TIMEOUT,
        metavar="SECONDS",
        help=HELP_CALL_TIMEOUT,
    )
    group.addoption(
        "--memory-limit",
        type=int,
        default=DEFAULT_MEMORY_LIMIT,
        metavar="MIB",
        help=HELP_MEMORY_LIMIT,
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args) -> None:
    redo_setup(early_config, parser, args)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(id, check): the exercise id and check family a test grades"
    )
    catalog_path = find_catalog(config.rootpath)
    if catalog_path is None:
        return
    if config.getoption("isolate") and not isolate.supported():
        raise pytest.UsageError(isolate.POSIX_ONLY)
    try:
        catalog = load_catalog(catalog_path)
        wanted = (
            catalog.select(config.getoption("exercise"))
            if config.getoption("exercise")
            else catalog.exercises
        )
    except (CatalogError, KeyError) as error:
        raise pytest.UsageError(str(error).strip("'\"")) from None
    config.stash[SESSION] = GradingSession(catalog, _options(config), wanted)


def _options(config: pytest.Config) -> Options:
    grade_json = config.getoption("grade_json")
    timeout = config.getoption("timeout", None) or config.getini("timeout")
    return Options(
        impl=config.getoption("impl"),
        exercises=tuple(config.getoption("exercise")),
        grade_json=Path(config.invocation_params.dir, grade_json) if grade_json else None,
        require_complete=config.getoption("require_complete"),
        seed=config.getoption("seed"),
        lang=config.getoption("lang") or default_language(),
        json_lang=config.getoption("lang") or "en",
        timeout=float(timeout) if timeout else None,
        invocation_dir=Path(config.invocation_params.dir),
        isolate=config.getoption("isolate"),
        call_timeout=config.getoption("call_timeout"),
        memory_limit=config.getoption("memory_limit"),
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session = config.stash.get(SESSION, None)
    if session is None:
        return
    kept, deselected = session.collect(items)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture
def impl(request: pytest.FixtureRequest):
    """The graded implementation's module for this test's exercise topic."""
    session = request.config.stash[SESSION]
    module = session.module_for(request.node)
    with isolate.serving(module, session.seed_for(request.node)):
        yield module


@pytest.fixture
def forbidden(request: pytest.FixtureRequest):
    """What this test's exercise may not call: its catalogue entries (SPEC §1 rules on top)."""
    session = request.config.stash[SESSION]
    return session.catalog.forbidden_rules(session.exercise_of(request.node))


@pytest.fixture(autouse=True)
def _seed_everything(request: pytest.FixtureRequest):
    session = request.config.stash.get(SESSION, None)
    if session is not None and request.node.get_closest_marker(MARKER):
        import random

        import torch

        seed = session.seed_for(request.node)
        random.seed(seed)
        torch.manual_seed(seed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    session = item.config.stash.get(SESSION, None)
    if session is not None and session.impl is not None:
        session.record(item, call, report)
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    grading = session.config.stash.get(SESSION, None)
    if grading is not None:
        grading.close_workers()  # under --isolate: nothing of the code under grade runs on
        grading.finish(session)


def pytest_terminal_summary(terminalreporter) -> None:
    grading = terminalreporter.config.stash.get(SESSION, None)
    lines = grading.card_lines() if grading is not None else []
    if lines:
        terminalreporter.section("grade card", sep="=", bold=True)
    for line in lines:
        markup = {line.colour: True} if line.colour else {}
        terminalreporter.write_line(line.text, bold=line.bold, **markup)
