"""One grading run in several processes: forked copies of a warm process share its tests.

The tests of an exercise are independent: each is seeded from its node id
and hypothesis is derandomized, so a test gives the same outcome in any
process. On POSIX (``os.fork``) :func:`team` forks the grading process N-1
times just before ``pytest.main``. Every copy collects the same tests and
keeps those whose index i in the collected order (after the ``--exercise``
selection) has ``i % N`` equal to its number. A child sends each test's
check outcomes (:class:`~gradkata.grading.CheckOutcome`) over a pipe as soon
as the test is over, and exits without grading. The parent, after its own
share, receives them and runs itself every test a child did not deliver (it
died, stayed silent past the tests' own timeout, or collected other tests).
It then puts all outcomes in the order one process records them, and the
gradkata plugin grades as usual: one ``grading.grade`` over every outcome,
so the verdict, the JSON and the status cache are those of a single run.

Children live in process groups of their own: the terminal's Ctrl-C
reaches the parent only, and the parent kills each group whatever happens
(the graded code may have started processes of its own).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import Pipe
from multiprocessing.connection import Connection

import pytest

DEFAULT_JOBS = 2
DEFAULT_TIMEOUT = 60.0  # seconds: pytest-timeout's limit per test when none is configured
GRACE = 10.0  # seconds a child may stay silent beyond one test's timeout before it counts as hung


def supported() -> bool:
    """Whether this platform can fork (not Windows)."""
    return hasattr(os, "fork")


def default_processes(jobs: int | None = None) -> int:
    """How many processes grade: ``jobs`` (default 2), one to one per core; 1 without fork."""
    if not supported():
        return 1
    wanted = DEFAULT_JOBS if jobs is None else jobs
    return max(1, min(os.cpu_count() or 1, wanted))


@contextlib.contextmanager
def team(processes: int, run_share: Callable[[list], object],
         patience: float | None = None) -> Iterator[list]:
    """Fork ``processes - 1`` children; yield the pytest plugins of the parent's run.

    Each child calls ``run_share([its plugin])`` (a ``pytest.main`` like the
    parent's) and never returns. patience: seconds a child may stay silent
    before its tests run in the parent (default: the tests' timeout + GRACE).
    With one process, or without fork, nothing is forked and no plugin added.
    """
    if processes <= 1 or not supported():
        yield []
        return
    children: list[_Child] = []
    try:
        for number in range(1, processes):
            children.append(_fork(_ChildShare(number, processes), run_share))
        yield [_ParentShare(0, processes, children=children, patience=patience)]
    finally:
        for child in children:
            child.end()


@dataclass(eq=False)  # pytest keeps plugins in sets: hash by identity
class _Share:
    """pytest plugin: run only this process's share of the collected tests."""

    number: int
    processes: int
    everything: list = field(default_factory=list)  # the tests one process would run, in order

    @pytest.hookimpl(trylast=True)  # after the gradkata plugin has applied --exercise
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list) -> None:
        # not reported as deselected: they are run elsewhere (or here, later), and a
        # deselected item counts as a report in the terminal's statistics
        self.everything = list(items)
        items[:] = self.share(self.number)

    def share(self, number: int) -> list:
        return self.everything[number::self.processes]


@dataclass(eq=False)
class _ChildShare(_Share):
    """A child's plugin: send its share's node ids, then each test's outcomes; exit at the end."""

    connection: Connection | None = None
    sent: int = 0  # outcomes already sent
    failures_sent: int = 0  # failures of tests that grade nothing, already counted

    def send(self, *message) -> None:
        # plain pickle: multiprocessing's own would move tensors through shared memory
        self.connection.send_bytes(pickle.dumps(message))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.send("share", [item.nodeid for item in session.items])

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        result = yield  # setup, call and teardown: every outcome of the test is recorded
        grading = _grading_session(item.config)
        outcomes = grading.outcomes[self.sent:] if grading else []
        failures = grading.other_failures - self.failures_sent if grading else 0
        self.sent += len(outcomes)
        self.failures_sent += failures
        self.send("test", item.nodeid, outcomes, failures)
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session):
        yield
        self.send("done")
        os._exit(0)  # a child never grades: the parent grades once, with every outcome

    @pytest.hookimpl(wrapper=True)  # before the gradkata plugin's hook, which grades and writes
    def pytest_sessionfinish(self, session: pytest.Session):
        os._exit(1)  # the loop did not end (collection errors, Ctrl-C): the parent sees to it
        yield  # never reached; makes this a hook wrapper


@dataclass(eq=False)
class _ParentShare(_Share):
    """The parent's plugin: after its own share, gather the children's outcomes, run the rest."""

    children: list = field(default_factory=list)
    patience: float | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session):
        result = yield
        grading = _grading_session(session.config)
        patience = self.patience or _patience(grading)
        received: dict[str, tuple] = {}
        for child in self.children:
            expected = [item.nodeid for item in self.share(child.number)]
            received.update(child.receive(expected, patience))
            child.end()  # done, or given up on: a hung child must not slow the tests run here
        left = [item for i, item in enumerate(self.everything)
                if i % self.processes != self.number and item.nodeid not in received]
        _run_here(left)
        if grading is not None:
            self._merge(grading, received)
        session.items[:] = self.everything  # the run's tests: all of them, as in one process
        return result

    def _merge(self, grading, received: dict[str, tuple]) -> None:
        """Every outcome in the order of the tests, as one process records them."""
        outcomes = list(grading.outcomes)
        for test_outcomes, failures in received.values():
            outcomes += test_outcomes
            grading.other_failures += failures
        position = {item.nodeid: i for i, item in enumerate(self.everything)}
        grading.outcomes[:] = sorted(outcomes, key=lambda o: position.get(o.test, len(position)))


@dataclass
class _Child:
    """A forked child, seen from the parent: its process (group) id and the pipe it writes to."""

    pid: int
    number: int
    connection: Connection
    ended: bool = False

    def receive(self, expected: list[str], patience: float) -> dict[str, tuple]:
        """The tests it delivered, node id -> (check outcomes, failures grading nothing).

        Stops at its end, at ``patience`` seconds of silence, or when it
        collected other tests than ``expected`` (then nothing it sent counts).
        """
        delivered: dict[str, tuple] = {}
        agreed = False
        with contextlib.suppress(Exception):  # a broken child: the parent runs its tests
            while self.connection.poll(patience):
                kind, *body = pickle.loads(self.connection.recv_bytes())
                if kind == "share":
                    agreed = body[0] == expected
                    if not agreed:
                        return {}
                elif kind == "test" and agreed and body[0] in expected:
                    delivered[body[0]] = (body[1], body[2])
                elif kind == "done":
                    break
        return delivered

    def end(self) -> None:
        """Kill its process group (it may be over already) and reap it, once."""
        if self.ended:  # its pid may belong to another process by now
            return
        self.ended = True
        for kill, target in ((os.killpg, self.pid), (os.kill, self.pid)):
            with contextlib.suppress(OSError):
                kill(target, signal.SIGKILL)
                break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.connection.close()


def _fork(plugin: _ChildShare, run_share: Callable[[list], object]) -> _Child:
    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child
        reader.close()
        plugin.connection = writer
        try:
            os.setpgid(0, 0)
            run_share([plugin])  # the plugin exits after the last test
        finally:
            os._exit(1)  # never back into the parent's code: it would grade, print, write
    writer.close()
    with contextlib.suppress(OSError):  # also here: Ctrl-C may come before the child sets it
        os.setpgid(pid, pid)
    return _Child(pid, plugin.number, reader)


def _run_here(items: list) -> None:
    """Run tests in this process after the main loop, as pytest's own loop does."""
    for i, item in enumerate(items):
        following = items[i + 1] if i + 1 < len(items) else None
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)


def _patience(grading) -> float:
    """Seconds of silence after which a child counts as hung: one test's timeout, and some."""
    timeout = grading.options.timeout if grading is not None else None
    return (timeout or DEFAULT_TIMEOUT) + GRACE


def _grading_session(config: pytest.Config):
    from .plugin import SESSION

    return config.stash.get(SESSION, None)
