"""The zygote: a warm process that forks workers in milliseconds (run as ``python -m``).

It imports torch and the grader's worker-side checks, warms what is slow
(fake tensors, the guard's index of torch), imports the reference solutions
that stand in for broken topics — but never the code under grade. Each
``fork`` request gives a new worker; its socket goes back to the test
process over the control socket. As the reaper of its descendants'
orphans it kills, every few milliseconds, any process that a worker left
behind, and at ``shutdown`` it kills every worker and every descendant
before it exits, so nothing the code under grade started outlives the run.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import sys
import tempfile
from pathlib import Path

SCAN_SECONDS = 0.02  # how often strays are looked for


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[1]))
    options = json.loads(argv[2])
    setup = _prepare(options)
    zygote = _Zygote(control, setup)
    from .protocol import send_frame

    send_frame(control, b"ready")
    zygote.serve()


def _prepare(options: dict):
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    from ..catalog import load_catalog
    from ..loader import load_implementation
    from .containment import become_subreaper
    from .worker import WorkerSetup

    become_subreaper()
    _warm()
    catalog = load_catalog(Path(options["catalog"]))
    directory = Path(options["directory"])
    reference = None
    if directory.resolve() != catalog.solutions_dir.resolve() and catalog.solutions_dir.is_dir():
        reference = load_implementation("solutions", catalog.solutions_dir, catalog)
    return WorkerSetup(options["label"], directory, catalog, reference,
                       options["memory_limit"], options["seed"])


def _warm() -> None:
    """Import and run once what every worker needs, so forks start warm."""
    import torch
    from torch._subclasses.fake_tensor import FakeTensorMode

    from ..checks import (  # noqa: F401  (imported to be inherited by every worker)
        autograd_checks,
        devices,
        errors,
        guard,
        layers_checks,
        purity,
        training_checks,
        values,
    )
    from ..checks.guard_index import torch_index
    from . import worker_end  # noqa: F401

    with FakeTensorMode():
        (torch.empty(2, 3, device="cuda") * 2).sum()
    torch_index()
    devices.tensor_factories()


class _Zygote:
    def __init__(self, control: socket.socket, setup):
        self.control, self.setup = control, setup
        self.workers: dict[int, str] = {}  # pid -> scratch directory
        self.ended: dict[int, int] = {}  # pid -> waitpid status

    def serve(self) -> None:
        from .protocol import ConnectionLost, recv_frame, send_frame

        while True:
            ready, _, _ = select.select([self.control], [], [], SCAN_SECONDS)
            self._reap()
            self._kill_strays()
            if not ready:
                continue
            try:
                request = json.loads(recv_frame(self.control, None))
            except (ConnectionLost, ValueError):
                request = {"op": "shutdown"}
            if request["op"] == "shutdown":
                self._shutdown()
                send_frame(self.control, b"{}")
                return
            reply = self._fork(request["topic"]) if request["op"] == "fork" \
                else self._status(request["pid"], request["wait"])
            send_frame(self.control, json.dumps(reply).encode())
            if request["op"] == "fork":
                socket.send_fds(self.control, [b"F"], [reply["fd"]])
                os.close(reply["fd"])

    def _fork(self, topic: str) -> dict:
        from .worker import run_worker

        ours, theirs = socket.socketpair()
        scratch = tempfile.mkdtemp(prefix="gradkata-worker-")
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                self.control.close()
                ours.close()
                run_worker(theirs, topic, scratch, self.setup)
            finally:
                os._exit(0)
        theirs.close()
        self.workers[pid] = scratch
        return {"pid": pid, "fd": ours.detach()}

    def _status(self, pid: int, wait: float) -> dict:
        from .containment import kill_group

        waited = 0.0
        while pid not in self.ended and waited < wait:
            select.select([], [], [], SCAN_SECONDS)
            waited += SCAN_SECONDS
            self._reap()
        if pid not in self.ended:
            kill_group(pid)
        return {"status": self.ended.get(pid)}

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                self.ended[pid] = status
                shutil.rmtree(self.workers.pop(pid), ignore_errors=True)

    def _kill_strays(self) -> None:
        """Orphans re-parented to the zygote are left behind by workers: kill them."""
        from .containment import children_of, kill_group

        for pid in children_of(os.getpid()):
            if pid not in self.workers:
                kill_group(pid)

    def _shutdown(self) -> None:
        from .containment import children_of, kill_group

        for pid in list(self.workers):
            kill_group(pid)
        while children_of(os.getpid()):  # each kill may orphan more: until none is left
            for pid in children_of(os.getpid()):
                kill_group(pid)
            select.select([], [], [], 0.005)
            self._reap()
        self._reap()
        for scratch in self.workers.values():
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
