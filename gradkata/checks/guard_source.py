"""The static half of the guard: ways around the run-time view, found in the source.

A ``TorchFunctionMode`` sees every torch call, unless the code switches it
off (``torch._C.DisableTorchFunction``), pops it off the mode stack
(``torch.overrides._pop_mode``), goes under torch (``ctypes``), or tampers
with the grader (tracing hooks, frame and object introspection,
``sys.modules``, code built from strings), or works where the mode does not
look (another thread or process). None of these has a place in an exercise,
so finding one in the source fails the exercise whose code holds it.

Findings are keyed by the top-level function or class whose code holds
them, together with every top-level function or class that uses it by name
(a helper's trick counts against each exercise that calls the helper), and
``None`` for code that runs when the module is imported: module-level
statements, class bodies, decorators and default values. Those count
against every exercise of the module.

What is not flagged: ordinary names that merely look private (``x._version``,
``self._cache``, a variable called ``_C``; an attribute ``._C`` read from
anything counts as torch's C layer unless the code assigns a ``_C``
attribute of its own), and ``getattr(torch, name)`` with a computed name:
the run-time guard judges what that returns.
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass

from ..messages import Message
from .guard_source_rules import (
    FRAME_ATTRIBUTES,
    IMPORT_FUNCTIONS,
    STRING_BUILTINS,
    Category,
    judge_dotted,
    judge_string,
)
from .guard_source_scopes import key_nodes, reachable_keys


@dataclass(frozen=True)
class SourceFinding:
    """One way around the run-time guard, where it is, and why it is off limits."""

    path: str
    line: int
    what: str  # as written, e.g. "torch._C.DisableTorchFunction"
    sentence: str  # why it is off limits (a Message)
    where: str | None = None  # the top-level function or class holding it; None: module level

    def message(self, exercise_name: str = "") -> Message:
        inside = ""
        if self.where and exercise_name and self.where != exercise_name:
            inside = Message("guard.source_inside", where=self.where, exercise=exercise_name)
        return Message("guard.source_finding", file=os.path.basename(self.path),
                       line=self.line, inside=inside, what=self.what, sentence=self.sentence)


def scan_source(path) -> dict[str | None, list[SourceFinding]]:
    """Scan a submission module's source; ``{}`` when it is clean (or cannot be parsed,
    which the import then reports). Cached per file version: tests call it per example."""
    path = os.fspath(path)
    try:
        stat = os.stat(path)
    except OSError:
        return {}
    return dict(_scan_cached(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=128)
def _scan_cached(path: str, _mtime_ns: int, _size: int) -> dict[str | None, list[SourceFinding]]:
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    return scan_tree(tree, path)


def scan_tree(tree: ast.Module, path: str) -> dict[str | None, list[SourceFinding]]:
    scanner = Scanner(path, import_aliases(tree), stored_attributes(tree))
    for key, node in key_nodes(tree):
        scanner.key = key
        scanner.visit(node)
    own: dict[str | None, list[SourceFinding]] = {}
    for finding in scanner.findings.values():
        own.setdefault(finding.where, []).append(finding)
    keyed: dict[str | None, list[SourceFinding]] = {}
    if own.get(None):
        keyed[None] = sorted(own[None], key=by_line)
    for key, used in reachable_keys(tree).items():
        counted = [f for name in (key, *used) for f in own.get(name, ())]
        if counted:
            keyed[key] = sorted(counted, key=by_line)
    return keyed


def by_line(finding: SourceFinding) -> int:
    return finding.line


class Scanner(ast.NodeVisitor):
    """Collects findings for the nodes it is given, under the current ``key``."""

    def __init__(self, path: str, aliases: dict[str, str], own_attributes: set[str]):
        self.path = path
        self.aliases = aliases  # local name -> the module path it stands for
        self.own_attributes = own_attributes  # attribute names the code itself assigns
        self.key: str | None = None
        self.findings: dict[tuple[int, Category], SourceFinding] = {}

    def report(self, node: ast.AST, what: str, category: Category | None) -> None:
        if category is not None:
            line = getattr(node, "lineno", 0)
            self.findings.setdefault(
                (line, category), SourceFinding(self.path, line, what, category.value, self.key))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.report(node, alias.name, judge_dotted(alias.name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # the learner's own modules
        self.report(node, node.module, judge_dotted(node.module))
        for alias in node.names:
            dotted = f"{node.module}.{alias.name}"
            self.report(node, dotted, judge_dotted(dotted))

    def visit_Name(self, node: ast.Name) -> None:
        dotted = self.aliases.get(node.id)
        if dotted is not None:
            self.report(node, dotted, judge_dotted(dotted))
        else:
            self.report(node, node.id, judge_string(node.id, bare=True))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = self.qualify(node)
        if dotted is not None:
            self.report(node, ast.unparse(node), judge_dotted(dotted))
        elif node.attr == "_C" and "_C" not in self.own_attributes:
            self.report(node, ast.unparse(node), Category.TORCH_C)
        elif node.attr in FRAME_ATTRIBUTES:
            self.report(node, ast.unparse(node), Category.INTROSPECTION)
        else:
            self.report(node, ast.unparse(node), judge_string(node.attr, bare=True))
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # torch.__dict__["_C"], vars(torch)["_C"], sys.modules["torch._C"]; a dict of the
        # learner's own with a "_C" key is not a namespace, so it is left alone.
        key = node.slice
        if (isinstance(key, ast.Constant) and isinstance(key.value, str)
                and self.is_namespace(node.value)):
            self.report(node, ast.unparse(node), judge_string(key.value))
        self.generic_visit(node)

    def is_namespace(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return True
        if isinstance(node, ast.Call) and self.callee_name(node.func) in ("vars", "globals"):
            return True
        return self.qualify(node) is not None

    def visit_Call(self, node: ast.Call) -> None:
        callee = self.callee_name(node.func)
        first_string = string_argument(node, 0)
        if callee in STRING_BUILTINS:
            self.report(node, callee, Category.EVAL)
        elif callee in IMPORT_FUNCTIONS:
            category = judge_string(first_string) if first_string else Category.DYNAMIC_IMPORT
            self.report(node, ast.unparse(node), category)
        elif callee in ("getattr", "setattr", "delattr", "hasattr"):
            self.judge_attribute_call(node)
        self.generic_visit(node)

    def judge_attribute_call(self, node: ast.Call) -> None:
        name = string_argument(node, 1)
        if name is None or not node.args:
            return
        owner = self.qualify(node.args[0])
        dotted = f"{owner}.{name}" if owner else None
        category = judge_dotted(dotted) if dotted else None
        self.report(node, ast.unparse(node), category or judge_string(name))

    def callee_name(self, func: ast.expr) -> str | None:
        """``eval``, ``__import__``, ``importlib.import_module``, ``getattr`` ... as resolved."""
        if isinstance(func, ast.Name):
            return self.aliases.get(func.id, func.id)
        return self.qualify(func)

    def qualify(self, node: ast.expr) -> str | None:
        """The dotted path an attribute chain stands for, when it starts at an import."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])


def string_argument(node: ast.Call, position: int) -> str | None:
    if len(node.args) > position:
        argument = node.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
    return None


def import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> module path, for every import and plain re-binding (``t = torch``)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for _ in range(2):  # t = torch; c = t._C
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                dotted = _qualify_with(aliases, value)
                if isinstance(target, ast.Name) and dotted:
                    aliases[target.id] = dotted
    return aliases


def _qualify_with(aliases: dict[str, str], node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def stored_attributes(tree: ast.Module) -> set[str]:
    """Attribute names the code assigns itself (``self._C = ...``): its own, not torch's."""
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)}
