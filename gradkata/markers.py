"""The marker a grading test wears: which exercise it grades, with which family."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from .grading import FAMILIES


def exercise(exercise_id: str, check: str) -> pytest.MarkDecorator:
    """Mark a test (or a ``pytest.param``) as grading ``exercise_id``'s ``check`` family.

    >>> @exercise("activations.sigmoid", check="value")
    ... def test_sigmoid_matches_pytorch(impl): ...
    """
    if check not in FAMILIES:
        raise ValueError(f"check={check!r} is not one of {FAMILIES}")
    return pytest.mark.exercise(exercise_id, check=check)


def exercise_params(cases: Iterable, family: str | Callable[[object], str]) -> list:
    """One ``pytest.param`` per case, id ``case.name``, marked with ``case.exercise_id``.

    ``family`` is a check family, or a function of the case giving one (a
    backward's parity test is ``grad``, a forward's ``value``).
    """
    def family_of(case) -> str:
        return family(case) if callable(family) else family

    return [pytest.param(case, id=case.name, marks=exercise(case.exercise_id, family_of(case)))
            for case in cases]
