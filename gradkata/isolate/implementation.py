"""The implementation under ``--isolate``: topics imported by workers, modules as proxies.

:class:`IsolatedImplementation` answers the session as
:class:`~gradkata.loader.Implementation` does, but a topic is imported only
when :meth:`load_topics` asks its worker. The ``impl`` fixture gets a
:class:`RemoteModule`: ``__name__``, ``__package__`` and ``__file__``
answer here (the guard's source scan reads the file; reading is not
importing), any other attribute is fetched from the worker. Each worker's
modules are registered in ``sys.modules`` under a package of their own
(``gradkata_isolated_layers.activations``), so tests that look up a
topic's own dependencies by name find the worker's.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from ..catalog import Catalog, Exercise
from ..loader import Implementation, TopicLoad
from .pool import Pool, TopicWorker

ALIAS_PREFIX = "gradkata_isolated_"


class RemoteModule:
    """A topic module as the worker serving ``worker.topic`` sees it (``topic`` may be a
    dependency); ``names``: its attributes, when known, answered without asking."""

    def __init__(self, worker: TopicWorker, topic: str, path: Path, names: list | None):
        package = f"{ALIAS_PREFIX}{worker.topic}"
        for attribute, value in (("__name__", f"{package}.{topic}"), ("__package__", package),
                                 ("__file__", str(path)), ("__spec__", None),
                                 ("_worker", worker), ("_topic", topic), ("_cached", None),
                                 ("_names", frozenset(names) if names is not None else None)):
            object.__setattr__(self, attribute, value)

    def __getattr__(self, name: str):
        if name.startswith("__") or (self._names is not None and name not in self._names):
            raise AttributeError(f"module {self._topic!r} has no attribute {name!r}")
        return getattr(self._module(), name)

    def _module(self):
        """The worker's module object (a proxy), kept while the same worker lives."""
        connection = self._worker.connection()
        if self._cached is None or self._cached[0] is not connection:
            object.__setattr__(self, "_cached",
                               (connection, connection.request(("module", self._topic))))
        return self._cached[1]

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} in an --isolate worker>"


class IsolatedImplementation(Implementation):
    """Topics loaded by workers of ``pool``; a topic not asked for is not imported at all."""

    def __init__(self, label: str, directory: Path, pool: Pool):
        super().__init__(label=label, directory=directory, package=f"{ALIAS_PREFIX}*")
        self.pool = pool

    def load_topics(self, topics, catalog: Catalog) -> None:
        for topic in (t.name for t in catalog.topics if t.name in topics):
            if topic not in self.topics:
                self.topics[topic] = self._load(topic)

    def _load(self, topic: str) -> TopicLoad:
        worker = self.pool.worker(topic)
        state, problem, names, loaded = worker.start()
        path = self.directory / f"{topic}.py"
        if state != "ok":
            return TopicLoad(topic, path, state, problem=problem)
        package = f"{ALIAS_PREFIX}{topic}"
        alias = types.ModuleType(package, "modules of an --isolate worker")
        alias.__path__ = []
        sys.modules[package] = alias
        for name in loaded:
            module = RemoteModule(worker, name, self.directory / f"{name}.py",
                                  names if name == topic else None)
            sys.modules[f"{package}.{name}"] = module
            setattr(alias, name, module)
        return TopicLoad(topic, path, "ok", module=sys.modules[f"{package}.{topic}"])

    def problem(self, exercise: Exercise) -> tuple[str, str] | None:
        load = self.topics.get(exercise.topic)
        if load is None:
            return None  # never imported: not graded in this run
        if load.state == "ok" and exercise.name in load.module._names:
            return None  # answered here: the worker may have ended by now
        return super().problem(exercise)

    def close(self) -> None:
        self.pool.close()
        for name in [n for n in sys.modules if n.startswith(ALIAS_PREFIX)]:
            del sys.modules[name]
