"""A topic that fails to import because another one does is told so, in every language.

Without a reference to stand in (a learner's repository made by ``gradkata
release`` has no ``solutions/``), ``layers.py`` doing ``from .activations
import sigmoid`` fails whenever ``activations.py`` does; the card must name
``activations.py`` and its line, not blame a line of ``layers.py`` that is
not there. Tiny topic modules in a temporary directory, imported in this
process: directly, topic by topic as an ``--isolate`` worker does, and
through the worker's import reply.
"""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from gradkata.catalog import Catalog, Topic
from gradkata.loader import load_implementation, load_topic
from gradkata.messages import Message, render

from .test_messages import english_left_in

BROKEN_SIGMOID = "import math\n\n\ndef sigmoid(x)\n    return 1 / (1 + math.exp(-x))\n"
IMPORTS_SIGMOID = "from .activations import sigmoid\n\n\nclass Sigmoid:\n    pass\n"
IMPORTS_LAYERS = "from .layers import Sigmoid\n"
SYNTAX = "SyntaxError at line 4: expected ':'"


def course(folder: Path, modules: dict[str, str]) -> Catalog:
    """Topic modules written to ``folder``, and a catalogue of them (no exercises)."""
    folder.mkdir(exist_ok=True)
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text)
    topics = tuple(Topic(name, number, name.title(), ())
                   for number, name in enumerate(modules, start=1))
    return Catalog(root=folder, title="t", exercises_dir=folder,
                   solutions_dir=folder / "solutions", topics=topics)


def problems(folder: Path, modules: dict[str, str]) -> dict[str, str]:
    catalog = course(folder, modules)
    impl = load_implementation("exercises", folder, catalog)
    return {name: load.problem for name, load in impl.topics.items() if load.state != "ok"}


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_a_dependency_with_a_syntax_error_is_named_with_its_line(tmp_path, monkeypatch,
                                                                  relative):
    monkeypatch.chdir(tmp_path)
    folder = Path("exercises") if relative else tmp_path / "exercises"
    found = problems(folder, {"activations": BROKEN_SIGMOID, "layers": IMPORTS_SIGMOID,
                              "train": IMPORTS_LAYERS})
    assert found == {
        "activations": f"activations.py could not be imported: {SYNTAX}",
        "layers": f"layers.py imports activations.py, which could not be imported: {SYNTAX}",
        "train": f"train.py imports activations.py (through layers.py), which could not be "
                 f"imported: {SYNTAX}",
    }
    assert render(found["layers"], "zh") == (
        "layers.py 导入了 activations.py，但 activations.py 无法导入：第 4 行有语法错误 "
        "SyntaxError（“expected ':'”）")
    assert render(found["train"], "zh").startswith(
        "train.py 导入了 activations.py（经由 layers.py），但 activations.py 无法导入")
    for problem in found.values():
        assert english_left_in(render(problem, "zh")) == []


def test_a_dependency_that_raises_at_import_is_named_with_its_line(tmp_path):
    found = problems(tmp_path / "exercises", {
        "activations": "import math\n\nSCALE = 1 / 0\n", "layers": IMPORTS_SIGMOID})
    assert found["layers"] == ("layers.py imports activations.py, which could not be "
                               "imported: ZeroDivisionError: division by zero (line 3)")
    assert "（第 3 行）" in render(found["layers"], "zh")


def test_a_missing_helper_module_is_named(tmp_path):
    found = problems(tmp_path / "exercises", {"layers": "from .helpers import clip\n"})
    assert found["layers"] == "layers.py imports helpers.py, which is missing"
    assert render(found["layers"], "zh") == "layers.py 导入了 helpers.py，但缺少 helpers.py"


def test_an_error_of_the_importers_own_code_stays_its_own(tmp_path):
    """Calling a working dependency at import time, wrongly, is the importer's mistake;
    and its own syntax errors, even in code it compiles, are its own."""
    found = problems(tmp_path / "exercises", {
        "activations": "def sigmoid(x):\n    return x.exp()\n",
        "layers": "from .activations import sigmoid\n\nTABLE = sigmoid(None)\n",
        "losses": "import math\n\nHALF = eval('1 +')\n",
        "optim": "def step(x)\n    return x\n"})
    assert found["layers"] == ("layers.py could not be imported: AttributeError: 'NoneType' "
                               "object has no attribute 'exp' (line 3)")
    assert found["losses"].startswith("losses.py could not be imported: SyntaxError: ")
    assert found["losses"].endswith("(line 3)")
    assert found["optim"] == "optim.py could not be imported: SyntaxError at line 1: expected ':'"


def test_an_isolate_worker_says_the_same_in_every_language(tmp_path, monkeypatch):
    """A worker loads its topic with ``load_topic`` and sends the problem as message data."""
    from gradkata.isolate import pool
    from gradkata.isolate.worker import WorkerSetup, _TopicServer

    from .test_isolate import fake_pool

    if not hasattr(socket, "socketpair"):
        pytest.skip("POSIX only")
    folder = tmp_path / "exercises"
    catalog = course(folder, {"activations": BROKEN_SIGMOID, "layers": IMPORTS_SIGMOID,
                              "train": IMPORTS_LAYERS})
    expected = f"layers.py imports activations.py, which could not be imported: {SYNTAX}"
    assert load_topic("exercises", folder, catalog, "layers").topics["layers"].problem == expected

    monkeypatch.setattr(pool, "kill_group", lambda pid: None)  # no process to kill here
    server = _TopicServer("layers", WorkerSetup("exercises", folder, catalog, None, 1500, 0))
    server.end = SimpleNamespace(tamper_guard=None)
    opened = []
    worker = pool.TopicWorker(fake_pool({"import": server.import_topic}, opened), "layers")
    try:
        state, problem, names, loaded = worker.start()
    finally:
        for ours, thread in opened:
            ours.close()
            thread.join(5)
    assert (state, names, loaded) == ("error", [], ["activations", "layers"])
    assert isinstance(problem, Message)
    assert problem == expected
    assert render(problem, "zh").startswith("layers.py 导入了 activations.py")
