"""Stand-ins for objects that live in the other process.

A :class:`Proxy` forwards attribute reads and writes, calls and the
arithmetic, container and iterator protocols to its object, through the
:class:`~gradkata.isolate.peer.Peer` it came from. It never forwards
``__eq__``, ``__hash__`` or ``__bool__``: a proxy compares and hashes by
identity, and one object always has one proxy, so ``node.children[0] is a``
holds as it would in one process, while a rigged ``__eq__`` never runs in
the test process. ``type(proxy)`` is a subclass per remote class, named
after it, defining only the special methods that class has, so
``isinstance(child, type(node))`` and ``isinstance(it, Iterator)`` answer
as they would in one process.
"""

from __future__ import annotations

import inspect

# special method -> (operator the owner applies, argument order), for the owner's side.
BINARY = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "truediv",
    "__floordiv__": "floordiv", "__mod__": "mod", "__pow__": "pow", "__matmul__": "matmul",
    "__getitem__": "getitem", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
}
REFLECTED = {f"__r{name[2:]}": op for name, op in BINARY.items()
             if op in {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"}}
UNARY = {
    "__neg__": "neg", "__pos__": "pos", "__abs__": "abs", "__invert__": "invert",
    "__iter__": "iter", "__next__": "next", "__len__": "len", "__float__": "float",
    "__int__": "int", "__index__": "index",
}
OTHER = ("__call__", "__setitem__")
SPECIAL = frozenset([*BINARY, *REFLECTED, *UNARY, *OTHER])
# Read through to the object although they look special: names used in messages.
READ_THROUGH = frozenset({"__name__", "__qualname__"})


class Proxy:
    """One object of the other process; ``_peer`` carries every use of it there."""

    __slots__ = ("__weakref__", "_number", "_peer")

    def __init__(self, peer, number: int):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_number", number)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__") and name not in READ_THROUGH:
            raise AttributeError(name)  # probes (__array__, __wrapped__ ...) stay local
        return self._peer.request(("getattr", self, name))

    def __setattr__(self, name: str, value) -> None:
        self._peer.request(("setattr", self, name, value))

    def __delattr__(self, name: str) -> None:
        self._peer.request(("delattr", self, name))

    def __bool__(self) -> bool:
        return True  # as any object without __bool__ or __len__; never asked remotely

    def __repr__(self) -> str:
        text = self._peer.describe(self)
        return text if text is not None else f"<{type(self).__name__} of an ended worker>"

    def __reduce_ex__(self, protocol):
        raise TypeError(f"a {type(self).__name__} from another process cannot be copied")

    @property
    def __signature__(self) -> inspect.Signature | None:
        """The remote callable's signature (names and kinds only), for ``inspect.signature``."""
        described = self._peer.request(("signature", self))
        if described is None:
            raise ValueError("no signature")
        return inspect.Signature([
            inspect.Parameter(name, inspect._ParameterKind(kind),
                              default=None if has_default else inspect.Parameter.empty)
            for name, kind, has_default in described
        ])


def _binary(op: str, reflected: bool = False):
    def method(self, other):
        return self._peer.request(("op", op, (other, self) if reflected else (self, other)))
    return method


def _unary(op: str):
    def method(self):
        return self._peer.request(("op", op, (self,)))
    return method


def _call(self, *args, **kwargs):
    return self._peer.request(("call", self, args, kwargs))


def _setitem(self, key, value):
    self._peer.request(("op", "setitem", (self, key, value)))


def proxy_class(name: str, specials: frozenset[str]) -> type:
    """A :class:`Proxy` subclass named ``name`` with these special methods only."""
    namespace: dict = {"__slots__": ()}
    for special in specials & SPECIAL:
        if special in BINARY:
            namespace[special] = _binary(BINARY[special])
        elif special in REFLECTED:
            namespace[special] = _binary(REFLECTED[special], reflected=True)
        elif special in UNARY:
            namespace[special] = _unary(UNARY[special])
        else:
            namespace[special] = {"__call__": _call, "__setitem__": _setitem}[special]
    safe = name if isinstance(name, str) and name.isidentifier() else "RemoteObject"
    return type(safe, (Proxy,), namespace)


def specials_of(cls: type) -> frozenset[str]:
    """The special methods of :data:`SPECIAL` that instances of ``cls`` support."""
    found: set[str] = set()
    for klass in cls.__mro__:  # not getattr(cls, ...): a class's own type has __call__
        found.update(name for name in SPECIAL & vars(klass).keys() if vars(klass)[name] is not None)
    return frozenset(found)
