"""Reference solution for topic 7: a scalar autodiff engine, in micrograd's shape.

Every operation returns a new ``Value`` and, right next to its forward
computation, sets ``out._backward``: a closure that adds ``out.grad`` times
the local derivative to each child's ``grad`` (chain rule; ``+=`` so that a
node used several times receives the sum of its contributions).
``backward()`` zeroes every reachable grad and runs the closures from the
root down, in reverse topological order. The sort keeps its own stack, so
graphs of any depth work: no recursion.
"""

import math


class Value:
    """A scalar in a computation graph, with the gradient ``backward()`` gives it."""

    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.children = tuple(children)
        self.op = op
        self._backward = lambda: None  # a leaf passes nothing on

    def __repr__(self):
        return f"Value(data={self.data:g}, grad={self.grad:g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError(f"the exponent must be a plain number, not {type(exponent).__name__}")
        if self.data < 0 and not float(exponent).is_integer():
            raise ValueError(f"{self.data:g} ** {exponent:g}: a negative number to a fractional "
                             f"power is not a real number")
        # 0.0 ** -1 raises ZeroDivisionError by itself, as the SPEC wants.
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __radd__(self, other):  # other + self, other a plain number
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1

    def __rtruediv__(self, other):  # other / self
        return other * self ** -1

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log({self.data:g}): log is only defined for positive numbers")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():
            # > 0, not >= 0: relu'(0) = 0, as in PyTorch.
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        # exp of a number <= 0 only: math.exp overflows (OverflowError) above ~709.
        e = math.exp(-abs(self.data))
        out = Value(1 / (1 + e) if self.data >= 0 else e / (1 + e), (self,), "sigmoid")

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order = topological_sort(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # each node after every node that uses it
            node._backward()


def topological_sort(root):
    """Every node reachable from ``root``, children before parents, ``root`` last."""
    order, visited = [], set()
    stack = [(root, False)]  # (node, are its children already in order?)
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order
