"""The test process's workers: the zygote, and one worker per topic, started lazily.

A :class:`TopicWorker` forks its worker on first use, asks it to import the
topic, and keeps it while it behaves. When a call times out, runs out of
memory, or the worker dies, the worker's process group is killed, the call
fails with the reason, and the next use forks a fresh worker. At the end,
:meth:`Pool.close` has the zygote kill every worker and every process they
left behind, and waits for it, before anything (the JSON) is written.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..messages import Message
from ..outcomes import WorkerFailed
from .containment import describe_status, kill_group
from .grader_end import GraderEnd, received_text
from .protocol import ConnectionLost, Deadline, recv_frame, send_frame

STARTUP_SECONDS = 180.0  # the zygote imports torch and warms fake tensors: seconds, not minutes
STATUS_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class PoolOptions:
    label: str  # --impl as given
    directory: Path
    catalog_path: Path
    call_timeout: float
    memory_limit: int
    seed: int


class Zygote:
    """The zygote process and its control socket."""

    def __init__(self, options: PoolOptions):
        ours, theirs = socket.socketpair()
        settings = {"label": options.label, "directory": str(options.directory),
                    "catalog": str(options.catalog_path), "memory_limit": options.memory_limit,
                    "seed": options.seed}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gradkata.isolate.zygote", str(theirs.fileno()),
             json.dumps(settings)],
            pass_fds=[theirs.fileno()], start_new_session=True, stdin=subprocess.DEVNULL)
        theirs.close()
        self.sock = ours
        self._ready = False

    def _wait_ready(self) -> None:
        if not self._ready:
            try:
                recv_frame(self.sock, time.monotonic() + STARTUP_SECONDS)
            except (ConnectionLost, Deadline) as error:
                raise RuntimeError(f"gradkata --isolate: the worker zygote did not start "
                                   f"({error}); run without --isolate to see why") from None
            self._ready = True

    def _ask(self, request: dict) -> dict:
        self._wait_ready()
        send_frame(self.sock, json.dumps(request).encode())
        return json.loads(recv_frame(self.sock, None))

    def fork(self, topic: str) -> tuple[int, socket.socket]:
        reply = self._ask({"op": "fork", "topic": topic})
        _, fds, _, _ = socket.recv_fds(self.sock, 1, 1)
        return reply["pid"], socket.socket(fileno=fds[0])

    def status(self, pid: int) -> int | None:
        """The ``waitpid`` status of worker ``pid``; it is killed if still running."""
        return self._ask({"op": "status", "pid": pid, "wait": STATUS_WAIT_SECONDS})["status"]

    def shutdown(self) -> None:
        try:
            if self._ready or self.process.poll() is None:
                self._ask({"op": "shutdown"})
        except (ConnectionLost, RuntimeError, OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(self.process.pid)
            self.process.wait()
        self.sock.close()


class TopicWorker:
    """The worker serving one topic: its connection, restarted after a failure."""

    def __init__(self, pool: Pool, topic: str):
        self.pool, self.topic = pool, topic
        self.peer: GraderEnd | None = None
        self.pid: int | None = None
        self.seed: int | None = None

    def start(self) -> tuple:
        """Fork a worker and import the topic: ``(state, problem, names, loaded topics)``."""
        self.pid, sock = self.pool.zygote.fork(self.topic)
        self.peer = GraderEnd(sock, timeout=self.pool.options.call_timeout,
                              on_end=self._ender(self.pid))
        try:
            loaded = self._import()
        except WorkerFailed as failure:
            what = self.peer.ended if self.peer.ended is not None else failure.message
            return ("error", Message("isolate.while_imported", file=f"{self.topic}.py",
                                     what=what), [], [])
        if self.seed is not None:
            self.peer.request(("seed", self.seed))
        return loaded

    def _import(self) -> tuple:
        reply = self.peer.request(("import",))
        try:
            state, problem, names, loaded = reply
            if not all(isinstance(n, str) for n in (state, *names, *loaded)):
                raise TypeError("not names")
            return state, received_text(problem), names, loaded
        except (ConnectionLost, TypeError, ValueError):
            raise self.peer.end("lost", "a malformed reply to import") from None

    def connection(self) -> GraderEnd:
        """The live connection, forking a fresh worker if the last one ended."""
        if self.peer is None or self.peer.ended is not None:
            state, problem, *_ = self.start()
            if state != "ok":
                raise WorkerFailed(Message("isolate.fresh_worker", topic=self.topic,
                                           problem=problem))
        return self.peer

    def request(self, body: tuple):
        return self.connection().request(body)

    def begin_test(self, seed: int) -> None:
        self.seed = seed
        if self.peer is not None and self.peer.ended is None:
            self.peer.request(("seed", seed))

    def run_check(self, dotted: str, args: tuple, kwargs: dict):
        return self.request(("check", dotted, args, kwargs))

    def _ender(self, pid: int):
        def end(kind: str, detail: str) -> str:
            kill_group(pid)
            status = self.pool.zygote.status(pid) if kind == "lost" else None
            return why_it_ended(kind, detail, self.pool.options, status)
        return end


def why_it_ended(kind: str, detail: str, options: PoolOptions, status: int | None) -> str:
    """What the code did that ended its worker (:class:`WorkerFailed` puts "your code"
    before it).

    kind: "timeout", "memory", "lost" (the connection broke; ``status``: how the process
    ended, if it did), "interrupted", or what the worker reported ("ended", "tamper",
    "unsendable"; ``detail``: its words, a message).
    """
    if kind == "timeout":
        return Message("isolate.timeout", seconds=options.call_timeout)
    if kind == "memory":
        return Message("isolate.memory", limit=options.memory_limit)
    if kind == "lost":
        if status is not None:
            return describe_status(status)
        return Message("isolate.connection_broken", detail=detail)
    if kind == "interrupted":
        return Message("isolate.interrupted")
    return detail


class Pool:
    def __init__(self, options: PoolOptions):
        self.options = options
        self.zygote = Zygote(options)
        self.workers: dict[str, TopicWorker] = {}

    def worker(self, topic: str) -> TopicWorker:
        if topic not in self.workers:
            self.workers[topic] = TopicWorker(self, topic)
        return self.workers[topic]

    def close(self) -> None:
        for worker in self.workers.values():
            if worker.pid is not None:
                kill_group(worker.pid)
        self.zygote.shutdown()
