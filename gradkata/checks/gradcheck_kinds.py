"""What a failed gradient check found: one :class:`Diagnosis` per fault.

The kinds, in priority order (when several explain the same fault, the
first wins), are the public contract of SPEC section 5.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = (
    "mutates_input",  # forward or backward changed an input, or grad_out, in place
    "nondeterministic",  # two calls with the same arguments disagree
    "arity",  # backward returned another number of gradients than there are inputs
    "transposed",  # the gradient is the transpose of the right one
    "missing_reduction",  # extra leading (or kept size-1) axes; their sum is right
    "wrong_shape",  # the shape is not the input's, and nothing above explains it
    "ignores_grad_out",  # the backward is not linear in grad_out
    "sign",  # the negative of the right gradient
    "scale",  # factor times the right gradient (0 when all zero)
    "elements",  # some elements wrong, no single factor explains them
)


@dataclass(frozen=True)
class Worst:
    """One element for the message: index, your value, the numeric one."""

    index: tuple[int, ...]
    yours: float
    numeric: float
    bracket: tuple[float, float] | None  # one-sided slopes, at a kink
    tol: float


@dataclass(frozen=True)
class Diagnosis:
    """One fault: which input (None when not tied to one), what kind, and the details.

    factor: for ``scale``, yours / right (0.0 for an all-zero gradient).
    count, indices: for ``elements``, how many are wrong (exact up to 10 000
        elements, an estimate beyond) and up to ten of the worst, worst first.
    cause: the learner-facing sentence; worst: elements for the message.
    """

    input: str | None  # the name SPEC section 5 fixes, builtin or not
    kind: str
    factor: float | None = None
    count: int | None = None
    indices: tuple[tuple[int, ...], ...] | None = None
    cause: str = ""  # a Message: English as a str, rendered in any language
    worst: tuple[Worst, ...] = ()
    estimated: bool = False  # count is an estimate (large input)
