"""Known-wrong learner implementations for topic 7, ``autograd``.

A wrong ``Value`` is the reference class with one or two methods replaced.
Each is built on a fresh copy of the reference module, so that the results
its operations create (``Value(...)`` inside the reference) are of the wrong
class too, and the mistake reaches every node of a graph, not only leaves.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import types
from pathlib import Path

import torch

from .registry import wrong

REFERENCE = Path(__file__).resolve().parents[2] / "solutions" / "autograd.py"
_copies = itertools.count()


def fresh_reference() -> types.ModuleType:
    """A new, independent import of the reference module."""
    name = f"known_wrong_autograd_{next(_copies)}"
    spec = importlib.util.spec_from_file_location(name, REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def value_with(name: str, caught_by: str, says: str, module_globals=None, **methods) -> type:
    """Register the reference ``Value`` with ``methods`` replaced as a mistake called ``name``."""
    module = fresh_reference()
    for attribute, function in (module_globals or {}).items():
        setattr(module, attribute, function)
    for attribute, function in methods.items():
        setattr(module.Value, attribute, function)
    module.Value.__name__ = module.Value.__qualname__ = name
    return wrong("autograd.Value", caught_by=caught_by, says=says)(module.Value)


_reference_sort = fresh_reference().topological_sort


def unary(function, derivative, op: str):
    """A method ``self -> Value(function(data))`` passing back ``derivative(data, out_data)``."""

    def method(self):
        out = type(self)(function(self.data), (self,), op)

        def _backward():
            self.grad += derivative(self.data, out.data) * out.grad

        out._backward = _backward
        return out

    method.__name__ = op
    return method


# -- Value: accumulating and resetting ---------------------------------------------------

def add_assigning_grads(self, other):
    other = other if isinstance(other, type(self)) else type(self)(other)
    out = type(self)(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = out.grad  # = instead of +=: a + a gets 1, not 2
        other.grad = out.grad

    out._backward = _backward
    return out


def backward_without_resetting(self):  # micrograd's own backward: grads pile up
    order = _reference_sort(self)
    self.grad = 1.0
    for node in reversed(order):
        node._backward()


value_with("ValueAssigningGradsInsteadOfAdding", "grad", "with +=", __add__=add_assigning_grads)
value_with("ValueNotResettingGradsInBackward", "property", "a second time",
           backward=backward_without_resetting)


# -- Value: operators with a plain number on the left ----------------------------------------

value_with("ValueWithRsubComputingSelfMinusOther", "value", "Value.__rsub__",
           __rsub__=lambda self, other: self - other)
value_with("ValueWithRtruedivComputingSelfOverOther", "value", "Value.__rtruediv__",
           __rtruediv__=lambda self, other: self / other)


# -- Value: local derivatives ----------------------------------------------------------------

def pow_without_the_exponent_factor(self, exponent):
    out = type(self)(self.data ** exponent, (self,), "**")

    def _backward():
        self.grad += self.data ** (exponent - 1) * out.grad  # n forgotten

    out._backward = _backward
    return out


value_with("ValueWithTanhDerivativeUnsquared", "grad", "Value.tanh",
           tanh=unary(math.tanh, lambda x, t: 1 - t, "tanh"))
value_with("ValueWithPowDerivativeMissingTheExponent", "grad", "Value.__pow__",
           __pow__=pow_without_the_exponent_factor)
value_with("ValueWithReluDerivativeOneAtZero", "grad", "relu'(0) = 0",
           relu=unary(lambda x: max(x, 0.0), lambda x, r: float(x >= 0), "relu"))


# -- Value: domain errors --------------------------------------------------------------------

def log_like_torch(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.log(x) if x > 0 else math.nan


value_with("ValueWithLogGivingMinusInfAndNan", "errors", "should raise ValueError",
           log=unary(log_like_torch, lambda x, y: 1 / x, "log"))


def pow_with_python_power(self, exponent):  # (-8.0) ** 0.5 is complex in Python, no error
    out = type(self).__new__(type(self))
    out.data, out.grad, out.children, out.op = self.data ** exponent, 0.0, (self,), "**"
    out._backward = lambda: None
    return out


value_with("ValueWithComplexFractionalPowers", "errors", "complex",
           __pow__=pow_with_python_power)


def pow_through_math_pow(self, exponent):  # math.pow(0.0, -1) raises ValueError
    out = type(self)(math.pow(self.data, exponent), (self,), "**")

    def _backward():
        self.grad += exponent * math.pow(self.data, exponent - 1) * out.grad

    out._backward = _backward
    return out


value_with("ValueRaisingValueErrorForZeroToANegativePower", "errors", "ZeroDivisionError",
           __pow__=pow_through_math_pow)


# -- Value: purity, depth, guard -------------------------------------------------------------

def add_accumulating_numbers_into_self(self, other):
    if not isinstance(other, type(self)):
        self.data += other  # "a + 2" moves a itself
        return self
    out = type(self)(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += out.grad
        other.grad += out.grad

    out._backward = _backward
    return out


value_with("ValueAddingNumbersInPlace", "purity", "leaves its operands as they were",
           __add__=add_accumulating_numbers_into_self)


def backward_zeroing_data_instead_of_grad(self):
    order = _reference_sort(self)
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in reversed(order):
        node._backward()
    for node in order:
        node.data = 0.0  # meant "done with it": wipes the forward values


value_with("ValueWipingDataAfterBackward", "purity", "backward() only computes grads",
           backward=backward_zeroing_data_instead_of_grad)


def topological_sort_recursive(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                visit(child)
            order.append(node)

    visit(root)
    return order


value_with("ValueBackwardWithARecursiveSort", "stability", "RecursionError",
           module_globals={"topological_sort": topological_sort_recursive})


def tanh_through_torch(self):
    out = type(self)(torch.tensor(self.data).tanh().item(), (self,), "tanh")

    def _backward():
        self.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    return out


value_with("ValueCallingTorchTanh", "guard", "torch.tensor", tanh=tanh_through_torch)


# -- topological_sort -------------------------------------------------------------------------

wrong("autograd.topological_sort", caught_by="stability", says="RecursionError")(
    topological_sort_recursive)


@wrong("autograd.topological_sort", caught_by="property", says="listed twice")
def topological_sort_without_a_visited_set(root):
    order, stack = [], [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
    return order


@wrong("autograd.topological_sort", caught_by="property", says="must come last")
def topological_sort_root_first(root):
    return _reference_sort(root)[::-1]


@wrong("autograd.topological_sort", caught_by="property", says="before its child")
def topological_sort_in_reversed_breadth_first_order(root):
    order, seen, queue = [], {root}, [root]  # nearest the root first, then reversed
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node.children:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order[::-1]


@wrong("autograd.topological_sort", caught_by="purity", says="gained the attribute")
def topological_sort_marking_nodes_visited(root):
    order, stack = [], [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif not getattr(node, "visited", False):
            node.visited = True
            stack.append((node, True))
            stack.extend((child, False) for child in node.children)
    return order


@wrong("autograd.topological_sort", caught_by="guard", says="torch.")
def topological_sort_by_depth_with_torch(root):
    nodes = _reference_sort(root)
    depth = {}
    for node in nodes:
        depth[id(node)] = 1 + max((depth[id(c)] for c in node.children), default=0)
    keys = torch.tensor([depth[id(n)] for n in nodes])
    return [nodes[int(i)] for i in torch.argsort(keys, stable=True)]
