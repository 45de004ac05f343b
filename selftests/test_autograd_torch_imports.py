"""The autograd topic's extra guard: an `import torch` fails the exercises that reach it.

The run-time guard sees every torch call; this scan also catches torch
imported but never called, in the function that imports it or any helper
an exercise uses.
"""

from __future__ import annotations

import pytest

from gradkata.checks.autograd_checks import torch_imports
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_source_clean

SOURCE_WITH_TORCH = '''\
import math


def helper(x):
    import torch
    return torch.tensor(x)


class Value:
    def tanh(self):
        return helper(self.data)


def topological_sort(root):
    return [root]
'''


def test_an_import_of_torch_fails_the_exercises_that_reach_it(tmp_path):
    path = tmp_path / "autograd.py"
    path.write_text(SOURCE_WITH_TORCH)
    findings = torch_imports(path)
    with pytest.raises(CheckFailure, match=r"line 5 \(in helper, which Value uses\): `import"):
        check_source_clean(findings, "Value")
    check_source_clean(findings, "topological_sort")  # does not use helper
    path.write_text("from torch import tensor\n" + SOURCE_WITH_TORCH)
    with pytest.raises(CheckFailure, match=r"line 1: `from torch import \.\.\.` — this topic"):
        check_source_clean(torch_imports(path), "topological_sort")
