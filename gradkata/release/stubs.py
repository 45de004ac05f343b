"""Turn a reference module into the learner's stub module.

Everything outside the markers (see :mod:`gradkata.release.markers`) is
copied as it is, comments and formatting included. A ``# BEGIN SOLUTION``
block that holds the whole body of an exercise (after its docstring)
becomes one line, ``raise NotImplementedError("exercise 4.1: write
activations.sigmoid")``, the number and id taken from the catalogue; a
method of an exercise class names itself (``autograd.Value.__add__``). Any
other solution block (imports, helpers, a method only the reference has)
must hold whole statements at module or class level, and disappears with
its blank lines, leaving the larger of the blank runs around it. A ``# BEGIN
STUB`` block's comment lines become the learner's lines.

An exercise whose body is not marked is refused: it would copy the solution
into ``exercises/``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..catalog import Exercise, Topic
from .markers import Block, MarkerError, find_blocks, uncomment

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class ReleaseError(ValueError):
    """A reference module cannot be turned into a stub; the message says where and why."""


@dataclass(frozen=True)
class ExerciseBody:
    """One function whose body the stub replaces: a top-level exercise or a method of one."""

    exercise: Exercise
    function: FunctionNode
    qualified_name: str  # "activations.sigmoid", "autograd.Value.__add__"

    @property
    def stub_line(self) -> str:
        return (f'raise NotImplementedError("exercise {self.exercise.number}: '
                f'write {self.qualified_name}")')


def stub_source(source: str, topic: Topic, filename: str) -> str:
    """The learner's module for ``topic``, made from the reference module ``source``.

    ``filename`` only names the file in error messages. Raises
    :class:`ReleaseError` when a marker is malformed or misplaced, an
    exercise is missing or unmarked, or the result would not parse.
    """
    lines = source.splitlines()
    try:
        tree = ast.parse(source, filename)
        blocks = find_blocks(lines, filename)
    except SyntaxError as error:
        raise ReleaseError(f"{filename}:{error.lineno}: does not parse: {error.msg}") from None
    except MarkerError as error:
        raise ReleaseError(str(error)) from None
    bodies = _exercise_bodies(tree, blocks, topic, filename)
    body_blocks = {_body_block(body, blocks, filename): body for body in bodies}
    for block in blocks:
        if block.kind == "solution" and block not in body_blocks:
            _require_whole_statements(tree, block, filename)
    stub = _render(lines, blocks, {block: body.stub_line for block, body in body_blocks.items()})
    try:
        ast.parse(stub)
    except SyntaxError as error:
        raise ReleaseError(f"{filename}: the stub made from it does not parse (its line "
                           f"{error.lineno}: {error.msg}): check the markers") from None
    return stub


def _exercise_bodies(tree: ast.Module, blocks: list[Block], topic: Topic,
                     filename: str) -> list[ExerciseBody]:
    """The functions of ``topic``'s exercises that the learner writes (a class: its methods)."""
    hidden = [block for block in blocks if block.kind == "solution"]

    def shown(node: ast.stmt) -> bool:  # a definition inside a solution block is no stub's
        return not any(block.covers(node.lineno) for block in hidden)

    definitions = {node.name: node for node in tree.body if shown(node) and isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    bodies = []
    for exercise in topic.exercises:
        node = definitions.get(exercise.name)
        if node is None:
            raise ReleaseError(f"{filename}: defines no {exercise.name!r} outside a solution "
                               f"block, but catalog.toml lists exercise {exercise.number} "
                               f"{exercise.id}")
        if not isinstance(node, ast.ClassDef):
            bodies.append(ExerciseBody(exercise, node, exercise.id))
            continue
        bodies += [ExerciseBody(exercise, method, f"{exercise.id}.{method.name}")
                   for method in node.body
                   if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and shown(method)]
    return bodies


def _body_block(body: ExerciseBody, blocks: list[Block], filename: str) -> Block:
    """The solution block that holds ``body``'s statements after its docstring, or refuse."""
    function = body.function
    documented = ast.get_docstring(function, clean=False) is not None
    statements = function.body[1:] if documented else function.body
    after = (function.body[0].end_lineno or function.lineno) if documented else function.lineno
    if statements:
        first = min([statements[0].lineno, *_decorator_lines(statements[0])])
        indent = " " * statements[0].col_offset
        for block in blocks:
            if (block.kind == "solution" and after < block.begin < first
                    and block.end > (function.end_lineno or first) and block.indent == indent):
                return block
    raise ReleaseError(
        f"{filename}:{function.lineno}: {body.qualified_name} is (part of) exercise "
        f"{body.exercise.number}, but its body is not between '# BEGIN SOLUTION' and "
        f"'# END SOLUTION' (right after the docstring, at the body's indentation): "
        f"release would copy the solution into the learner's stub")


def _decorator_lines(node: ast.stmt) -> list[int]:
    return [d.lineno for d in getattr(node, "decorator_list", [])]


def _require_whole_statements(tree: ast.Module, block: Block, filename: str) -> None:
    """A solution block outside an exercise body holds whole module- or class-level statements."""
    where = f"{filename}:{block.begin}"
    around = [node for node in ast.walk(tree)
              if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
              and node.lineno < block.begin <= (node.end_lineno or 0)]
    innermost = max(around, key=lambda node: node.lineno, default=None)
    if innermost is not None and not isinstance(innermost, ast.ClassDef):
        raise ReleaseError(f"{where}: a solution block inside {innermost.name}, which is no "
                           f"exercise's body: only a whole exercise body, or whole "
                           f"module- or class-level statements, can be hidden")
    statements = tree.body if innermost is None else innermost.body
    for node in statements:
        start = min([node.lineno, *_decorator_lines(node)])
        if block.begin < start <= block.end < (node.end_lineno or start):
            raise ReleaseError(f"{where}: the solution block ends inside the statement at "
                               f"line {start}")
    inside = [node for node in statements if block.begin < node.lineno < block.end]
    if inside and block.indent != " " * inside[0].col_offset:
        raise ReleaseError(f"{where}: the markers are not indented like the statements "
                           f"they hold")


def _render(lines: list[str], blocks: list[Block], raises: dict[Block, str]) -> str:
    """``lines`` with every block applied (see the module docstring)."""
    out: list[str] = []
    starts = {block.begin: block for block in blocks}
    number = 1
    while number <= len(lines):
        block = starts.get(number)
        if block is None:
            out.append(lines[number - 1])
            number += 1
            continue
        inner = lines[block.begin:block.end - 1]
        number = block.end + 1
        if block.kind == "stub":
            out += [uncomment(line, block.indent) for line in inner]
        elif block in raises:
            out.append(block.indent + raises[block])
        else:  # a solution-only block: it takes its blank lines with it
            before = len(out) - len(_without_trailing_blanks(out))
            after = 0
            while number + after <= len(lines) and not lines[number + after - 1].strip():
                after += 1
            number += after
            out += [""] * max(0, after - before)
    return "\n".join(_without_trailing_blanks(out)) + "\n"


def _without_trailing_blanks(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]
