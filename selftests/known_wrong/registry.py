"""The register of known-wrong implementations the self-tests prove are caught."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KNOWN_WRONG: list[KnownWrong] = []


@dataclass(frozen=True)
class KnownWrong:
    exercise: str  # "activations.softmax"
    function: Callable
    caught_by: str  # the check family meant to catch it
    says: str  # a phrase that family's message must contain

    @property
    def name(self) -> str:
        return self.function.__name__


def wrong(exercise: str, caught_by: str, says: str):
    """Register the decorated function as a known-wrong attempt at ``exercise``."""

    def register(function: Callable) -> Callable:
        KNOWN_WRONG.append(KnownWrong(exercise, function, caught_by, says))
        return function

    return register
