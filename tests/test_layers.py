"""Grading tests for topic 6, ``layers``: the linear layer, modules and Sequential.

Every exercise is one ``Subject``: how to draw the tensors for one call
(a ``Run``) and how to turn the submission into a function of those tensors
(for a module: build it, put the tensors in, run forward and backward). The
dtype, device, purity and guard families are one test each over all
subjects; the value, grad, property and errors tests are the exercise's own.
References are PyTorch's (``F.linear``, ``nn.Sequential`` with the same
weights) and its autograd, evaluated in float64.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from gradkata import check_gradient, exercise
from gradkata.checks import devices, purity, values
from gradkata.checks.errors import check_raises_value_error
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.checks.layers_checks import (
    assert_gradients_close,
    check_calls,
    check_container,
    check_not_accumulated,
    check_same_objects,
    check_uniform_init,
    tensor_leaves,
)
from gradkata.messages import Message
from gradkata.strategies import float_tensors, generator_for

TOPIC = "layers"
SEEDS = st.integers(0, 2**32)
SIDES = st.integers(1, 6)
DTYPES = st.sampled_from([torch.float32, torch.float64])
GRADIENT_NAMES = ("grad_x", "grad_weight", "grad_bias")
NO_GPU = "no CUDA device: real GPU parity not checked"


def share_of_examples(fraction: float) -> settings:
    """A fraction of the active profile's examples, for checks whose bugs do not hide
    in particular values (dtype, purity, guard): dev runs stay fast, grading scales."""
    return settings(max_examples=max(3, round(settings.default.max_examples * fraction)))


# Comparisons of float32 results pass ``scale_by=(x,)`` or ``(grad_out, x)``: x @ W^T
# and grad_out^T @ x sum products of that size, so their rounding error scales with
# them even where the sum cancels to a small number.
def autograd(function: Callable, *tensors, grad_out) -> list:
    """float64 gradients of ``<function(*tensors), grad_out>`` per tensor (None stays None)."""
    leaves = [None if t is None else t.detach().double().requires_grad_(True) for t in tensors]
    grads = iter(torch.autograd.grad(function(*leaves), [t for t in leaves if t is not None],
                                     grad_out.double()))
    return [None if leaf is None else next(grads) for leaf in leaves]


# For gradient checks of whole modules: a failing check is diagnosed input by input,
# which costs seconds, and its message names the input and the kind of mistake, not
# the drawn values. Shrinking would repeat that diagnosis for no clearer message.
NO_SHRINKING = settings(phases=[Phase.explicit, Phase.reuse, Phase.generate])


# The activation modules wrap functions topic 4 grades thoroughly; a wrapper's own
# mistakes (a wrong cache, the output passed as the input) show in nearly every example.
WRAPPER_EXAMPLES = share_of_examples(1 / 2)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)



# -- what is drawn: one Run per call --------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """The tensors for one call of an exercise, in its argument order, and the call in words."""

    tensors: tuple
    text: str
    seed: int = 0  # for a module's generator


INPUT_SCALES, WEIGHT_SCALES = (0.1, 1.0, 3.0), (0.3, 1.0)


@st.composite
def tensors(draw, shapes: list, scales: list, dtype) -> list[torch.Tensor]:
    """``scale * N(0, 1)`` tensors of ``shapes``, each scale drawn from its entry of ``scales``,
    all from one seeded generator: far cheaper than a hypothesis draw per tensor."""
    picked = [draw(st.sampled_from(options)) for options in scales]
    seeded = generator_for(draw(SEEDS))
    return [(torch.randn(shape, generator=seeded, dtype=torch.float64) * scale).to(dtype)
            for shape, scale in zip(shapes, picked, strict=True)]


@st.composite
def linear_runs(draw, dtype=None, backward: bool = False, module: bool = False) -> Run:
    """``linear(x, weight[, bias])``, ``linear_backward(grad_out, x, weight[, bias])`` or a
    ``Linear`` pass ``(x, weight, bias, grad_out)``; the bias given, None or left out."""
    n, fan_in, fan_out, dtype = draw(SIDES), draw(SIDES), draw(SIDES), dtype or draw(DTYPES)
    x, weight, bias_values, grad_out = draw(tensors(
        [(n, fan_in), (fan_out, fan_in), (fan_out,), (n, fan_out)],
        [INPUT_SCALES, WEIGHT_SCALES, INPUT_SCALES, (1.0,)], dtype))
    bias_kind = draw(st.sampled_from(["tensor", "None"] + ([] if module else ["left out"])))
    bias = (bias_values,) if bias_kind == "tensor" else (None,) if bias_kind == "None" else ()
    if module:
        text = f"Linear({fan_in}, {fan_out}{'' if bias[0] is not None else ', bias=False'})"
        return Run((x, weight, *bias, grad_out), text, draw(SEEDS))
    names = ["grad_out"] * backward + ["x", "weight"] + ["bias" if b is not None else "None"
                                                      for b in bias]
    text = f"linear{'_backward' if backward else ''}({', '.join(names)})"
    return Run(((grad_out,) if backward else ()) + (x, weight, *bias), text)


@st.composite
def activation_runs(draw, dtype=None, name: str = "") -> Run:
    """``(x, grad_out)`` of one shape, 0-D to 4-D, for a forward and backward pass."""
    x = draw(float_tensors(dtype=dtype))  # with exact 0s: relu's kink
    (grad_out,) = draw(tensors([tuple(x.shape)], [(1.0,)], x.dtype))
    return Run((x, grad_out), f"{name}()")


NETWORK = "Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8))"
TORCH_NETWORK = "nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 8))"
NETWORK_PARAMETERS = ("first.weight", "first.bias", "second.weight", "second.bias")
NETWORK_SHAPES = ((5, 10), (5,), (8, 5), (8,))


@st.composite
def network_runs(draw, dtype=torch.float32) -> Run:
    """``(x, first.weight, first.bias, second.weight, second.bias, grad_out)``: the SPEC's net."""
    n = draw(SIDES)
    shapes = [(n, 10), *NETWORK_SHAPES, (n, 8)]
    scales = [INPUT_SCALES] + [WEIGHT_SCALES] * len(NETWORK_SHAPES) + [(1.0,)]
    return Run(tuple(draw(tensors(shapes, scales, dtype))), NETWORK, draw(SEEDS))


# -- how a submission becomes a function of a Run's tensors -----------------------------------

def linear_module(impl, run: Run):
    _, weight, bias, _ = run.tensors
    return impl.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                       generator=generator(run.seed))


def linear_pass(module) -> Callable:
    def forward_and_backward(x, weight, bias, grad_out):
        module.weight, module.bias = weight, bias
        output = module.forward(x)
        return output, module.backward(grad_out), module.grads()

    return forward_and_backward


def activation_pass(module) -> Callable:
    def forward_and_backward(x, grad_out):
        output = module.forward(x)
        return output, module.backward(grad_out)

    return forward_and_backward


def build_network(impl, run: Run) -> tuple:
    """``(network, first Linear, second Linear)`` from this submission's own modules."""
    first = impl.Linear(10, 5, generator=generator(run.seed))
    second = impl.Linear(5, 8, generator=generator(run.seed + 1))
    return impl.Sequential(first, impl.Sigmoid(), second), first, second


def network_pass(network, first, second) -> Callable:
    def forward_and_backward(x, first_weight, first_bias, second_weight, second_bias, grad_out):
        first.weight, first.bias = first_weight, first_bias
        second.weight, second.bias = second_weight, second_bias
        output = network.forward(x)
        return output, network.backward(grad_out), network.grads()

    return forward_and_backward


@dataclass(frozen=True)
class Subject:
    """One exercise: how to draw a Run, and the submission as a function of its tensors."""

    name: str
    runs: Callable[..., st.SearchStrategy[Run]]  # runs(dtype=None)
    start: Callable  # (impl, run) -> function of run.tensors

    def what(self, run: Run) -> str:
        """The call in words: ``linear(x, weight)``, ``Linear(3, 4) forward and backward``."""
        return (Message("tests_layers.forward_and_backward", call=run.text)
                if self.name[0].isupper() else run.text)


SUBJECTS = [
    Subject("linear", linear_runs, lambda impl, run: impl.linear),
    Subject("linear_backward", lambda dtype=None: linear_runs(dtype, backward=True),
            lambda impl, run: impl.linear_backward),
    Subject("Linear", lambda dtype=None: linear_runs(dtype, module=True),
            lambda impl, run: linear_pass(linear_module(impl, run))),
    *(Subject(name, lambda dtype=None, name=name: activation_runs(dtype, name),
              lambda impl, run, name=name: activation_pass(getattr(impl, name)()))
      for name in ("Sigmoid", "Tanh", "ReLU")),
    Subject("Sequential", network_runs, lambda impl, run: network_pass(*build_network(impl, run))),
]


def subjects(family: str) -> list:
    return [pytest.param(s, id=s.name, marks=exercise(f"{TOPIC}.{s.name}", family))
            for s in SUBJECTS]


def marked(name: str, family: str):
    return exercise(f"{TOPIC}.{name}", family)


# -- linear and linear_backward -----------------------------------------------------------

def padded(run: Run, backward: bool = False) -> tuple:
    """The run's tensors with the bias slot filled: (grad_out,) x, weight, bias-or-None."""
    return run.tensors + (None,) * ((4 if backward else 3) - len(run.tensors))


@marked("linear", "value")
@given(run=linear_runs())
def test_linear_matches_pytorch(impl, run):
    x, weight, bias = (None if t is None else t.double() for t in padded(run))
    values.assert_close(impl.linear(*run.tensors), F.linear(x, weight, bias), what=run.text,
                        reference="torch.nn.functional.linear", scale_by=(x,))


@marked("linear", "errors")
@share_of_examples(1 / 2)
@given(n=SIDES, fan_in=SIDES, other=SIDES, fan_out=SIDES)
def test_linear_raises_pytorchs_message_for_mismatched_shapes(impl, n, fan_in, other, fan_out):
    other += other >= fan_in  # any size but fan_in
    check_raises_value_error(
        impl.linear, torch.ones(n, fan_in), torch.ones(fan_out, other),
        what=Message("tests_layers.linear_shapes", x=(n, fan_in), weight=(fan_out, other)),
        expected_message=f"mat1 and mat2 shapes cannot be multiplied ({n}x{fan_in} and "
                         f"{other}x{fan_out})")


# The finite-difference checks come first: when both grad tests of an exercise
# fail, the card shows their diagnosis (transposed, a missing batch reduction).
@marked("linear_backward", "grad")
@given(run=linear_runs(torch.float64, backward=True))
def test_linear_backward_matches_finite_differences_of_your_linear(impl, run):
    grad_out, *inputs = run.tensors
    inputs = [t for t in inputs if t is not None]
    count = len(inputs)  # the gradients to check: grad_bias only when there is a bias
    impl.linear_backward(*run.tensors)  # a stub is todo itself, not "blocked by" linear
    check_gradient(impl.linear, lambda g, *args: tuple(impl.linear_backward(g, *args))[:count],
                   inputs, grad_out=grad_out, names=["x", "weight", "bias"][:count])


@marked("linear_backward", "grad")
@given(run=linear_runs(backward=True))
def test_linear_backward_matches_autograd(impl, run):
    grad_out, x, weight, bias = padded(run, backward=True)
    assert_gradients_close(impl.linear_backward(*run.tensors),
                           autograd(F.linear, x, weight, bias, grad_out=grad_out), GRADIENT_NAMES,
                           what=run.text, reference=Message("tests_activations.autograd_of",
                                                            name="torch.nn.functional.linear"),
                           scale_by=(grad_out, x))


# -- Linear ------------------------------------------------------------------------------------

INIT_SIZES = [(2, 300), (3, 400), (10, 60), (64, 8)]  # (in, out): enough entries to judge spread


def linear_text(fan_in: int, fan_out: int, bias: bool = True) -> str:
    return f"Linear({fan_in}, {fan_out}{'' if bias else ', bias=False'})"


@marked("Linear", "property")
@given(size=st.sampled_from(INIT_SIZES), seed=SEEDS)
def test_linear_module_draws_its_parameters_uniformly_within_one_over_sqrt_in(impl, size, seed):
    fan_in, fan_out = size
    module, what = impl.Linear(fan_in, fan_out, generator=generator(seed)), linear_text(*size)
    for name, shape in (("weight", (fan_out, fan_in)), ("bias", (fan_out,))):
        tensor = values.check_is_tensor(getattr(module, name, None), f"{what}.{name}")
        if tuple(tensor.shape) != shape:
            raise CheckFailure(Message("tests_layers.weight_shape", what=f"{what}.{name}",
                                       shape=tuple(tensor.shape), expected=shape))
        check_uniform_init(tensor, fan_in**-0.5, f"{what}.{name}")


@marked("Linear", "property")
@given(fan_in=SIDES, fan_out=SIDES, bias=st.booleans(), seed=st.integers(0, 2**31))
def test_linear_module_draws_its_parameters_from_its_generator(impl, fan_in, fan_out, bias, seed):
    def parameters(generator_seed: int) -> list:
        module = impl.Linear(fan_in, fan_out, bias=bias, generator=generator(generator_seed))
        return [module.weight] + ([module.bias] if bias else [])

    def same(a: list, b: list) -> bool:
        return all(torch.equal(p, q) for p, q in zip(a, b, strict=True))

    what = f"{linear_text(fan_in, fan_out, bias)[:-1]}, generator=g)"
    first, again, other = parameters(seed), parameters(seed), parameters(seed + 1)
    if not same(first, again):
        raise CheckFailure(Message("tests_layers.global_rng", what=what))
    if same(first, other):
        raise CheckFailure(Message("tests_layers.generator_ignored", what=what, seed=seed,
                                   other=seed + 1))


@marked("Linear", "property")
@given(fan_in=SIDES, fan_out=SIDES, bias=st.booleans(), seed=SEEDS)
def test_linear_module_lists_its_parameters_and_zero_gradients_before_backward(
        impl, fan_in, fan_out, bias, seed):
    module = impl.Linear(fan_in, fan_out, bias=bias, generator=generator(seed))
    what = linear_text(fan_in, fan_out, bias)
    if not bias and module.bias is not None:
        raise CheckFailure(Message("tests_layers.bias_not_none", what=what,
                                   type=type(module.bias).__name__))
    own = [module.weight] + ([module.bias] if bias else [])
    check_same_objects(module.parameters(), own, ["weight", "bias"][:len(own)],
                       f"{what}.parameters()")
    grads = module.grads()
    assert_gradients_close(grads, [torch.zeros_like(p) for p in own], GRADIENT_NAMES[1:][:len(own)],
                           what=Message("tests_layers.grads_before_backward", what=what),
                           reference=Message("tests_layers.zeros"))
    for grad, parameter in zip(grads, own, strict=True):
        values.check_dtype(grad, parameter.dtype,
                           Message("tests_layers.grads_before_backward", what=what))


@marked("Linear", "value")
@given(run=linear_runs(torch.float32, module=True))
def test_linear_module_forward_matches_pytorch(impl, run):
    module, x = linear_module(impl, run), run.tensors[0]
    weight, bias = (None if p is None else p.double() for p in (module.weight, module.bias))
    values.assert_close(module.forward(x), F.linear(x.double(), weight, bias),
                        what=f"{run.text}.forward(x)",
                        reference=Message("tests_layers.linear_with_its_parameters"),
                        scale_by=(x,))


def module_gradients(module, x, grad_out) -> list:
    """Autograd's [grad_x, grad_weight(, grad_bias)] for ``module``'s own parameters."""
    grads = autograd(F.linear, x, module.weight, module.bias, grad_out=grad_out)
    return [g for g in grads if g is not None]


@marked("Linear", "grad")
@NO_SHRINKING
@given(run=linear_runs(torch.float64, module=True))
def test_linear_module_backward_matches_finite_differences_of_its_forward(impl, run):
    module, grad_out = linear_module(impl, run), run.tensors[-1]
    inputs = [t for t in run.tensors[:-1] if t is not None]

    def forward(x, weight, bias=None):
        module.weight, module.bias = weight, bias
        return module.forward(x)

    def backward(grad_out, *args):
        forward(*args)
        return (module.backward(grad_out), *module.grads())

    check_gradient(forward, backward, inputs, grad_out=grad_out,
                   names=["x", "weight", "bias"][:len(inputs)])


@marked("Linear", "grad")
@given(run=linear_runs(torch.float32, module=True))
def test_linear_module_backward_matches_autograd(impl, run):
    module, (x, *_, grad_out) = linear_module(impl, run), run.tensors
    expected = module_gradients(module, x, grad_out)
    reference = Message("tests_activations.autograd_of", name="torch.nn.Linear")
    module.forward(x)
    values.assert_close(module.backward(grad_out), expected[0],
                        what=f"{run.text}.backward(grad_out)", reference=reference,
                        scale_by=(grad_out, x))
    assert_gradients_close(module.grads(), expected[1:], GRADIENT_NAMES[1:len(expected)],
                           what=Message("tests_layers.grads_after_backward", call=run.text),
                           reference=reference,
                           scale_by=(grad_out, x))


@marked("Linear", "grad")
@given(run=linear_runs(torch.float32, module=True), seed=SEEDS)
def test_linear_module_backward_overwrites_the_gradients_of_the_last_pass(impl, run, seed):
    module, (x, *_, grad_out) = linear_module(impl, run), run.tensors
    later = generator_for(seed)
    passes = [(x, grad_out), (torch.randn(x.shape, generator=later),
                              torch.randn(grad_out.shape, generator=later))]
    first, second = (module_gradients(module, *p)[1:] for p in passes)
    for inputs, upstream in passes:
        module.forward(inputs)
        module.backward(upstream)
    grads, what = module.grads(), Message("tests_layers.grads_after_two_passes", call=run.text)
    check_not_accumulated(grads, first, second, what)
    assert_gradients_close(grads, second, GRADIENT_NAMES[1:1 + len(second)], what=what,
                           reference=Message("tests_layers.second_pass"),
                           scale_by=passes[1][::-1])


# -- Sigmoid, Tanh, ReLU ----------------------------------------------------------------------

@dataclass(frozen=True)
class Activation:
    name: str  # the module, "Sigmoid"
    function: str  # the learner's own activation it must use, "sigmoid"
    reference: Callable
    reference_name: str


ACTIVATIONS = [Activation("Sigmoid", "sigmoid", torch.sigmoid, "torch.sigmoid"),
               Activation("Tanh", "tanh", torch.tanh, "torch.tanh"),
               Activation("ReLU", "relu", torch.relu, "torch.relu")]


def activations(family: str) -> list:
    return [pytest.param(a, id=a.name, marks=marked(a.name, family)) for a in ACTIVATIONS]


KINK = Run((torch.tensor([-1.0, 0.0, -0.0, 2.0]), torch.tensor([0.5, 3.0, -2.0, 1.0])), "")


def own_activations(impl):
    """The activations module these layers import: the learner's, or the reference standing in."""
    return sys.modules[f"{impl.__name__.rpartition('.')[0]}.activations"]


@pytest.mark.parametrize("activation", activations("guard"))
@WRAPPER_EXAMPLES
@given(run=activation_runs())
def test_activation_module_uses_your_own_activation(impl, activation, run):
    own = getattr(own_activations(impl), activation.function)
    check_calls(getattr(impl, activation.name)().forward, run.tensors[0], required=own,
                what=f"{activation.name}.forward(x)",
                advice=Message("tests_layers.use_your_own", function=activation.function))


@pytest.mark.parametrize("activation", activations("value"))
@WRAPPER_EXAMPLES
@given(run=activation_runs())
def test_activation_module_matches_pytorch(impl, activation, run):
    x = run.tensors[0]
    values.assert_close(getattr(impl, activation.name)().forward(x),
                        activation.reference(x.double()), what=f"{activation.name}().forward(x)",
                        reference=activation.reference_name)


@pytest.mark.parametrize("activation", activations("grad"))
@WRAPPER_EXAMPLES
@given(run=activation_runs(torch.float64))
def test_activation_module_backward_matches_finite_differences_of_its_forward(
        impl, activation, run):
    module, (x, grad_out) = getattr(impl, activation.name)(), run.tensors
    check_gradient(module.forward, lambda g, t: activation_pass(module)(t, g)[1], [x],
                   grad_out=grad_out, names=["x"], elementwise=True)


@pytest.mark.parametrize("activation", activations("grad"))
@WRAPPER_EXAMPLES
@given(run=activation_runs())
@example(run=KINK)  # relu'(0) = 0, as PyTorch: always checked, whatever is drawn
def test_activation_module_backward_matches_autograd(impl, activation, run):
    x, grad_out = run.tensors
    values.assert_close(activation_pass(getattr(impl, activation.name)())(x, grad_out)[1],
                        autograd(activation.reference, x, grad_out=grad_out)[0],
                        what=f"{activation.name}().backward(grad_out)",
                        reference=Message("tests_activations.autograd_of",
                                          name=activation.reference_name), scale_by=(grad_out,))


@pytest.mark.parametrize("activation", activations("property"))
@WRAPPER_EXAMPLES
@given(run=activation_runs(torch.float64), seed=SEEDS)
def test_activation_module_backward_uses_its_own_latest_input(impl, activation, run, seed):
    """forward(x_old), forward(x), another module's forward(x_old): backward is at x."""
    (x, grad_out), cls = run.tensors, getattr(impl, activation.name)
    old = torch.randn(x.shape, generator=generator_for(seed), dtype=x.dtype) * 3
    module, other = cls(), cls()
    for forward, inputs in ((module.forward, old), (module.forward, x), (other.forward, old)):
        forward(inputs)
    what = Message("tests_layers.after_two_forwards", name=activation.name)
    result = module.backward(grad_out)
    at_x, at_old = (autograd(activation.reference, t, grad_out=grad_out)[0] for t in (x, old))
    if isinstance(result, torch.Tensor) and torch.allclose(result.double(), at_old) and \
            not torch.allclose(result.double(), at_x):
        raise CheckFailure(Message("tests_layers.used_old_input", what=what,
                                   name=activation.name))
    values.assert_close(result, at_x, what=what,
                        reference=Message("tests_activations.autograd_of",
                                          name=activation.reference_name))
    for listing in ("parameters", "grads"):
        returned = getattr(module, listing)()
        if not isinstance(returned, (list, tuple)) or len(returned) != 0:
            raise CheckFailure(Message("tests_layers.not_empty", call=f"{activation.name}()."
                                       f"{listing}()", returned=returned))


# -- Sequential --------------------------------------------------------------------------------

# First among Sequential's tests: it needs no other exercise, so a Sequential
# still to do is reported as such, not as blocked by Linear.
@marked("Sequential", "property")
@given(count=st.integers(1, 4), pair=tensors([(2, 3), (2, 3)], [(1.0,), (1.0,)], torch.float64))
def test_sequential_runs_forward_in_order_and_backward_in_reverse(impl, count, pair):
    check_container(impl.Sequential, count, *pair,
                    what=Message("tests_layers.sequential_of", count=count))


def torch_network(weights) -> torch.nn.Sequential:
    """The SPEC's reference in float64, holding ``weights``."""
    model = torch.nn.Sequential(torch.nn.Linear(10, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 8))
    with torch.no_grad():
        for parameter, weight in zip(model.double().parameters(), weights, strict=True):
            parameter.copy_(weight)
    return model


@marked("Sequential", "value")
@given(run=network_runs())
def test_sequential_forward_matches_torch_sequential(impl, run):
    network, first, second = build_network(impl, run)
    x, *weights, _ = run.tensors
    first.weight, first.bias, second.weight, second.bias = weights
    values.assert_close(network.forward(x), torch_network(weights)(x.double()).detach(),
                        what=f"{NETWORK}.forward(x)",
                        reference=Message("tests_layers.same_weights", network=TORCH_NETWORK),
                        scale_by=(x,))


@marked("Sequential", "grad")
@NO_SHRINKING
@given(run=network_runs(torch.float64))
def test_sequential_backward_matches_finite_differences_of_its_forward(impl, run):
    network, first, second = build_network(impl, run)

    def forward(x, first_weight, first_bias, second_weight, second_bias):
        first.weight, first.bias = first_weight, first_bias
        second.weight, second.bias = second_weight, second_bias
        return network.forward(x)

    def backward(grad_out, *inputs):
        forward(*inputs)
        return (network.backward(grad_out), *network.grads())

    check_gradient(forward, backward, list(run.tensors[:5]), grad_out=run.tensors[5],
                   names=["x", *NETWORK_PARAMETERS])


@marked("Sequential", "grad")
@given(run=network_runs())
def test_sequential_backward_matches_autograd_of_torch_sequential(impl, run):
    x, *weights, grad_out = run.tensors
    model, leaf = torch_network(weights), x.double().requires_grad_(True)
    expected = torch.autograd.grad(model(leaf), [leaf, *model.parameters()], grad_out.double())
    _, grad_x, grads = network_pass(*build_network(impl, run))(*run.tensors)
    reference = Message("tests_activations.autograd_of",
                        name=Message("tests_layers.same_weights", network=TORCH_NETWORK))
    values.assert_close(grad_x, expected[0], what=f"{NETWORK}.backward(grad_out)",
                        reference=reference, scale_by=(grad_out, x))
    assert_gradients_close(grads, expected[1:],
                           [Message("tests_layers.grad_of", name=p) for p in NETWORK_PARAMETERS],
                           what=f"{NETWORK}.grads()", reference=reference, scale_by=(grad_out, x))


# -- dtype, device, purity, guard: every exercise as a function of tensors ---------------------

@pytest.mark.parametrize("subject", subjects("dtype"))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@share_of_examples(1 / 4)
@given(data=st.data())
def test_keeps_the_input_dtype(impl, subject: Subject, dtype, data):
    run = data.draw(subject.runs(dtype), label="run")
    for result in tensor_leaves(subject.start(impl, run)(*run.tensors)):
        values.check_dtype(result, dtype, subject.what(run))


@pytest.mark.parametrize("subject", subjects("device"))
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(data=st.data())
def test_keeps_the_input_device_on_fake_cuda(impl, subject: Subject, data):
    run = data.draw(subject.runs(), label="run")
    devices.check_device_hygiene(subject.start(impl, run), *run.tensors, what=subject.what(run))


@pytest.mark.skipif(not devices.cuda_available(), reason=NO_GPU)
@pytest.mark.parametrize("subject", subjects("device"))
@settings(max_examples=10)
@given(data=st.data())
def test_matches_cpu_on_real_cuda(impl, subject: Subject, data):
    run = data.draw(subject.runs(), label="run")
    what = Message("devices.on_cuda", what=subject.what(run))

    def compare(gpu, cpu):
        for on_gpu, on_cpu in zip(tensor_leaves(gpu), tensor_leaves(cpu), strict=True):
            values.assert_close(on_gpu, on_cpu, what=what,
                                reference=Message("devices.cpu_result"))

    devices.check_cuda_parity(subject.start(impl, run), *run.tensors, what=what, compare=compare)


@pytest.mark.parametrize("subject", subjects("purity"))
@share_of_examples(1 / 4)
@given(data=st.data())
def test_leaves_its_inputs_and_parameters_unchanged(impl, subject: Subject, data):
    run = data.draw(subject.runs(), label="run")
    purity.check_inputs_unchanged(subject.start(impl, run), *run.tensors,
                                  what=subject.what(run))


@pytest.mark.parametrize("subject", subjects("guard"))
@share_of_examples(1 / 4)
@given(data=st.data())
def test_calls_nothing_forbidden(impl, forbidden, subject: Subject, data):
    check_source_clean(scan_source(Path(impl.__file__)), subject.name)
    run = data.draw(subject.runs(), label="run")
    # The module is built under the guard too: torch.nn.init is off limits.
    check_no_forbidden_calls(lambda: subject.start(impl, run)(*run.tensors), rules=forbidden)
