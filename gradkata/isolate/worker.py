"""A worker process: forked from the zygote, it imports one topic and serves its calls.

The first thing a fresh worker does is contain itself: a session and process
group of its own (so one ``killpg`` ends it and whatever it started), a
scratch working directory, the ``--memory-limit``, no core files, output
to ``/dev/null``. Only then does it import code under grade, and only when
the test process asks (so that a hang at import runs into the call timeout).
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from ..catalog import Catalog
from ..loader import Implementation, load_topic
from ..messages import Message, to_data
from .containment import TamperGuard, limit_memory
from .worker_end import WorkerEnd


@dataclass
class WorkerSetup:
    """What every worker of a session shares (prepared once, in the zygote)."""

    label: str  # the --impl value
    directory: Path  # where the code under grade lives
    catalog: Catalog
    reference: Implementation | None  # stand-ins for broken or missing dependency topics
    memory_limit: int  # MiB
    seed: int


def run_worker(sock, topic: str, scratch: str, setup: WorkerSetup) -> None:
    """The body of a forked worker; returns when the test process hangs up."""
    os.setsid()
    os.chdir(scratch)
    _silence()
    limit_memory(setup.memory_limit)
    torch.set_num_threads(1)
    random.seed(setup.seed)
    torch.manual_seed(setup.seed)
    served = _TopicServer(topic, setup)
    end = WorkerEnd(sock, {"import": served.import_topic, "module": served.module})
    served.end = end
    end.serve_forever()


def _silence() -> None:
    """What the code under grade prints goes nowhere: the test process's output stays its own."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


class _TopicServer:
    def __init__(self, topic: str, setup: WorkerSetup):
        self.topic, self.setup = topic, setup
        self.impl: Implementation | None = None
        self.end: WorkerEnd | None = None

    def import_topic(self) -> tuple:
        """``(state, problem, names, loaded topics)`` of this worker's topic; ``problem`` as
        message data (:func:`~gradkata.messages.to_data`), to be read in every language."""
        guard = TamperGuard()
        setup = self.setup
        self.impl = load_topic(setup.label, setup.directory, setup.catalog, self.topic,
                               setup.reference)
        replaced = guard.restore()
        self.end.tamper_guard = guard
        load = self.impl.topics[self.topic]
        if replaced and load.state == "ok":
            problem = Message("isolate.replaced_at_import", file=load.path.name,
                              names=", ".join(replaced[:3]))
            return ("error", to_data(problem), [], [])
        names = sorted(vars(load.module)) if load.module is not None else []
        return (load.state, to_data(load.problem), names, sorted(self.impl.topics))

    def module(self, topic: str):
        """The module this worker's code sees as ``topic`` (a stand-in where broken)."""
        return sys.modules[f"{self.impl.package}.{topic}"]
