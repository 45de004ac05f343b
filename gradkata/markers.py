"""The marker a grading test wears: which exercise it grades, with which family."""

from __future__ import annotations

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
