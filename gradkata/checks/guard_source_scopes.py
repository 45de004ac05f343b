"""Which top-level function or class each piece of a module's code belongs to.

Code that runs when the module is imported (module statements, class
bodies, decorators, default values, annotations) belongs to no exercise in
particular, so to all of them: key ``None``. A function's body belongs to
that top-level function; a method's body to its top-level class.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def key_nodes(tree: ast.Module) -> Iterator[tuple[str | None, ast.AST]]:
    """(key, node) for every piece of the module, each piece once."""
    for statement in tree.body:
        if isinstance(statement, DEFINITIONS):
            yield from definition_nodes(statement, statement.name)
        else:
            yield None, statement


def definition_nodes(node: Definition, key: str) -> Iterator[tuple[str | None, ast.AST]]:
    for part in import_time_parts(node):
        yield None, part
    if isinstance(node, ast.ClassDef):
        for statement in node.body:  # a class body runs at import; its methods' bodies later
            if isinstance(statement, DEFINITIONS):
                yield from definition_nodes(statement, key)
            else:
                yield None, statement
    else:
        for statement in node.body:
            yield key, statement


def import_time_parts(node: Definition) -> list[ast.AST]:
    """What Python evaluates when it executes the ``def`` or ``class`` statement itself."""
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    arguments = node.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
             *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]
    annotations = [a.annotation for a in every if a.annotation is not None]
    defaults = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
    returns = [node.returns] if node.returns is not None else []
    return [*node.decorator_list, *defaults, *annotations, *returns]


def reachable_keys(tree: ast.Module) -> dict[str, set[str]]:
    """Top-level definition -> the other top-level definitions it uses, directly or not.

    Uses are names loaded in its code; module-level assignments pass them on
    (``helper = _trick`` makes a user of ``helper`` a user of ``_trick``).
    """
    definitions = {s.name for s in tree.body if isinstance(s, DEFINITIONS)}
    uses: dict[str, set[str]] = {}
    for statement in tree.body:
        if isinstance(statement, DEFINITIONS):
            uses.setdefault(statement.name, set()).update(loaded_names(statement))
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    uses.setdefault(target.id, set()).update(loaded_names(statement.value))
    return {name: closure(name, uses) & definitions - {name} for name in definitions}


def loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def closure(start: str, uses: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    frontier = [start]
    while frontier:
        for name in uses.get(frontier.pop(), ()):
            if name not in seen:
                seen.add(name)
                frontier.append(name)
    return seen
