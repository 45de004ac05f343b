"""A kata: one exercise from a fresh stub, against the clock.

``gradkata kata ID --minutes N`` copies the learner's topic modules into
``.gradkata/kata/<id>/``, turns exercise ``ID`` back into a stub there (its
docstring kept, its body ``raise NotImplementedError``), and grades that
copy: on every save (as :mod:`gradkata.watch` does) and once more when the
time is up. The learner's own ``exercises/`` are only ever read.
"""

from __future__ import annotations

import ast
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .catalog import Catalog, Exercise
from .runner import GradeRun, grade, settle_memory
from .status import state_dir
from .watch import Poller, Watch

KATA_DIR = "kata"


class KataError(ValueError):
    """The exercise cannot be turned into a stub (its module does not parse, say)."""


def kata_directory(catalog: Catalog, exercise: Exercise) -> Path:
    return state_dir(catalog) / KATA_DIR / exercise.id


def prepare(catalog: Catalog, exercise: Exercise, source_dir: Path) -> tuple[Path, Path | None]:
    """Lay out a fresh kata for ``exercise``; return (its module file, the kept previous attempt).

    Every topic module of ``source_dir`` is copied, so the exercise runs with
    the learner's own functions from other exercises and topics (SPEC §1);
    only the kata's own exercise is reset to a stub. A previous attempt at
    the same kata is kept beside it as ``<topic>.py.previous``.
    """
    source = source_dir / f"{exercise.topic}.py"
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise KataError(f"{source}: {error.strerror}") from None
    stub = stub_source(text, exercise)
    folder = kata_directory(catalog, exercise)
    target = folder / source.name
    previous = None
    if target.is_file() and target.read_bytes() != stub.encode("utf-8"):
        previous = target.with_name(target.name + ".previous")
        shutil.copyfile(target, previous)
    folder.mkdir(parents=True, exist_ok=True)
    for topic in catalog.topics:
        module = source_dir / f"{topic.name}.py"
        if topic.name != exercise.topic and module.is_file():
            shutil.copyfile(module, folder / module.name)
    target.write_text(stub, encoding="utf-8")
    return target, previous


def stub_source(source: str, exercise: Exercise) -> str:
    """``source`` with ``exercise``'s body (every method's, for a class) reset to a stub."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise KataError(f"{exercise.topic}.py does not parse (line {error.lineno}): "
                        f"fix it first") from None
    node = next((n for n in tree.body if getattr(n, "name", None) == exercise.name
                 and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), None)
    if node is None:
        raise KataError(f"{exercise.topic}.py defines no {exercise.name!r}")
    functions = [node] if not isinstance(node, ast.ClassDef) else [
        n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    lines = source.splitlines(keepends=True)
    message = f'raise NotImplementedError("kata {exercise.number}: write {exercise.id}")'
    for function in sorted(functions, key=lambda f: f.lineno, reverse=True):
        _reset_body(lines, function, message)
    return "".join(lines)


def _reset_body(lines: list[str], function: ast.FunctionDef | ast.AsyncFunctionDef,
                message: str) -> None:
    """Replace the statements after the docstring with one ``raise`` (in place)."""
    body = function.body
    has_docstring = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                     and isinstance(body[0].value.value, str))
    rest = body[1:] if has_docstring else body
    if _is_stub(rest):
        return
    if body[0].lineno == function.lineno:  # a one-line def: "def f(x): return x"
        header = lines[function.lineno - 1].encode("utf-8")  # col_offset counts bytes
        indent = " " * (function.col_offset + 4)
        lines[function.lineno - 1] = (header[:body[0].col_offset].decode("utf-8").rstrip()
                                      + "\n" + indent + message + "\n")
        return
    indent = " " * body[0].col_offset
    if rest:  # the statements after the docstring become the raise
        lines[rest[0].lineno - 1:function.end_lineno] = [indent + message + "\n"]
    else:  # a docstring alone: add the raise after it
        lines.insert(body[0].end_lineno or body[0].lineno, indent + message + "\n")


def _is_stub(statements: list[ast.stmt]) -> bool:
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    raised = statements[0].exc
    target = raised.func if isinstance(raised, ast.Call) else raised
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def run(catalog: Catalog, exercise: Exercise, request, seconds: float, *,
        on_tick: Callable[[float, GradeRun | None], None],
        on_verdict: Callable[[GradeRun, set[str]], None],
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        tick: float = 1.0, interval: float = 0.05, debounce: float = 0.05,
        ) -> tuple[GradeRun, bool]:
    """Grade the kata on every save until ``seconds`` have passed; return (final grade, finished).

    ``request`` is a :class:`~gradkata.runner.GradeRequest` for the kata's
    directory. The clock starts once torch is imported and warm. ``finished``
    is False when the learner stopped early (Ctrl-C).
    """
    folder = kata_directory(catalog, exercise)
    latest: list[GradeRun] = []  # the latest verdict after a save

    def verdict(run: GradeRun, changed: set[str]) -> None:
        if changed:  # the first grade, of the fresh stub, is no news
            latest[:] = [run]
            on_verdict(run, changed)

    poller = Poller(folder, interval=interval, debounce=debounce, sleep=sleep)
    watch = Watch(catalog, replace(request, impl=str(folder), exercises=(exercise.id,)), folder,
                  on_verdict=verdict, poller=poller)
    watch.start()
    deadline = clock() + seconds
    finished, next_tick = True, clock()
    try:
        while (now := clock()) < deadline:
            if now >= next_tick:
                on_tick(deadline - now, latest[0] if latest else None)
                next_tick = now + tick
            changed = watch.poller.poll()
            if changed:
                watch.grade_now(watch.poller.settle(changed))
                settle_memory()
            sleep(min(watch.poller.interval, max(0.0, deadline - clock())))
    except KeyboardInterrupt:
        finished = False
    final = grade(catalog, replace(watch.request,
                                   test_files=watch.test_files_for(watch.request.exercises)))
    return final, finished
