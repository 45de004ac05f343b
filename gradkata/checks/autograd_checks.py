"""Checks for a scalar autodiff engine (the ``autograd`` topic): graphs judged node by node.

The grading tests build one expression graph twice, from the learner's
``Value`` and from float64 torch tensors, and hand both here with a
:class:`GraphView` naming every node, so that a mismatch is reported where
it starts: the first node whose ``data`` is wrong (its inputs were right, so
its own operation is at fault), or the node nearest the root whose ``grad``
is wrong (everything that uses it got the right grad, so the backward of one
of those uses is at fault). Also here: the properties of a topological
order, graphs left as found, the exceptions an operation must raise, a cap
on recursion for deep graphs, and a source scan for torch imports.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..messages import Joined, Message
from .failure import CheckFailure
from .guard_source import SourceFinding
from .guard_source_scopes import key_nodes, reachable_keys

# |yours - expected| <= RTOL * |expected| + ATOL * scale, scale the graph's largest
# magnitude: float64 rounding differs between formulas (a / b versus a * b ** -1), and
# cancellation turns that into absolute, not relative, error.
RTOL, ATOL = 1e-7, 1e-9
LISTED_LINES = 12  # the nodes a mismatch depends on; a long list is cut here
MOST_SUSPECTS = 3


def number(value) -> str:
    return f"{value:.6g}" if isinstance(value, (int, float)) else repr(value)


def read_number(node, attribute: str, name: str) -> float:
    """``node.<attribute>`` as a float, or a failure saying why it is not one."""
    try:
        value = getattr(node, attribute)
    except AttributeError:
        raise CheckFailure(Message("autograd.no_attribute", name=name, attribute=attribute)
                           ) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = (Message("autograd.complex_number") if isinstance(value, complex)
                else type(value).__name__)
        raise CheckFailure(Message("autograd.not_a_float", name=name, attribute=attribute,
                                   value=value, kind=kind))
    return float(value)


def close(yours: float, expected: float, scale: float) -> bool:
    if math.isnan(yours) or math.isnan(expected):
        return math.isnan(yours) and math.isnan(expected)
    return abs(yours - expected) <= RTOL * abs(expected) + ATOL * scale


@dataclass(frozen=True)
class GraphView:
    """What a message needs to know about a graph: one entry per node, leaves first.

    The last node is the root. ``definitions`` read like code (``v2 = 3 / v1``);
    ``methods`` name the method that computed each node (``Value.__rtruediv__``,
    ``""`` for a leaf); ``inputs`` list, per node, the nodes it was computed
    from, once per use (``v1 = x0 + x0`` has inputs ``(0, 0)``).
    """

    names: tuple[str, ...]
    definitions: tuple[str, ...]
    methods: tuple[str, ...]
    inputs: tuple[tuple[int, ...], ...]

    @property
    def root(self) -> str:
        return self.names[-1]

    def users(self, index: int) -> list[int]:
        """The nodes using node ``index``, once per use."""
        return [user for user, used in enumerate(self.inputs) for i in used if i == index]

    def pointer(self, index: int, data: Sequence[float] = (),
                grads: Sequence[float] = ()) -> Message | str:
        """``v2 = 3 / v1 (Value.__rtruediv__), where v1 = 0.5``: the step and its inputs' values
        (and its own grad, when ``grads`` are given), all right ones, from the reference."""
        method = self.methods[index]
        text = f"{self.definitions[index]} ({method})" if method else self.definitions[index]
        known = [f"{self.names[i]} = {number(data[i])}" for i in dict.fromkeys(self.inputs[index])
                 if i < len(data)]
        if grads:
            known.append(f"{self.names[index]}.grad = {number(grads[index])}")
        return Message("autograd.pointer", step=text, known=", ".join(known)) if known else text

    def listing(self, focus: Iterable[int] = ()) -> Joined:
        """The definitions of ``focus`` and of all it is computed from (everything, no focus)."""
        shown = set(range(len(self.names)))
        focus = list(focus)
        if focus:
            shown, stack = set(focus), list(focus)
            while stack:
                for i in self.inputs[stack.pop()]:
                    if i not in shown:
                        shown.add(i)
                        stack.append(i)
        lines = ["  " + self.definitions[i] for i in sorted(shown)]
        if len(lines) > LISTED_LINES:
            more = Message("autograd.more_lines", count=len(lines) - LISTED_LINES + 1)
            lines = [*lines[: LISTED_LINES - 1], Joined(("  ", more), "")]
        hidden = len(self.names) - len(shown)
        title = (Message("autograd.graph_part", hidden=hidden) if hidden
                 else Message("autograd.graph_whole"))
        return Joined((title, *lines))


def graph_scale(*groups: Sequence[float]) -> float:
    return 1.0 + max((abs(v) for group in groups for v in group if math.isfinite(v)), default=0.0)


def check_fresh_value(node, given, what: str) -> None:
    """A new leaf: ``data`` the given number as a float, ``grad`` 0.0, no children, op ``""``."""
    data = getattr(node, "data", None)
    if not isinstance(data, float) or data != given:
        raise CheckFailure(Message("autograd.fresh_data", what=what, data=data,
                                   type=type(data).__name__, given=float(given)))
    for attribute, wanted in (("grad", 0.0), ("children", ()), ("op", "")):
        value = getattr(node, attribute, "missing")
        if type(value) is not type(wanted) or value != wanted:
            raise CheckFailure(Message("autograd.fresh_attribute", what=what,
                                       attribute=attribute, value=value, wanted=wanted))


def check_node_links(result, inputs: Sequence, what: str) -> None:
    """``result.children`` is a tuple of Values through which ``result`` reaches every input."""
    children = getattr(result, "children", None)
    if not isinstance(children, tuple):
        raise CheckFailure(Message("autograd.children_not_tuple", what=what,
                                   type=type(children).__name__))
    strangers = [c for c in children if not isinstance(c, type(inputs[0]))]
    if strangers:
        raise CheckFailure(Message("autograd.child_not_value", what=what, child=strangers[0]))
    if not isinstance(getattr(result, "op", None), str):
        raise CheckFailure(Message("autograd.op_not_str", what=what,
                                   op=getattr(result, "op", None)))
    found = {id(node) for node in reachable(result)}
    if any(id(node) not in found for node in inputs):
        raise CheckFailure(Message("autograd.inputs_unreached", what=what))


def check_graph_data(nodes: Sequence, expected: Sequence[float], view: GraphView) -> None:
    """Every node's ``data`` matches; the message names the first one that does not."""
    scale = graph_scale(expected)
    for index, (node, wanted) in enumerate(zip(nodes, expected, strict=True)):
        got = read_number(node, "data", view.names[index])
        if not close(got, wanted, scale):
            raise CheckFailure(Joined((
                Message("autograd.data_mismatch", name=view.names[index], got=number(got),
                        wanted=number(wanted), step=view.pointer(index, expected)),
                view.listing([index]))))


def check_graph_grads(nodes: Sequence, expected: Sequence[float], view: GraphView,
                      data: Sequence[float], after: str = "") -> None:
    """Every node's ``grad`` after the root's ``backward()`` matches.

    The message names the mismatch nearest the root: every node using it has
    the right grad, so the mistake lies in the backward of one of those uses.
    """
    after = after or f"{view.root}.backward()"
    scale = graph_scale(expected, data)
    for index in reversed(range(len(nodes))):
        name = view.names[index]
        got = read_number(nodes[index], "grad", name)
        if close(got, expected[index], scale):
            continue
        if index == len(nodes) - 1:
            raise CheckFailure(Message("autograd.root_grad", after=after, name=name,
                                       got=number(got)))
        raise CheckFailure(_grad_message(index, got, expected, view, data, after))


def _grad_message(index: int, got: float, expected: Sequence[float], view: GraphView,
                  data: Sequence[float], after: str) -> Joined:
    name, uses = view.names[index], view.users(index)
    suspects = list(dict.fromkeys(uses))
    users = [view.pointer(user, data, expected) for user in suspects[:MOST_SUSPECTS]]
    if len(suspects) > MOST_SUSPECTS:
        users.append(Message("autograd.more_uses", count=len(suspects) - MOST_SUSPECTS))
    used = (Message("autograd.used_times", name=name, count=len(uses)) if len(uses) > 1 else "")
    # a + a: one backward, two contributions to the same node
    overwrite = Message("autograd.each_added") if len(suspects) < len(uses) else ""
    text = Message("autograd.grad_mismatch", after=after, name=name, got=number(got),
                   expected=number(expected[index]),
                   users=Joined(users, Message("autograd.or")), used=used, overwrite=overwrite)
    return Joined((text, view.listing(suspects)))


def read_grads(nodes: Sequence, view: GraphView) -> list[float]:
    return [read_number(node, "grad", name) for node, name in zip(nodes, view.names, strict=True)]


def check_same_grads(first: Sequence[float], nodes: Sequence, view: GraphView, what: str) -> None:
    """The grads now on ``nodes`` equal ``first``, recorded after an earlier ``backward()``."""
    scale = graph_scale(first)
    for index, node in enumerate(nodes):
        now = read_number(node, "grad", view.names[index])
        if not close(now, first[index], scale):
            raise CheckFailure(Message("autograd.grads_changed", what=what,
                                       name=view.names[index], before=number(first[index]),
                                       now=number(now)))


# -- topological order ------------------------------------------------------------------

def reachable(root) -> list:
    """Every node ``root`` reaches through ``children``, itself included (iteratively)."""
    seen, stack = {id(root): root}, [root]
    while stack:
        for child in stack.pop().children:
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def check_topological_order(order, root, name_of: Callable[[object], str], graph: str = "") -> None:
    """``order`` lists every node ``root`` reaches once, children before parents, root last."""
    where = Joined(("", graph)) if graph else ""  # the graph on lines of its own
    if not isinstance(order, list):
        raise CheckFailure(Message("autograd.order_not_list", type=type(order).__name__))
    wanted = {id(node): node for node in reachable(root)}
    position: dict[int, int] = {}
    for at, node in enumerate(order):
        if id(node) in position:
            raise CheckFailure(Message("autograd.listed_twice", node=name_of(node),
                                       first=position[id(node)], second=at, graph=where))
        if id(node) not in wanted:
            raise CheckFailure(Message("autograd.stranger_listed", node=name_of(node),
                                       graph=where))
        position[id(node)] = at
    missing = [name_of(node) for key, node in wanted.items() if key not in position]
    if missing:
        raise CheckFailure(Message("autograd.nodes_missing", missing=", ".join(missing),
                                   graph=where))
    if order[-1] is not root:
        raise CheckFailure(Message("autograd.root_not_last", root=name_of(root),
                                   position=position[id(root)], count=len(order), graph=where))
    for node in order:
        for child in node.children:
            if position[id(child)] > position[id(node)]:
                raise CheckFailure(Message("autograd.child_after_parent", node=name_of(node),
                                           child=name_of(child), graph=where))


# -- purity ------------------------------------------------------------------------------

def snapshot(nodes: Sequence) -> list[tuple[object, dict]]:
    """Each node with a shallow copy of its attributes."""
    return [(node, dict(vars(node))) for node in nodes]


def check_unchanged(saved: list[tuple[object, dict]], name_of: Callable[[object], str],
                    what: str) -> None:
    """No node gained, lost or rebound an attribute since ``snapshot``."""
    for node, before in saved:
        now = vars(node)
        name = name_of(node)
        gained = sorted(now.keys() - before.keys())
        if gained:
            raise CheckFailure(Message("autograd.gained_attribute", what=what, name=name,
                                       attribute=gained[0]))
        for key, value in before.items():
            if key not in now or (now[key] is not value and now[key] != value):
                raise CheckFailure(Message("autograd.attribute_changed", what=what, name=name,
                                           attribute=key))


def check_data_kept(nodes: Sequence, data: Sequence[float], view: GraphView, what: str,
                    advice: str) -> None:
    """Each node's ``data`` is still what it was when it was made."""
    for index, node in enumerate(nodes):
        now = read_number(node, "data", view.names[index])
        if not (now == data[index] or (math.isnan(now) and math.isnan(data[index]))):
            raise CheckFailure(Joined((
                Message("autograd.data_changed", what=what, name=view.names[index],
                        before=number(data[index]), now=number(now), advice=advice),
                view.listing([index]))))


# -- errors --------------------------------------------------------------------------------

def check_raises(fn: Callable[[], object], expected: type[BaseException], what: str,
                 why: str = "") -> None:
    """``fn()`` raises ``expected``; a stub's NotImplementedError passes through (todo)."""
    because = Message("autograd.because", why=why) if why else ""
    try:
        result = fn()
    except expected:
        return
    except NotImplementedError:
        raise
    except Exception as error:  # the wrong exception is the finding
        raise CheckFailure(Message("autograd.other_exception", what=what,
                                   type=type(error).__name__, error=str(error),
                                   expected=expected.__name__, because=because)) from None
    data = getattr(result, "data", result)
    raise CheckFailure(Message("autograd.returned", what=what, data=data,
                               expected=expected.__name__, because=because))


# -- depth -----------------------------------------------------------------------------------

RECURSION_HEADROOM = 2000  # frames above the caller's: far below a 10 000-deep graph


@contextlib.contextmanager
def limited_recursion(headroom: int = RECURSION_HEADROOM) -> Iterator[None]:
    """Cap Python's recursion limit near the current depth, whatever the code under test set."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def run_deep(fn: Callable[[], object], what: str):
    """``fn()`` under :func:`limited_recursion`; hitting the limit is a failure that says why."""
    try:
        with limited_recursion():
            return fn()
    except RecursionError:
        raise CheckFailure(Message("autograd.recursion", what=what)) from None


# -- source: no torch at all -------------------------------------------------------------

NO_TORCH = Message("autograd.no_torch")
IMPORT_CALLS = frozenset({"__import__", "import_module"})


def torch_imports(path) -> dict[str | None, list[SourceFinding]]:
    """Every import of torch in a module, keyed like :func:`guard_source.scan_source`."""
    path = os.fspath(path)
    try:
        stat = os.stat(path)
    except OSError:
        return {}
    return dict(_torch_imports_cached(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _torch_imports_cached(path: str, _mtime_ns: int, _size: int):
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    own: dict[str | None, list[SourceFinding]] = {}
    for key, piece in key_nodes(tree):
        for node in ast.walk(piece):
            what = _torch_import(node)
            if what:
                finding = SourceFinding(path, node.lineno, what, NO_TORCH, key)
                own.setdefault(key, []).append(finding)
    keyed = {None: own[None]} if own.get(None) else {}
    for key, used in reachable_keys(tree).items():
        counted = [finding for name in (key, *used) for finding in own.get(name, ())]
        if counted:
            keyed[key] = sorted(counted, key=lambda finding: finding.line)
    return keyed


def _is_torch(module) -> bool:
    return isinstance(module, str) and module.partition(".")[0] == "torch"


def _torch_import(node: ast.AST) -> str | None:
    """``import torch``, ``from torch.x import y``, ``__import__("torch")`` as written, or None."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names if _is_torch(alias.name)]
        return f"import {names[0]}" if names else None
    if isinstance(node, ast.ImportFrom) and not node.level and _is_torch(node.module):
        return f"from {node.module} import ..."
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if callee in IMPORT_CALLS and _is_torch(node.args[0].value):
            return ast.unparse(node)
    return None
