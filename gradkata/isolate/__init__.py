"""``--isolate``: the code under grade runs only in worker processes (SPEC §4; POSIX only).

The test process forks nothing itself: a *zygote* (:mod:`.zygote`) holds
torch warm and forks one worker per topic (:mod:`.worker`), which imports
that topic and serves calls over a socket (:mod:`.protocol`, :mod:`.peer`).
The tests see proxies (:mod:`.proxies`, :mod:`.implementation`); tensors
cross as copies that keep their identity (:mod:`.mirror`); timeouts, memory
limits, dead workers and left-behind processes are handled by :mod:`.pool`
and :mod:`.containment`.

This module itself imports nothing heavy: the checks import it for
:func:`runs_in_worker`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

POSIX_ONLY = (
    "--isolate needs a POSIX system (Linux or macOS): it forks worker processes and limits "
    "their memory with setrlimit. Grade without --isolate here, or on Linux or macOS."
)

_serving: list = []  # the TopicWorker of the running graded test, under --isolate


def supported() -> bool:
    return os.name == "posix" and hasattr(os, "fork") and sys.platform != "emscripten"


def runs_in_worker(check):
    """Make a check helper run where the code under grade runs.

    Some checks must watch the code from inside its process (a torch-function
    mode, a profiler hook, fake CUDA tensors): under ``--isolate`` the
    decorated helper is sent, with its arguments, to the running test's
    worker and run there; otherwise it runs here, unchanged.
    """
    dotted = f"{check.__module__}:{check.__qualname__}"

    @functools.wraps(check)
    def where_the_code_runs(*args, **kwargs):
        if not _serving:
            return check(*args, **kwargs)
        return _serving[-1].run_check(dotted, args, kwargs)

    return where_the_code_runs


@contextlib.contextmanager
def serving(module, seed: int):
    """While a graded test runs: its checks go to ``module``'s worker (if it is remote)."""
    worker = getattr(module, "_worker", None) if is_remote(module) else None
    if worker is None:
        yield
        return
    worker.begin_test(seed)
    _serving.append(worker)
    try:
        yield
    finally:
        _serving.remove(worker)


def is_remote(obj) -> bool:
    """True for a proxy of an object in a worker, or a module served by one."""
    if "gradkata.isolate.proxies" not in sys.modules:
        return False
    from .implementation import RemoteModule
    from .proxies import Proxy

    return isinstance(obj, (Proxy, RemoteModule))
