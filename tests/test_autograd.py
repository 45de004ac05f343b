"""Grading tests for topic 7, ``autograd``: a scalar autodiff engine and its topological sort.

A :class:`Program` is an expression graph written down as data: leaf values
and steps (``v2 = 3 / v1``). The strategy draws it while evaluating it in
plain floats, so every step stays inside its operation's domain, and the
tests run it twice, once with the learner's ``Value`` and once with float64
torch tensors, whose autograd is the reference. ``topological_sort`` is
judged on graphs of bare :class:`Node` objects (it may rely on ``children``
only), so it is graded on its own, whatever state ``Value`` is in.
"""

from __future__ import annotations

import math
import operator
import random
from dataclasses import dataclass
from pathlib import Path

import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from gradkata import exercise
from gradkata.checks import autograd_checks as checks
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.messages import Joined, Message
from gradkata.strategies import generator_for

VALUE, SORT = "autograd.Value", "autograd.topological_sort"
DEPTH = 10_000

# -- programs: one expression graph, runnable on Values, tensors and floats -------------


@dataclass(frozen=True)
class Number:
    """A plain Python number inside a step (``2 * v1``), as opposed to a node index."""

    value: float

    def __str__(self) -> str:
        return repr(self.value)


BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
DUNDER = {"+": "add", "-": "sub", "*": "mul", "/": "truediv"}
METHODS = ("exp", "log", "tanh", "relu", "sigmoid")
FLOAT_METHODS = {"exp": math.exp, "log": math.log, "tanh": math.tanh,
                 "relu": lambda v: max(v, 0.0), "sigmoid": lambda v: 1 / (1 + math.exp(-v))}


@dataclass(frozen=True)
class Step:
    """One operation: ``op`` is ``+ - * /``, ``neg``, ``**`` or a method name."""

    op: str
    args: tuple  # node indices and Numbers; for "**": (index, Number(exponent))

    def apply(self, nodes: list, call_method):
        args = [a.value if isinstance(a, Number) else nodes[a] for a in self.args]
        if self.op in BINARY:
            return BINARY[self.op](*args)
        if self.op == "neg":
            return -args[0]
        if self.op == "**":
            return args[0] ** args[1]
        return call_method(args[0], self.op)

    def text(self, names: list[str]) -> str:
        words = [str(a) if isinstance(a, Number) else names[a] for a in self.args]
        if self.op in BINARY or self.op == "**":
            return f"{words[0]} {self.op} {words[1]}"
        return f"-{words[0]}" if self.op == "neg" else f"{words[0]}.{self.op}()"

    def method(self) -> str:
        if self.op in BINARY:
            flipped = "r" if isinstance(self.args[0], Number) else ""
            return f"Value.__{flipped}{DUNDER[self.op]}__"
        return {"neg": "Value.__neg__", "**": "Value.__pow__"}.get(self.op, f"Value.{self.op}")


def call_method(node, name: str):
    return getattr(node, name)()


def float_method(value: float, name: str) -> float:
    return FLOAT_METHODS[name](value)


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[Step, ...]

    def run(self, make_leaf, after_step=None) -> list:
        """Every node, leaves first, the root last; ``after_step(nodes)`` after each step."""
        nodes = [make_leaf(v) for v in self.leaves]
        for step in self.steps:
            nodes.append(step.apply(nodes, call_method))
            if after_step is not None:
                after_step(nodes)
        return nodes

    def on_values(self, value_type, after_step=None) -> list:
        return self.run(value_type, after_step)

    def on_torch(self) -> tuple[list[float], list[float]]:
        """(data, grad) of every node, by torch autograd in float64."""
        nodes = self.run(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
        for node in nodes[len(self.leaves):]:
            node.retain_grad()
        nodes[-1].backward()
        return [n.item() for n in nodes], [n.grad.item() for n in nodes]

    def view(self) -> checks.GraphView:
        leaves = len(self.leaves)
        names = [f"x{i}" for i in range(leaves)] + [f"v{i + 1}" for i in range(len(self.steps))]
        names[-1] = "y"
        definitions = [f"x{i} = Value({v!r})" for i, v in enumerate(self.leaves)]
        definitions += [f"{names[leaves + k]} = {s.text(names)}" for k, s in enumerate(self.steps)]
        inputs = [()] * leaves + [tuple(a for a in s.args if not isinstance(a, Number))
                                  for s in self.steps]
        methods = [""] * leaves + [s.method() for s in self.steps]
        return checks.GraphView(tuple(names), tuple(definitions), tuple(methods), tuple(inputs))


# -- drawing programs inside every operation's domain -----------------------------------

CONSTANTS = (2, 3, -1, 0.5, 1.5, -2.5)
EXPONENTS = (2, 3, -1, 2.0, -2.0, 0.5, 1.5, -0.5)
EDGE_LEAVES = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5)
BOUND = 1e3  # no node above this: float64 keeps every comparison meaningful
FORMS = ("node op node", "node op number", "number op node")
UNARY = ("neg", "**", *METHODS)  # ** counts here: its exponent is always a plain number
KINDS = [(op, form) for op in BINARY for form in FORMS] + [(op, "") for op in UNARY]
LEAF_VALUES = st.one_of(st.sampled_from(EDGE_LEAVES), st.floats(-3, 3).map(lambda v: round(v, 2)))


def in_domain(step: Step, values: list[float], leaves: int) -> bool:
    """Inside the domain with a margin, and away from relu's kink unless exactly on it."""
    args = [a.value if isinstance(a, Number) else values[a] for a in step.args]
    x = args[0]
    if step.op == "/":
        return abs(args[1]) >= 0.25
    if step.op == "**":
        power = args[1]
        return (power > 0 or abs(x) >= 0.25) and (float(power).is_integer() or x >= 0.1)
    # relu's kink: an exact 0 only from a leaf, where every engine agrees it is 0.
    limits = {"log": x >= 0.1, "exp": x <= 5, "tanh": abs(x) <= 30, "sigmoid": abs(x) <= 30,
              "relu": (x == 0.0 and step.args[0] < leaves) or abs(x) >= 1e-6}
    return limits.get(step.op, True)


def fits(step: Step, values: list[float], leaves: int) -> bool:
    return in_domain(step, values, leaves) and abs(step.apply(values, float_method)) <= BOUND


def operand(rng: random.Random, count: int) -> int:
    """A node index, mostly a recent one: graphs come out chain-like, so that a wrong grad
    has few suspects, with shared nodes and diamonds all the same."""
    return count - 1 - int(rng.random() ** 3 * count)


def step_of_kind(rng: random.Random, op: str, form: str, values: list[float], leaves: int) -> Step:
    """A step of the given kind on the nodes so far, inside its domain (``x0 + x0`` if none is)."""
    nodes = range(len(values))
    first = operand(rng, len(values))
    if form == "node op node":
        seconds = [first] if rng.random() < 0.3 else [operand(rng, len(values)) for _ in range(4)]
        options = [Step(op, (first, j)) for j in seconds]  # a + a, a * a, ... often
    elif form == "node op number":
        options = [Step(op, (first, Number(c))) for c in CONSTANTS]
    elif form == "number op node":
        options = [Step(op, (Number(rng.choice(CONSTANTS)), i)) for i in nodes]
    elif op == "**":
        options = [Step(op, (first, Number(p))) for p in EXPONENTS]
    else:  # -x or a method: on the recent operand if it fits, else on any node that does
        options = [Step(op, (first,))]
        if not fits(options[0], values, leaves):
            options = [Step(op, (i,)) for i in nodes]
    options = [step for step in options if fits(step, values, leaves)]
    return rng.choice(options) if options else Step("+", (0, 0))


# Programs come from a seeded random.Random: drawing some forty steps choice by choice
# through hypothesis would cost more than running them. Hence nothing to shrink either;
# the checks' messages point at the first node that goes wrong, with its inputs, instead.
UNSHRUNK = settings(phases=[Phase.explicit, Phase.reuse, Phase.generate])


@st.composite
def programs(draw, max_leaves: int = 3, max_extra_steps: int = 4) -> Program:
    """A random expression graph using every kind of step at least once (shuffled), nodes
    shared, every node reaching the root. ``--seed`` changes it, like every drawn tensor."""
    rng = random.Random(generator_for(draw(st.integers(0, 2**32))).initial_seed())
    leaves = [rng.choice(EDGE_LEAVES) if rng.random() < 0.3 else round(rng.uniform(-3, 3), 2)
              for _ in range(rng.randint(1, max_leaves))]
    kinds = rng.sample(KINDS, len(KINDS)) + rng.choices(KINDS, k=rng.randint(0, max_extra_steps))
    values, steps = list(leaves), []
    for op, form in kinds:
        steps.append(step_of_kind(rng, op, form, values, len(leaves)))
        values.append(steps[-1].apply(values, float_method))
    used = {a for s in steps for a in s.args if not isinstance(a, Number)}
    for unused in [i for i in range(len(values) - 1) if i not in used]:
        steps.append(Step("+", (len(leaves) + len(steps) - 1, unused)))  # tie it into the root
    return Program(tuple(leaves), tuple(steps))


# -- Value: value and grad against torch autograd ------------------------------------------

@exercise(VALUE, check="value")
@UNSHRUNK
@given(program=programs())
def test_every_node_holds_what_torch_computes(impl, program):
    data, _ = program.on_torch()
    checks.check_graph_data(program.on_values(impl.Value), data, program.view())


@exercise(VALUE, check="value")
@given(a=st.one_of(LEAF_VALUES, st.integers(-3, 3)), b=LEAF_VALUES,
       op=st.sampled_from(["+", "-", "*", "neg", "exp", "tanh"]))
def test_a_value_keeps_data_grad_children_and_op(impl, a, b, op):
    x, other = impl.Value(a), impl.Value(b)
    checks.check_fresh_value(x, a, f"Value({a!r})")
    result = Step(op, (0, 1) if op in BINARY else (0,)).apply([x, other], call_method)
    checks.check_node_links(result, [x, other] if op in BINARY else [x],
                            Message("tests_autograd.result_of", op=op))


@exercise(VALUE, check="grad")
@UNSHRUNK
@given(program=programs())
def test_every_grad_matches_torch_autograd(impl, program):
    data, grads = program.on_torch()
    nodes = program.on_values(impl.Value)
    nodes[-1].backward()
    checks.check_graph_grads(nodes, grads, program.view(), data)


@exercise(VALUE, check="grad")
@given(x=st.floats(-5, 5).map(lambda v: round(v, 2)))
def test_the_worked_example_2x_squared_plus_3x_plus_1(impl, x):
    steps = (Step("**", (0, Number(2))), Step("*", (Number(2), 1)), Step("*", (Number(3), 0)),
             Step("+", (2, 3)), Step("+", (4, Number(1))))
    program = Program((x,), steps)
    nodes = program.on_values(impl.Value)
    nodes[-1].backward()
    data, grads = program.on_torch()
    checks.check_graph_grads(nodes, grads, program.view(), data, after=Message(
                             "tests_autograd.backward_for", y="y = 2 * x0 ** 2 + 3 * x0 + 1",
                             slope="dy/dx0 = 4 x0 + 3"))


@exercise(VALUE, check="grad")
@given(x=LEAF_VALUES, uses=st.integers(2, 5), op=st.sampled_from(["+", "*"]))
def test_a_node_used_several_times_receives_the_sum(impl, x, uses, op):
    steps = [Step(op, (0, 0))] + [Step(op, (k, 0)) for k in range(1, uses - 1)]
    program = Program((x,), tuple(steps))
    nodes = program.on_values(impl.Value)
    nodes[-1].backward()
    data, grads = program.on_torch()
    checks.check_graph_grads(nodes, grads, program.view(), data)


@exercise(VALUE, check="grad")
def test_relu_passes_no_gradient_at_zero(impl):
    program = Program((0.0, -0.0), (Step("relu", (0,)), Step("relu", (1,)), Step("+", (2, 3))))
    nodes = program.on_values(impl.Value)
    nodes[-1].backward()
    checks.check_graph_grads(nodes, [0.0, 0.0, 1.0, 1.0, 1.0], program.view(), [0.0] * 5,
                             after=Message("tests_autograd.relu_at_zero"))


# -- Value: property, stability, purity ------------------------------------------------------

@exercise(VALUE, check="property")
@UNSHRUNK
@given(program=programs(), other=st.integers(0, 64))
def test_backward_resets_grads_so_repeating_it_changes_nothing(impl, program, other):
    nodes, view = program.on_values(impl.Value), program.view()
    nodes[-1].backward()
    once = checks.read_grads(nodes, view)
    nodes[-1].backward()
    checks.check_same_grads(once, nodes, view, Message("tests_autograd.second_backward"))
    earlier = len(program.leaves) + other % len(program.steps)
    nodes[earlier].backward()  # leaves other grads behind, which y.backward() must clear
    nodes[-1].backward()
    checks.check_same_grads(once, nodes, view,
                            Message("tests_autograd.backward_again", name=view.names[earlier]))


@exercise(VALUE, check="stability")
def test_backward_works_on_a_graph_10000_deep(impl):
    x = impl.Value(0.5)
    y = checks.run_deep(lambda: chain(x), Message("tests_autograd.building_chain", depth=DEPTH))
    checks.run_deep(lambda: y.backward(), Message("tests_autograd.backward_deep", depth=DEPTH))
    view = checks.GraphView(("x", "y"), ("x = Value(0.5)", f"y = x * 1.0001 * ... ({DEPTH} times)"),
                            ("", "Value.__mul__"), ((), (0,)))
    forward, slope = chain(0.5), chain(1.0)  # the same products in plain floats
    checks.check_graph_data([x, y], [0.5, forward], view)
    checks.check_graph_grads([x, y], [slope, 1.0], view, [0.5, forward])


def chain(x, depth: int = DEPTH):
    """x * 1.0001 * 1.0001 * ... (``depth`` times), for a Value or a float."""
    for _ in range(depth):
        x = x * 1.0001
    return x


@exercise(VALUE, check="purity")
@UNSHRUNK
@given(program=programs())
def test_operations_and_backward_leave_every_data_as_it_was(impl, program):
    view, made = program.view(), []

    def operands_unchanged(nodes):
        newest = len(nodes) - 1
        checks.check_data_kept(nodes[:-1], made, view,
                               Message("tests_autograd.computing", step=view.definitions[newest]),
                               Message("tests_autograd.operands_kept"))
        made.append(checks.read_number(nodes[-1], "data", view.names[newest]))

    made.extend(program.leaves)
    nodes = program.on_values(impl.Value, after_step=operands_unchanged)
    nodes[-1].backward()
    checks.check_data_kept(nodes, made, view, "y.backward()", Message("tests_autograd.data_kept"))


# -- Value: errors and guard -------------------------------------------------------------------

NEGATIVE = st.floats(-100, -0.01).map(lambda v: round(v, 2))


@exercise(VALUE, check="errors")
@given(v=st.one_of(st.just(0.0), NEGATIVE))
def test_log_of_a_number_at_most_zero_raises_value_error(impl, v):
    checks.check_raises(lambda: impl.Value(v).log(), ValueError, f"Value({v!r}).log()",
                        Message("tests_autograd.log_domain"))


@exercise(VALUE, check="errors")
@given(v=NEGATIVE, power=st.sampled_from([0.5, 1.5, -0.5, 1 / 3]))
def test_a_fractional_power_of_a_negative_number_raises_value_error(impl, v, power):
    checks.check_raises(lambda: impl.Value(v) ** power, ValueError, f"Value({v!r}) ** {power!r}",
                        Message("tests_autograd.no_real_result"))


@exercise(VALUE, check="errors")
@given(power=st.sampled_from([-1, -2, -1.0, -0.5]), form=st.sampled_from(["**", "/", "r/"]))
def test_zero_to_a_negative_power_raises_zero_division_error(impl, power, form):
    zero = impl.Value(0.0)
    call, what = {"**": (lambda: zero ** power, f"Value(0.0) ** {power!r}"),
                  "/": (lambda: impl.Value(1.0) / zero, "Value(1.0) / Value(0.0)"),
                  "r/": (lambda: 2 / zero, "2 / Value(0.0)")}[form]
    checks.check_raises(call, ZeroDivisionError, what, Message("tests_autograd.zero_division"))


@exercise(VALUE, check="guard")
@settings(max_examples=5, phases=UNSHRUNK.phases)
@given(program=programs())
def test_value_calls_no_torch(impl, forbidden, program):
    source = Path(impl.__file__)
    check_source_clean(scan_source(source), "Value")
    check_source_clean(checks.torch_imports(source), "Value")
    check_no_forbidden_calls(lambda: program.on_values(impl.Value)[-1].backward(), rules=forbidden)


# -- topological_sort, on graphs of bare nodes ------------------------------------------------

class Node:
    """A bare graph node: what topological_sort may rely on is ``children``."""

    def __init__(self, name: str, children=()):
        self.name, self.children = name, tuple(children)
        self.data, self.grad, self.op = 0.0, 0.0, ""

    def __repr__(self) -> str:
        return self.name


@st.composite
def dags(draw, max_nodes: int = 10) -> list[Node]:
    """Nodes n0, n1, ... each with up to three earlier children (repeats allowed); the last is
    the root, and some nodes may be out of its reach."""
    nodes: list[Node] = []
    for k in range(draw(st.integers(1, max_nodes))):
        picks = draw(st.lists(st.integers(0, k - 1), max_size=3)) if k else []
        nodes.append(Node(f"n{k}", [nodes[i] for i in picks]))
    return nodes


def describe(nodes: list[Node]) -> Joined:
    lines = [f"  {n.name}.children = {n.children!r}" for n in nodes if n.children]
    return Joined([Message("tests_autograd.graph_root", root=nodes[-1].name),
                   *(lines or [Joined(("  ", Message("tests_autograd.single_node")), "")])])


def deep_chain(depth: int = DEPTH) -> list[Node]:
    """n1 ... n<depth>, each with children (previous, leaf): deep, and one node shared by all."""
    leaf = Node("leaf")
    nodes = [leaf, Node("n1", [leaf])]
    for k in range(2, depth + 1):
        nodes.append(Node(f"n{k}", [nodes[-1], leaf]))
    return nodes


@exercise(SORT, check="property")
@given(nodes=dags())
def test_sort_lists_each_reachable_node_once_after_its_children(impl, nodes):
    root = nodes[-1]
    checks.check_topological_order(impl.topological_sort(root), root, repr, describe(nodes))


@exercise(SORT, check="stability")
def test_sort_handles_a_chain_10000_deep(impl):
    nodes = deep_chain()
    order = checks.run_deep(lambda: impl.topological_sort(nodes[-1]),
                            Message("tests_autograd.sort_deep", depth=DEPTH))
    checks.check_topological_order(order, nodes[-1], repr,
                                   Message("tests_autograd.deep_chain", depth=DEPTH))


@exercise(SORT, check="purity")
@given(nodes=dags())
def test_sort_leaves_the_graph_as_it_was(impl, nodes):
    saved = checks.snapshot(nodes)
    impl.topological_sort(nodes[-1])
    checks.check_unchanged(saved, repr, "topological_sort")


@exercise(SORT, check="guard")
@settings(max_examples=5)
@given(nodes=dags())
def test_sort_calls_no_torch(impl, forbidden, nodes):
    source = Path(impl.__file__)
    check_source_clean(scan_source(source), "topological_sort")
    check_source_clean(checks.torch_imports(source), "topological_sort")
    check_no_forbidden_calls(impl.topological_sort, nodes[-1], rules=forbidden)
