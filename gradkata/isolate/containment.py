"""What keeps a worker's process, memory, files and monkeypatches to itself (POSIX).

- :func:`become_subreaper`: orphaned descendants of workers are re-parented
  to the zygote (Linux), which can then find and kill them;
- :func:`limit_memory`: the ``--memory-limit`` as ``RLIMIT_DATA`` (heap and
  anonymous mappings; unlike ``RLIMIT_AS`` it leaves room for the address
  space a CUDA context reserves), and no core files;
- :func:`children_of`, :func:`kill_group`: find and kill processes;
- :class:`TamperGuard`: the namespaces the grader relies on, snapshotted
  before the code under grade runs, compared and restored after each call.
"""

from __future__ import annotations

import ctypes
import importlib
import operator
import os
import resource
import signal
import sys
from pathlib import Path

from ..messages import Message

PR_SET_CHILD_SUBREAPER = 36
WATCHED_MODULES = (
    "builtins", "torch", "torch.nn.functional", "torch.testing", "torch.overrides",
    "torch.autograd", "gradkata.checks.values", "gradkata.checks.guard",
    "gradkata.checks.devices", "gradkata.checks.purity", "gradkata.checks.layers_checks",
    "gradkata.checks.training_checks", "gradkata.checks.failure", "gradkata.isolate.peer",
    "gradkata.isolate.worker_end", "gradkata.isolate.mirror", "gradkata.isolate.protocol",
)


def become_subreaper() -> None:
    """Make this process the reaper of its descendants' orphans (Linux only; else nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def limit_memory(mib: int) -> None:
    limit = mib * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid``: from its threads' ``children`` lists where the kernel
    keeps them (cheap), else by reading every ``/proc/*/stat``."""
    tasks = Path(f"/proc/{pid}/task")
    try:
        lists = [(task / "children").read_text() for task in tasks.iterdir()]
        return [int(child) for text in lists for child in text.split()]
    except OSError:
        pass
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (command) "
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (and ``pid`` itself, if it left it)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def describe_status(status: int) -> Message:
    """How a process ended, from its ``waitpid`` status: what the code did, in every language."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        why = {"SIGSEGV": Message("isolate.segfault"), "SIGKILL": Message("isolate.killed"),
               "SIGABRT": Message("isolate.aborted")}.get(name, "")
        return Message("isolate.signal", name=name, why=why)
    return Message("isolate.exit", code=os.WEXITSTATUS(status))


class TamperGuard:
    """Which entries of :data:`WATCHED_MODULES` (and Tensor's methods) the code replaced."""

    def __init__(self):
        import torch

        modules = [importlib.import_module(name) for name in WATCHED_MODULES]
        self._targets = [*modules, torch.Tensor, torch._C.TensorBase]
        self._names = [*WATCHED_MODULES, "torch.Tensor", "torch.Tensor"]
        self._saved = [(tuple(vars(t)), tuple(vars(t).values())) for t in self._targets]

    def restore(self) -> list[str]:
        """Put back every replaced or deleted entry; return their names (``torch.allclose``)."""
        changed = []
        for name, target, (keys, saved) in zip(self._names, self._targets, self._saved,
                                               strict=True):
            space = vars(target)
            try:
                same = all(map(operator.is_, operator.itemgetter(*keys)(space), saved))
            except KeyError:
                same = False
            if same:
                continue
            for key, value in zip(keys, saved, strict=True):
                if space.get(key, _MISSING) is not value:
                    changed.append(f"{name}.{key}")
                    try:
                        setattr(target, key, value)
                    except (TypeError, AttributeError):
                        pass
        return changed


_MISSING = object()
