"""Check helpers for modules (topic 6 and any course with layer classes).

- :func:`check_calls` - a function must run through another one (a module
  through the learner's own activation);
- :func:`check_uniform_init` - parameters drawn uniformly from [-k, k];
- :func:`check_same_objects` - a list holds exactly these tensors, by identity;
- :func:`assert_gradients_close` - a tuple or list of gradients, ``None`` allowed;
- :func:`check_not_accumulated` - backward replaced the gradients of an earlier pass;
- :func:`check_container` - a Sequential-like container drives its modules in order;
- :func:`tensor_leaves` - every tensor of a nested result, for dtype and device checks.

Each raises :class:`CheckFailure` with one learner-facing sentence or two.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import torch

from ..isolate import runs_in_worker
from ..messages import Joined, Message
from . import values
from .failure import CheckFailure

SPREAD_MIN_ENTRIES = 200  # below this, a sample says too little about its spread
UNIFORM_STD = 3**-0.5  # the standard deviation of U(-1, 1)


@runs_in_worker  # under --isolate: watches the code in its own process
def check_calls(fn: Callable, *args, required: Callable, what: str, advice: str, **kwargs):
    """Run ``fn(*args, **kwargs)`` and raise unless ``required`` ran during the call.

    ``required`` is found by identity: a Python function by its code object
    (a call through any helper counts), anything else by the C call itself.
    Returns ``fn``'s result; its exceptions propagate unchanged.
    """
    code = getattr(required, "__code__", None)
    seen = False

    def watch(frame, event, arg):
        nonlocal seen
        if (event == "call" and frame.f_code is code) or (event == "c_call" and arg is required):
            seen = True

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        result = fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    if not seen:
        raise CheckFailure(Message("layers.never_called", what=what, advice=advice))
    return result


def check_uniform_init(tensor, bound: float, what: str) -> None:
    """float32 entries within [-bound, bound], and, given enough of them, spread over it
    as a uniform distribution is: reaching both ends, centred on 0, std ``bound / sqrt(3)``."""
    tensor = values.check_is_tensor(tensor, what)
    if tensor.dtype != torch.float32:
        raise CheckFailure(Message("layers.not_float32", what=what, dtype=tensor.dtype))
    scaled = tensor.detach().double().cpu().flatten() / bound
    outside = scaled.abs() > 1 + 1e-6
    interval = f"[-{bound:.4g}, {bound:.4g}], k = 1/sqrt(in_features)"  # maths: no words
    if bool(outside.any()):
        example = float(tensor.detach().flatten()[outside.nonzero()[0]])
        raise CheckFailure(Message("layers.outside_bound", what=what, count=int(outside.sum()),
                                   total=scaled.numel(), interval=interval, example=example))
    if scaled.numel() < SPREAD_MIN_ENTRIES:
        return
    low, high = float(scaled.min()), float(scaled.max())
    mean, std = float(scaled.mean()), float(scaled.std())
    if low > -0.8 or high < 0.8 or abs(mean) > 0.15 or abs(std - UNIFORM_STD) > 0.08:
        raise CheckFailure(Message(
            "layers.not_spread", what=what, total=scaled.numel(), low=low, high=high,
            mean=mean, std=std, interval=interval, uniform_std=UNIFORM_STD))


def check_same_objects(returned, expected: Sequence, names: Sequence[str], what: str) -> None:
    """``returned`` is a list (or tuple) holding exactly ``expected``, by identity."""
    if not isinstance(returned, (list, tuple)):
        raise CheckFailure(Message("layers.not_a_list", what=what, type=type(returned).__name__,
                                   names=Joined(names, ", ")))
    if len(returned) != len(expected):
        raise CheckFailure(Message("layers.item_count", what=what, count=len(returned),
                                   expected=len(expected), names=Joined(names, ", ")))
    for position, (got, want, name) in enumerate(zip(returned, expected, names, strict=True)):
        if got is not want:
            which = next((n for w, n in zip(expected, names, strict=True) if got is w), None)
            found = f"{which}" if which else Message("layers.another_tensor")
            raise CheckFailure(Message("layers.not_the_same_object", what=what,
                                       position=position, found=found, name=name))


def assert_gradients_close(returned, expected: Sequence, names: Sequence[str], *, what: str,
                           reference: str, scale_by: tuple = ()) -> None:
    """Each of ``returned`` matches ``expected``, shapes exactly; None where expected is None."""
    if not isinstance(returned, (list, tuple)) or len(returned) != len(expected):
        kind = (Message("layers.values", count=len(returned)) if isinstance(returned, (list, tuple))
                else type(returned).__name__)
        raise CheckFailure(Message("layers.gradient_count", what=what, kind=kind,
                                   expected=len(expected), names=Joined(names, ", ")))
    for got, want, name in zip(returned, expected, names, strict=True):
        if want is None:
            if got is not None:
                raise CheckFailure(Message("layers.expected_none", what=what,
                                           type=type(got).__name__, name=name))
            continue
        values.assert_close(got, want, what=Message("layers.name_from", name=name, what=what),
                            reference=reference, scale_by=scale_by)


def tensor_leaves(result) -> list[torch.Tensor]:
    """The tensors in a (nested) tuple or list result, in order; anything else is skipped."""
    if isinstance(result, (tuple, list)):
        return [leaf for part in result for leaf in tensor_leaves(part)]
    return [result] if isinstance(result, torch.Tensor) else []


def check_not_accumulated(grads, first: Sequence, second: Sequence, what: str) -> None:
    """Raise if ``grads`` holds the sum of two passes' gradients rather than the second's."""
    def close(a, b):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(
            a.detach().double().cpu(), b.double(), rtol=1e-4, atol=1e-5)

    if isinstance(grads, (list, tuple)) and len(grads) == len(second) and all(
            close(g, a + b) and not close(g, b) for g, a, b in zip(grads, first, second,
                                                                    strict=True)):
        raise CheckFailure(Message("layers.accumulated", what=what))


class Recorder:
    """A stand-in module: scales by ``index + 2`` and notes each forward and backward in ``log``."""

    def __init__(self, index: int, log: list):
        self.index, self.log, self.factor = index, log, float(index + 2)
        self.parameter = torch.full((1,), float(index))
        self.grad = torch.full((1,), -float(index) - 0.5)

    def forward(self, x):
        self.log.append(self.index)
        return x * self.factor

    def backward(self, grad_out):
        self.log.append(self.index)
        return grad_out * self.factor

    def parameters(self):
        return [self.parameter]

    def grads(self):
        return [self.grad]

    __call__ = forward  # for a container that calls its modules


def _check_order(log: list, expected: list, what: str, advice: str) -> None:
    if log != expected:
        raise CheckFailure(Message("layers.module_order", what=what,
                                   order=log or Message("layers.none"), expected=expected,
                                   advice=advice))


def check_container(container: Callable, count: int, x: torch.Tensor, grad_out: torch.Tensor,
                    what: str) -> None:
    """``container(*modules)`` over ``count`` :class:`Recorder` modules: forward runs them first
    to last, backward last to first, each on the previous one's result; ``parameters()`` and
    ``grads()`` concatenate theirs in module order."""
    log: list = []
    modules = [Recorder(i, log) for i in range(count)]
    network = container(*modules)
    product = torch.tensor([m.factor for m in modules], dtype=torch.float64).prod()
    output = network.forward(x)
    forward = Message("common.step", what=what, step="forward(x)")
    _check_order(log, list(range(count)), forward, Message("layers.first_to_last"))
    values.assert_close(output, x.double() * product, what=forward,
                        reference=Message("layers.each_forward"))
    log.clear()
    grad_x = network.backward(grad_out)
    backward = Message("common.step", what=what, step="backward(grad_out)")
    _check_order(log, list(range(count))[::-1], backward, Message("layers.last_to_first"))
    values.assert_close(grad_x, grad_out.double() * product, what=backward,
                        reference=Message("layers.each_backward"))
    check_same_objects(network.parameters(), [m.parameter for m in modules],
                       [Message("layers.module_parameter", index=i) for i in range(count)],
                       Message("common.step", what=what, step="parameters()"))
    assert_gradients_close(network.grads(), [m.grad.double() for m in modules],
                           [Message("layers.module_gradient", index=i) for i in range(count)],
                           what=Message("common.step", what=what, step="grads()"),
                           reference=Message("layers.modules_grads"))
