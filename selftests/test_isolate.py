"""``--isolate`` (SPEC §4): the wire in-process, then whole runs against planted attacks.

The first tests connect a test end and a worker end over a socket pair in
this process (the worker end serving from a thread): what crosses, and how,
and what the learner is told, in every language, when a check fails in the
worker or the worker must end. The runs at the end grade copies of the
course in subprocesses: the reference scores full marks, stubs stay todo,
and each planted sabotage fails only its own exercise, with the JSON left as
the grader wrote it.
"""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import json
import pickle
import signal
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import gradkata
from gradkata import outcomes
from gradkata.checks import purity
from gradkata.checks.failure import CheckFailure
from gradkata.isolate import pool
from gradkata.isolate.grader_end import GraderEnd, RemoteError, received_text
from gradkata.isolate.peer import Unsendable
from gradkata.isolate.protocol import ConnectionLost, loads
from gradkata.isolate.worker_end import Tampered, WorkerEnd
from gradkata.messages import Message, render
from gradkata.outcomes import WorkerFailed, todo_origins

from .conftest import ROOT
from .test_messages import CJK, english_left_in

pytestmark = pytest.mark.skipif(not hasattr(socket, "socketpair"), reason="POSIX only")


# -- worker-side code for the in-process pair ------------------------------------------------

class Node:
    def __init__(self, name, children=()):
        self.name, self.children = name, tuple(children)

    def __add__(self, other):
        return Node(f"({self.name} + {getattr(other, 'name', other)})", (self, other))

    __radd__ = __add__


class RiggedTensor(torch.Tensor):
    def __eq__(self, other):
        return True

    __hash__ = torch.Tensor.__hash__


class Liar:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return False

    def __float__(self):
        return 1.0


class Shout(str):
    pass


class OwnError(Exception):
    pass


def not_yet(x):
    raise NotImplementedError("todo")


WORKER_SIDE = {
    "node": Node,
    "rigged": lambda x: x.as_subclass(RiggedTensor),
    "liar": Liar,
    "shout": lambda: Shout("quiet"),
    "add_one_in_place": lambda x: x.add_(1.0),
    "restore_in_place": lambda x: (x.add_(1.0).sub_(1.0), None)[1],
    "identity": lambda x: x,
    "draw": lambda n, generator: torch.rand(n, generator=generator),
    "batches": lambda n, generator: (torch.randperm(n, generator=generator)[:2]
                                     for _ in range(3)),
    "value_error": lambda: float("x"),
    "own_error": lambda: (_ for _ in ()).throw(OwnError("mine")),
    "not_yet": not_yet,
    "apply": lambda f, x: f(x) * 2,
    "peek": getattr,
    "sgd_step": lambda params, lr: [p.sub_(lr) for p in params] and None,
    "double": lambda x: x * 2,
    "matmul": torch.matmul,
}


def served(handlers: dict) -> tuple[socket.socket, threading.Thread]:
    """The test end's socket of a worker end serving ``handlers`` from a thread."""
    ours, theirs = socket.socketpair()
    thread = threading.Thread(target=WorkerEnd(theirs, handlers).serve_forever, daemon=True)
    thread.start()
    return ours, thread


@pytest.fixture
def pair():
    """A test end whose worker end serves :data:`WORKER_SIDE` from a thread of this process."""
    ours, thread = served({"fn": WORKER_SIDE.__getitem__})
    yield GraderEnd(ours, timeout=10, on_end=lambda kind, detail: f"ended ({kind})")
    ours.close()
    thread.join(5)


@pytest.fixture
def worker(pair):
    return lambda name: pair.request(("fn", name))


# -- the wire -----------------------------------------------------------------------------------

class Foreign:
    pass


@pytest.mark.parametrize("thing", [Foreign(), len, [1, {"k": Foreign()}]],
                         ids=["class", "function", "nested"])
def test_the_test_side_refuses_to_unpickle_anything_but_plain_data(thing):
    with pytest.raises(ConnectionLost, match="refused to unpickle"):
        loads(pickle.dumps(thing), lambda record: record)


def test_plain_data_and_torch_types_unpickle():
    data = (1, 2.5, "s", b"b", None, [True], {"k": {3}}, frozenset({1}), 1j, slice(1, 2),
            torch.float64, torch.device("cpu"), torch.Size([2, 3]))
    assert loads(pickle.dumps(data), lambda record: record) == data


def test_one_remote_object_has_one_proxy_named_after_its_class(worker):
    make = worker("node")
    a, b = make("a"), make("b")
    total = a + b
    assert type(total).__name__ == "Node"
    assert total.children[0] is a
    assert total.children[1] is b
    assert isinstance(total.children[1], type(a))
    assert (2 + a).children == (a, 2)  # reflected operators run on the worker's object
    assert total.name == "(a + b)"


def test_rigged_results_arrive_as_plain_data_or_as_identity_proxies(worker):
    result = worker("rigged")(torch.zeros(3))
    assert type(result) is torch.Tensor
    assert not torch.equal(result, torch.ones(3))
    liar = worker("liar")()
    assert liar != 1  # no __eq__ or __bool__ of its own runs here
    assert liar == liar
    assert bool(liar)
    shout = worker("shout")()
    assert type(shout) is str
    assert shout == "quiet"


def test_in_place_changes_are_written_back_and_purity_still_catches_them(worker):
    x = torch.zeros(3)
    worker("add_one_in_place")(x)
    assert torch.equal(x, torch.ones(3))
    with pytest.raises(CheckFailure, match="modified its input"):
        purity.check_inputs_unchanged(worker("add_one_in_place"), x, what="f(x)")
    with pytest.raises(CheckFailure, match="in place"):
        purity.check_inputs_unchanged(worker("restore_in_place"), x, what="f(x)")


def test_a_tensor_keeps_its_identity_both_ways(worker):
    x = torch.arange(3.0)
    assert worker("identity")(x) is x
    params = [torch.ones(2), torch.ones(3)]
    worker("sgd_step")(params, 0.5)
    assert all(torch.equal(p, torch.full_like(p, 0.5)) for p in params)


def test_a_generator_comes_back_in_the_state_the_worker_left_it(worker):
    ours, replica = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    drawn = worker("draw")(4, generator=ours)
    assert torch.equal(drawn, torch.rand(4, generator=replica))
    assert torch.equal(ours.get_state(), replica.get_state())
    batches = worker("batches")(5, ours)  # draws happen later, while iterating
    assert [b.tolist() for b in batches] == [
        torch.randperm(5, generator=replica)[:2].tolist() for _ in range(3)]
    assert torch.equal(ours.get_state(), replica.get_state())


def test_exceptions_come_back_as_builtins_or_as_remote_errors(worker):
    with pytest.raises(ValueError, match="could not convert"):
        worker("value_error")()
    with pytest.raises(RemoteError, match="OwnError: mine"):
        worker("own_error")()
    with pytest.raises(NotImplementedError) as caught:
        worker("not_yet")(1)
    assert todo_origins(caught.value) is None  # not graded code here: an error, not todo


def test_a_test_callable_is_called_back_and_its_exception_returns_unchanged(worker):
    assert worker("apply")(lambda t: t + 1, torch.ones(2)).tolist() == [4.0, 4.0]
    failure = CheckFailure("from the test")
    with pytest.raises(CheckFailure) as caught:
        worker("apply")(lambda t: (_ for _ in ()).throw(failure), torch.ones(2))
    assert caught.value is failure


def test_the_test_side_serves_public_attributes_only(worker):
    class Holder:
        secret = "s"
        _private = "p"

    holder = worker("node")("n", [Holder()]).children[0]
    assert type(holder) is Holder  # the test's own object comes back, not a copy
    assert worker("peek")(holder, "secret") == "s"
    with pytest.raises(AttributeError, match="only public attributes"):
        worker("peek")(holder, "_private")


def test_a_proxy_of_an_ended_worker_fails_clearly(worker):
    node = worker("node")("n")
    node._peer.end("lost", "")
    with pytest.raises(WorkerFailed, match="worker process that has ended"):
        node.name  # noqa: B018


# -- what the learner is told, in every language -------------------------------------------------

def test_a_check_that_fails_in_the_worker_comes_back_as_its_message(pair):
    doubles, matmul = pair.request(("fn", "double")), pair.request(("fn", "matmul"))
    fields = {"what": "Linear.forward(x)", "advice": "torch.matmul"}
    with pytest.raises(CheckFailure) as caught:  # the helper runs in the worker, as in a run
        pair.request(("check", "gradkata.checks.layers_checks:check_calls",
                      (doubles, torch.ones(2)), {"required": matmul, **fields}))
    explanation = outcomes.explain(caught.value)
    assert isinstance(explanation, Message)
    assert explanation.key == "layers.never_called"
    assert explanation == "Linear.forward(x) never called torch.matmul"
    assert render(explanation, "zh") == "Linear.forward(x) 从未调用 torch.matmul"


def test_a_text_from_a_worker_is_a_message_only_where_it_fits_our_catalogues():
    kept = {"key": "training.not_finite", "fields": {"what": "loss"}, "text": "loss ..."}
    assert render(received_text(kept), "zh") == "loss 中含有 inf 或 nan"
    made_up = {"key": "no.such_key", "fields": {}, "text": "all checks passed"}
    assert received_text(made_up) == "all checks passed"
    assert received_text("a course author's words") == "a course author's words"
    for malformed in ([1], {"float": "nan"}, 3):
        with pytest.raises(ConnectionLost):
            received_text(malformed)


OPTIONS = pool.PoolOptions(label="submission", directory=Path("submission"),
                           catalog_path=ROOT / "catalog.toml", call_timeout=2,
                           memory_limit=1500, seed=0)


def ended(kind: str, detail: str = "", status: int | None = None) -> WorkerFailed:
    """What a test gets when the worker ends for ``kind`` (no worker needed to say it)."""
    grader = GraderEnd(None, timeout=1,
                       on_end=lambda k, d: pool.why_it_ended(k, d, OPTIONS, status))
    return grader.end(kind, detail)


def reported(error: BaseException) -> WorkerFailed:
    """What a test gets when the worker reports ``error``, sent as a worker sends it."""
    info = loads(pickle.dumps(WorkerEnd(None, {}).error_info(error)), lambda record: record)
    grader = GraderEnd(None, timeout=1,
                       on_end=lambda k, d: pool.why_it_ended(k, d, OPTIONS, None))
    return grader._rebuild(*info)


WORKER_FAILURES = {
    "timeout": (lambda: ended("timeout"), "did not return within 2 s (--call-timeout)"),
    "memory": (lambda: reported(MemoryError()), "over the 1500 MiB --memory-limit"),
    "exit": (lambda: ended("lost", status=3 << 8), "with os._exit(3)"),
    "segfault": (lambda: ended("lost", status=signal.SIGSEGV), "signal SIGSEGV (a crash"),
    "killed": (lambda: ended("lost", status=signal.SIGKILL), "signal SIGKILL (killed"),
    "aborted": (lambda: ended("lost", status=signal.SIGABRT), "signal SIGABRT (aborted"),
    "other_signal": (lambda: ended("lost", status=signal.SIGTERM), "with signal SIGTERM"),
    "lost": (lambda: ended("lost", "a malformed reply"), "broke its worker's connection"),
    "interrupted": (lambda: ended("interrupted"), "was interrupted in the middle of a call"),
    "system_exit": (lambda: reported(SystemExit(2)), "raised SystemExit(2), which would end"),
    "keyboard": (lambda: reported(KeyboardInterrupt()), "raised KeyboardInterrupt, which"),
    "tamper": (lambda: reported(Tampered(["torch.allclose"])), "replaced torch.allclose: leave"),
    "unsendable": (lambda: reported(Unsendable("maximum recursion depth exceeded")),
                   "returned something that cannot be sent back: maximum recursion"),
}


@pytest.mark.parametrize("kind", WORKER_FAILURES)
def test_every_way_a_worker_ends_is_told_in_every_language(kind):
    make, english = WORKER_FAILURES[kind]
    failure = make()
    assert isinstance(failure, WorkerFailed)
    explanation = outcomes.explain(failure)
    assert explanation.startswith("your code ")
    assert english in explanation
    chinese = render(explanation, "zh")
    assert chinese.startswith("你的代码"), chinese
    assert english_left_in(chinese) == [], chinese


def fake_pool(handlers: dict, opened: list) -> SimpleNamespace:
    """A pool whose zygote "forks" a worker end serving ``handlers`` from a thread."""
    def fork(topic):
        ours, thread = served(handlers)
        opened.append((ours, thread))
        return 0, ours
    return SimpleNamespace(options=OPTIONS, zygote=SimpleNamespace(fork=fork))


def test_a_worker_that_ends_while_importing_says_so_in_every_language(monkeypatch):
    monkeypatch.setattr(pool, "kill_group", lambda pid: None)  # no process to kill here
    opened = []

    def import_and_exit():
        raise SystemExit(2)

    worker = pool.TopicWorker(fake_pool({"import": import_and_exit}, opened), "tensors")
    state, problem, *_ = worker.start()
    assert state == "error"
    assert problem == ("tensors.py raised SystemExit(2), which would end its worker process "
                       "while being imported")
    with pytest.raises(WorkerFailed) as caught:
        worker.connection()  # the worker ended: a fresh one fails alike
    failure = outcomes.explain(caught.value)
    assert failure == f"a fresh worker could not import tensors: {problem}"
    old = worker.peer
    with pytest.raises(WorkerFailed) as caught:
        old.request(("seed", 1))
    lived = outcomes.explain(caught.value)
    assert lived.startswith("this object lived in a worker process that has ended: your code")
    for text in (problem, failure, lived):
        chinese = render(text, "zh")
        assert CJK.search(chinese)
        assert english_left_in(chinese) == [], chinese
    for ours, thread in opened:
        ours.close()
        thread.join(5)


# -- whole runs ---------------------------------------------------------------------------------

ATTACKS = Path(__file__).resolve().parent / "isolate_attacks"
FULL_MARKS_EXPECTED = ("losses.mse_loss", "losses.mse_loss_backward")


def planted(folder: Path, attacks: dict[str, str]) -> Path:
    """A submission: the reference, with ``attacks[topic]`` appended to that topic's module."""
    folder.mkdir()
    for source in (ROOT / "solutions").glob("*.py"):
        text = source.read_text()
        if source.stem in attacks:
            text += "\n\n" + (ATTACKS / attacks[source.stem]).read_text()
        (folder / source.name).write_text(text)
    return folder


def isolated_run(pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    result = pytester.runpytest_subprocess(
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(ROOT / "tests"),
        "--grade-json", "grade.json", "--isolate", "-p", "no:cacheprovider", *args)
    return result, json.loads((pytester.path / "grade.json").read_text())


def by_name(document: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in document["tests"]}


def assert_the_graders_own_json(document: dict, impl: str) -> None:
    assert document["extra_data"] == {"impl": impl, "seed": 0, "version": gradkata.__version__}
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]))


@pytest.mark.timeout(600)
def test_code_that_ends_its_worker_fails_only_its_own_exercise(pytester, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # the card in Chinese; the JSON stays English
    submission = planted(pytester.path / "submission", {"tensors": "tensors_crashes.py"})
    result, document = isolated_run(
        pytester, "--impl", str(submission), "--call-timeout", "2", "--memory-limit", "1500",
        "--exercise", "tensors", *(f"--exercise={e}" for e in FULL_MARKS_EXPECTED))
    assert result.ret == 1, result.stdout.str()
    assert_the_graders_own_json(document, str(submission))
    tests = by_name(document)
    causes = {"matmul": "did not return within 2 s (--call-timeout)",
              "outer": "ran out of memory: over the 1500 MiB --memory-limit",
              "l1_norm": "os._exit(3)", "l2_norm": "SystemExit(2)",
              "cosine_similarity": "signal SIGSEGV", "one_hot": "signal SIGKILL"}
    for name, cause in causes.items():
        entry = tests[f"tensors.{name}"]
        assert entry["score"] < entry["max_score"], entry
        assert cause in entry["output"], entry
    for exercise in FULL_MARKS_EXPECTED:
        assert tests[exercise]["score"] == tests[exercise]["max_score"], tests[exercise]
    result.stdout.fnmatch_lines(["*你的代码没有在 2 秒内返回（--call-timeout）*"])


@pytest.mark.timeout(600)
def test_code_that_tampers_fails_itself_and_leaves_the_json_alone(pytester):
    submission = planted(pytester.path / "submission", {
        "activations": "activations_deceptions.py", "derivatives": "derivatives_patches.py",
        "optim": "optim_hangs.py"})
    chosen = ("activations.sigmoid", "activations.tanh", "activations.relu",
              "activations.leaky_relu", "activations.gelu", "derivatives.quadratic_gradient",
              "optim.sgd_step", *FULL_MARKS_EXPECTED)
    result, document = isolated_run(
        pytester, "--impl", str(submission), "--call-timeout", "2",
        *(f"--exercise={e}" for e in chosen))
    time.sleep(3)  # the process left behind would have written by now
    document = json.loads((pytester.path / "grade.json").read_text())
    assert result.ret == 1, result.stdout.str()
    assert_the_graders_own_json(document, str(submission))
    tests = by_name(document)
    assert "replaced torch.allclose" in tests["activations.sigmoid"]["output"]
    for name in ("sigmoid", "tanh", "relu"):
        assert tests[f"activations.{name}"]["score"] == 0.0 or \
            tests[f"activations.{name}"]["status"] == "failed", tests[f"activations.{name}"]
    assert "tanh(x) returned _Liar, not a torch.Tensor" in tests["activations.tanh"]["output"]
    assert "differs from" in tests["activations.relu"]["output"]
    derivatives = tests["derivatives.quadratic_gradient"]["extra_data"]
    assert derivatives["state"] == "error"
    assert "replaced torch.allclose when imported" in tests[
        "derivatives.quadratic_gradient"]["output"]
    assert tests["optim.sgd_step"]["extra_data"]["state"] == "error"
    assert "did not return within 2 s" in tests["optim.sgd_step"]["output"]
    for exercise in FULL_MARKS_EXPECTED:
        assert tests[exercise]["score"] == tests[exercise]["max_score"], tests[exercise]


@pytest.mark.timeout(900)
def test_the_reference_scores_full_marks_and_stubs_stay_todo_under_isolate(pytester):
    topics = ("derivatives", "optim", "layers", "autograd")
    result, document = isolated_run(pytester, "--impl", "solutions",
                                    *(f"--exercise={t}" for t in topics))
    assert result.ret == 0, result.stdout.str()
    assert all(t["score"] == t["max_score"] for t in document["tests"]), document
    (pytester.path / "grade.json").unlink()
    # Stubs everywhere but layers: its activation modules are blocked by the stubs they use.
    submission = pytester.path / "submission"
    submission.mkdir()
    for source in (ROOT / "exercises").glob("*.py"):
        (submission / source.name).write_text(source.read_text())
    (submission / "layers.py").write_text((ROOT / "solutions" / "layers.py").read_text())
    result, document = isolated_run(pytester, "--impl", str(submission),
                                    "--exercise=layers.Sigmoid", "--exercise=tensors.matmul")
    tests = by_name(document)
    assert {t["extra_data"]["state"] for t in tests.values()} == {"todo"}, tests
    assert "blocked by 4.1" in tests["layers.Sigmoid"]["output"], tests["layers.Sigmoid"]
