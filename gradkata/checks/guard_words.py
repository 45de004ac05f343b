"""The guard's records, and the words a learner reads about a forbidden call.

A message reads ``you called <call> at <file>:<line> — <reason>``:

    you called torch.softmax (also Tensor.softmax, torch.nn.functional.softmax)
    at activations.py:12 — activations.softmax must compute softmax itself,
    from simpler tensor operations
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..messages import Message

OPS_REASON = Message("guard.ops_reason")
PRIVATE_REASON = Message("guard.private_reason")
AUTOGRAD_REASON = Message("guard.autograd_reason")
LEAVING_REASON = Message("guard.leaving_reason")


@dataclass(frozen=True)
class ForbiddenRules:
    """What one exercise may not call.

    ``entries`` are written as in the course catalogue (see ``guard_rules``).
    ``other_topics`` names the catalogue's other topic modules: code in them
    is the learner's work on other exercises, graded there, so whatever it
    calls is not blamed here (SPEC §1).
    """

    exercise: str  # "activations.softmax"
    entries: tuple[str, ...]
    other_topics: tuple[str, ...] = ()

    def __post_init__(self):
        # Tuples, whatever the caller passed: the rules are a cache key.
        object.__setattr__(self, "entries", tuple(self.entries))
        object.__setattr__(self, "other_topics", tuple(self.other_topics))


@dataclass(frozen=True)
class Forbidden:
    """Why one callable is off limits, in the learner's words."""

    call: str  # "torch.softmax (also Tensor.softmax)"
    reason: str  # "activations.softmax must compute softmax itself, ..."
    # Some calls are forbidden only with some arguments (tolist of a whole tensor).
    only_if: Callable[[tuple], bool] | None = field(default=None, compare=False)
    # SPEC §1's rules for every exercise are about the learner's own calls: torch's
    # public Python code may make such calls inside (no_grad sets grad mode privately).
    universal: bool = False


@dataclass(frozen=True)
class Violation:
    """One forbidden call the guard recorded."""

    call: str
    reason: str
    where: str = ""  # "activations.py:12", the learner's line that made the call

    @property
    def message(self) -> Message:
        at = Message("guard.at", where=self.where) if self.where else ""
        return Message("guard.you_called", call=self.call, at=at, reason=self.reason)

    def __str__(self) -> str:
        return self.message


def own_name(entry: str, exercise: str) -> bool:
    """Is ``entry`` what ``exercise`` re-implements? (``sigmoid`` in ``sigmoid_backward``)."""
    name = exercise.rpartition(".")[2].lower()
    return entry.lower() in (name, name.removesuffix("_backward"))


def with_also(primary: str, family: list[str], most: int = 2) -> str:
    """``torch.softmax (also Tensor.softmax, ...)``: the other spellings forbidden with it."""
    others = [s for s in dict.fromkeys(family) if s not in primary][:most]
    return Message("guard.also", call=primary, others=", ".join(others)) if others else primary
