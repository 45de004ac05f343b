r"""Structural checks, before any number is compared: they explain the most.

Forward is called twice and backward three or four times, each on fresh
copies:

    F(x), F(x)                      deterministic forward, inputs unchanged
    B(G1), B(G1)                    deterministic backward
    B(G2)                           the second upstream gradient
    B(G1 - 2 G2)                    linear in grad_out (random grad_out only)

With a random grad_out, G1 and G2 are independent with entries +-U(0.5, 1.5)
(never tiny); with a given one, G2 = -2 G1, and B(G2) = -2 B(G1) is the
linearity test. The numeric phase judges B(G1) and B(G2) both, so a
backward that ignores grad_out fails there even for grad_out = 1; the
linearity test only names that fault (``ignores_grad_out``) once the
numbers have found one -- rounding in a correct backward is nonlinear too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..messages import Message
from .gradcheck_calls import Forwarded, Returned, Subject, as_float64
from .gradcheck_kinds import Diagnosis

LINEARITY_RTOL = 1e-6  # relative to max |B|: far above rounding, far below ignoring grad_out


@dataclass
class Structure:
    """What the structural calls found, and what the numeric phase needs."""

    output: torch.Tensor  # F(x), float64
    eps_out: float  # unit roundoff of forward's output dtype
    grad_outs: torch.Tensor  # (nG, *output.shape)
    grads: list[torch.Tensor | None] = field(default_factory=list)  # (nG, *grad shape) per input
    grad_dtypes: list[torch.dtype | None] = field(default_factory=list)
    shapes: list[tuple[int, ...] | None] = field(default_factory=list)  # of B(G1), per input
    fatal: list[Diagnosis] = field(default_factory=list)  # nothing else can be judged
    nonlinear: list[int] = field(default_factory=list)  # backward not linear in grad_out
    misshapen: list[int] = field(default_factory=list)  # gradient shape differs from the input's

    def active(self, count: int) -> list[int]:
        """Inputs whose gradients have the right shape: the numbers judge them."""
        return [i for i in range(count) if i not in self.misshapen and self.grads[i] is not None]


def run_structure(subject: Subject, grad_out, rng: np.random.Generator) -> Structure:
    """Call forward and backward on copies and judge everything but the numbers."""
    first, second = subject.call_forward(), subject.call_forward()
    output, out_dtype = first.output, first.dtype
    eps_out = torch.finfo(out_dtype if out_dtype.is_floating_point else torch.float64).eps
    grad_outs = _grad_outs(grad_out, output, rng)
    calls = [subject.call_backward(grad_outs[0]), subject.call_backward(grad_outs[0]),
             subject.call_backward(grad_outs[1])]
    if grad_out is None:
        calls.append(subject.call_backward(grad_outs[0] - 2 * grad_outs[1]))
    result = Structure(output, eps_out, grad_outs)
    result.fatal = _fatal(subject, [first, second], calls)
    if not result.fatal:
        _per_input(subject, calls, result)
    return result


def _grad_outs(grad_out, output: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    if grad_out is None:  # sign(z) (0.5 + |z|), z ~ U(-1, 1): never tiny
        z = torch.from_numpy(rng.uniform(-1.0, 1.0, size=(2, *output.shape)))
        return z.sign() * (0.5 + z.abs())
    given, _ = as_float64(grad_out)
    if given is None or given.shape != output.shape:
        shape = "not a tensor" if given is None else f"shape {tuple(given.shape)}"
        raise ValueError(f"grad_out has {shape}, but forward returns shape {tuple(output.shape)}")
    return torch.stack([given, -2 * given])


def _fatal(subject: Subject, forwards: list[Forwarded],
           backwards: list[Returned]) -> list[Diagnosis]:
    """mutates_input, then nondeterministic, then arity: each stops the check."""
    names = [op.name for op in subject.operands]
    mutated = {n for call in forwards + backwards for n in call.mutated}
    if mutated:
        return [_mutation(n, forwards, names) for n in [*names, "grad_out"] if n in mutated]
    drifting = _nondeterministic(forwards, backwards, names)
    if drifting:
        return drifting
    returned = len(backwards[0].values)
    if returned != len(names):
        gradients = Message("gradcheck.one_gradient" if returned == 1 else "gradcheck.gradients",
                            count=returned)
        inputs = Message("gradcheck.one_input" if len(names) == 1 else "gradcheck.inputs",
                         count=len(names))
        return [Diagnosis(None, "arity", cause=Message(
            "gradcheck.arity", gradients=gradients, inputs=inputs, names=", ".join(names)))]
    return []


def _mutation(name: str, forwards: list[Forwarded], names: list[str]) -> Diagnosis:
    who = "forward" if any(name in call.mutated for call in forwards) else "backward"
    where = None if name == "grad_out" else name
    return Diagnosis(where, "mutates_input",
                     cause=Message("gradcheck.mutates", who=who, name=name))


def _nondeterministic(forwards: list[Forwarded], backwards: list[Returned],
                      names: list[str]) -> list[Diagnosis]:
    if not _agree(forwards[0].output, forwards[1].output, forwards[0].dtype):
        return [Diagnosis(None, "nondeterministic",
                          cause=Message("gradcheck.forward_nondeterministic"))]
    first, again = backwards[0], backwards[1]
    if len(first.values) != len(again.values):
        return [Diagnosis(None, "nondeterministic",
                          cause=Message("gradcheck.backward_count_changes"))]
    return [Diagnosis(name, "nondeterministic",
                      cause=Message("gradcheck.backward_nondeterministic", name=name))
        # not strict: a wrong count of gradients is the next check's business (arity)
        for name, a, b, dtype in zip(names, first.values, again.values, first.dtypes, strict=False)
        if not _agree(a, b, dtype)]


def _agree(a: torch.Tensor | None, b: torch.Tensor | None, dtype) -> bool:
    """Equal, or within 64 ulps of the largest finite entry (nan where nan)."""
    if a is None or b is None:
        return a is None and b is None
    if a.shape != b.shape:
        return False
    if torch.equal(a, b):
        return True
    eps = torch.finfo(dtype).eps if dtype is not None and dtype.is_floating_point else 0.0
    finite = a.isfinite()
    scale = float(a[finite].abs().max()) if bool(finite.any()) else 0.0
    close = ((a - b).abs() <= 64 * eps * scale) | (a == b) | (a.isnan() & b.isnan())
    return bool(close.all())


def _per_input(subject: Subject, calls: list[Returned], result: Structure) -> None:
    """Shapes (the numbers decide later which shape kind), and linearity in grad_out."""
    for i, op in enumerate(subject.operands):
        grad, second = calls[0].values[i], calls[2].values[i]
        result.grad_dtypes.append(calls[0].dtypes[i])
        result.shapes.append(None if grad is None else tuple(grad.shape))
        if grad is None or grad.shape != op.value.shape:
            result.misshapen.append(i)
        if grad is None or second is None or second.shape != grad.shape:
            result.grads.append(None)  # a shape that changes with grad_out: not linear
            result.nonlinear.append(i)
            continue
        result.grads.append(torch.stack([grad, second]))
        if not _linear([c.values[i] for c in calls[:1] + calls[2:]], calls[0].dtypes[i]):
            result.nonlinear.append(i)


def _linear(returned: list[torch.Tensor | None], dtype: torch.dtype | None) -> bool:
    """B(G1 - 2 G2) = B(G1) - 2 B(G2), or B(-2 G) = -2 B(G), within rounding.

    returned: [B(G1), B(G2), B(G1 - 2 G2)] or [B(G), B(-2 G)].
    """
    first = returned[0]
    grads = [g for g in returned if g is not None and first is not None and g.shape == first.shape]
    if len(grads) != len(returned):
        return False
    if grads[0].numel() == 0:
        return True
    eps = torch.finfo(dtype).eps if dtype is not None and dtype.is_floating_point else 0.0
    rtol = max(LINEARITY_RTOL, 64 * eps)
    combined = grads[-1]
    expected = grads[0] - 2 * grads[1] if len(grads) == 3 else -2 * grads[0]
    # Nan and inf are left to the numeric phase: here they compare as agreeing.
    scale = torch.nan_to_num(torch.stack(grads).abs().sum(0), nan=0.0, posinf=0.0).amax()
    return not bool(((combined - expected).abs() > rtol * scale).any())
