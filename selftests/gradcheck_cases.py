"""Inputs and a failure probe the gradient-check self-tests share.

``seeded`` draws a seeded float64 normal tensor of ``shape`` (times ``scale``,
then cast to ``dtype``), so every case is the same on every run; ``diagnosis_of``
runs a check that must fail and returns its first diagnosis with the error.
"""

from __future__ import annotations

import pytest
import torch

from gradkata.checks.gradcheck import GradientCheckError, check_gradient

DTYPES = [torch.float32, torch.float64]


def seeded(*shape, dtype=torch.float64, seed=0, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * scale).to(dtype)


def diagnosis_of(forward, backward, inputs, **options):
    """The first diagnosis of a check that must fail, and the error itself."""
    with pytest.raises(GradientCheckError) as failure:
        check_gradient(forward, backward, inputs, **options)
    return failure.value.diagnoses[0], failure.value
