"""Self-tests of the guard's source scan: the escapes the run-time guard cannot see.

A submission's source is read before it runs: each way around the run-time
guard (the C layer, function modes, ctypes, tracing, introspection, strings,
another thread) is found and charged to the function holding it, or to its
callers, or to every exercise when it sits at module level; innocent code,
the reference activations included, is left alone.
"""

from __future__ import annotations

import pytest

from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_source_clean, scan_source

from .conftest import ROOT

# -- the source scan --------------------------------------------------------------------------

SUBMISSION = '''
"""Docstrings may mention torch._C and ctypes."""
import ctypes
import torch


def softmax(x, dim=-1):
    with torch._C.DisableTorchFunction():
        return torch.softmax(x, dim)


def _trick(x):
    import sys
    sys.settrace(None)
    return x


def sigmoid(x):
    return _trick(x)


def relu(x, scale=torch.overrides._pop_mode):
    return x


def tanh(x):
    _C = {"_C": 2}
    version = x._version
    return torch.tanh(x) * _C["_C"] + torch.tensor(0.0) * version
'''


@pytest.fixture
def scanned(tmp_path):
    path = tmp_path / "activations.py"
    path.write_text(SUBMISSION)
    return scan_source(path)


def test_the_scan_keys_a_finding_by_the_function_holding_it(scanned):
    assert [(f.line, f.what) for f in scanned["softmax"]] == [(8, "torch._C.DisableTorchFunction")]


def test_module_level_findings_count_against_every_exercise(scanned):
    assert [(f.line, f.what) for f in scanned[None]] == [
        (3, "ctypes"), (22, "torch.overrides._pop_mode")]  # a default value runs at import


def test_a_helper_s_finding_counts_against_its_callers(scanned):
    assert [(f.line, f.where) for f in scanned["sigmoid"]] == [(14, "_trick")]


def test_innocent_code_is_not_flagged(scanned):
    assert "tanh" not in scanned
    assert "relu" not in scanned


def test_check_source_clean_names_the_file_line_and_what(scanned):
    with pytest.raises(CheckFailure, match=r"^activations\.py, line 3: `ctypes`"):
        check_source_clean(scanned, "activations.tanh")
    with pytest.raises(CheckFailure, match=r"line 14 \(in _trick, which sigmoid uses\)"):
        check_source_clean({"sigmoid": scanned["sigmoid"]}, "sigmoid")
    check_source_clean({"sigmoid": scanned["sigmoid"]}, "tanh")


def test_the_reference_activations_scan_clean():
    path = ROOT / "solutions" / "activations.py"
    if not path.exists():
        pytest.skip("no reference activations yet")
    assert scan_source(path) == {}


ESCAPES = {  # one function's body -> a word of the finding's sentence
    "from torch import _C\n    _C.DisableTorchFunction()": "C layer",
    "getattr(torch, '_C')": "C layer",
    "vars(torch)['_C']": "C layer",
    "import sys\n    sys.modules['torch._C']": "sys.modules",
    "torch.overrides._pop_mode()": "function modes",
    "__import__('ctypes')": "ctypes",
    "import importlib\n    importlib.import_module(x)": "computed name",
    "import sys\n    sys.setprofile(None)": "tracing",
    "__import__('sys')._getframe(1).f_back": "introspection",
    "eval('x')": "strings",
    "torch._softmax(x, 0, False)": "private functions",
    "import threading\n    threading.Thread(target=torch.softmax).start()": "another thread",
}


@pytest.mark.parametrize("body", ESCAPES)
def test_each_way_around_the_run_time_guard_is_found(tmp_path, body):
    path = tmp_path / "escape.py"
    path.write_text(f"import torch\n\n\ndef cheat(x):\n    {body}\n    return x\n")
    findings = scan_source(path)
    assert list(findings) == ["cheat"], findings
    assert any(ESCAPES[body] in finding.sentence for finding in findings["cheat"]), findings


INNOCENT = [
    "x._version",
    "_C = 1.0",
    "torch.tensor([1.0])",
    "{'_C': 1}['_C']",
    "getattr(torch, 'soft' + 'max')",  # judged at run time, by what it returns
    "import re\n    re.compile('x')",
    "torch.Tensor.__add__(x, x)",
    "torch.finfo(x.dtype).eps",
]


@pytest.mark.parametrize("body", INNOCENT)
def test_innocent_code_is_left_alone(tmp_path, body):
    path = tmp_path / "innocent.py"
    layer = ("class Layer:\n    def __init__(self):\n        self._C = 1\n\n"
             "    def forward(self, x):\n        return x * self._C\n")
    path.write_text(f'"""Mentions torch._C."""\nimport torch\n\n\ndef fine(x):\n    {body}\n'
                    f"    return x\n\n\n{layer}")
    assert scan_source(path) == {}
