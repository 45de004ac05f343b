"""One end of a connection between the test process and a worker.

Both ends run the same exchange: :meth:`Peer.request` sends a request and,
while it waits for the reply, serves the requests the other end sends
meanwhile (a worker calling back a function the test passed it; the test
calling the worker again from inside that function). Each message also
carries the mirrored tensors and generators changed since the last one,
and the proxies this end has let go of.

What a message may hold: plain data (pickled as is), mirrored tensors and
generators, NumPy arrays, and references to objects, both this end's
("O": the receiver gets a :class:`~.proxies.Proxy`) and the receiver's own
("Y": it gets its object back). The two subclasses, :class:`.grader_end`'s
and :class:`.worker_end`'s, decide what each end accepts and serves.
"""

from __future__ import annotations

import itertools
import pickle
import weakref

import numpy as np
import torch

from .mirror import GENERATOR, TENSOR, Mirror
from .protocol import ConnectionLost, dumps, loads, recv_frame, send_frame
from .proxies import Proxy, proxy_class, specials_of

PLAIN = frozenset({type(None), bool, int, float, complex, str, bytes, tuple, list, dict, set,
                   frozenset, slice, range, type(Ellipsis), torch.dtype, torch.device, torch.Size})
MINE, YOURS, ARRAY, VALUE = "O", "Y", "N", "V"


class Unsendable(Exception):
    """A reply could not be encoded (too deeply nested, or an object of another worker);
    ``reason``: why, in Python's words."""

    def __init__(self, reason: str):
        super().__init__(f"returned something that cannot be sent back: {reason}")
        self.reason = reason


class Peer:
    """The tables and the exchange both ends share; ``role`` is "t" (tests) or "w" (worker)."""

    role = "?"
    served_errors: tuple[type[BaseException], ...] = (Exception,)  # reported, not propagated

    def __init__(self, sock):
        self.sock = sock
        self.mirror = Mirror(self.role)
        self.ended: str | None = None  # why this connection is over, once it is
        self.deadline: float | None = None  # time.monotonic() by which a reply must come
        self._requests = itertools.count(1)
        self._numbers = itertools.count(1)
        self._exported: dict[int, list] = {}  # number -> [object, times sent]
        self._export_numbers: dict[int, int] = {}  # id(object) -> number, while exported
        self._imported: dict[int, weakref.ref] = {}  # number -> weakref to its one proxy
        self._receipts: dict[int, int] = {}  # number -> times received, for the release
        self._releases: list[tuple[int, int]] = []
        self._proxy_classes: dict[int, type] = {}
        self._class_numbers: dict[type, int] = {}

    # -- the exchange -----------------------------------------------------------------------
    def request(self, body: tuple):
        """Send ``body``, serve what comes meanwhile, and return the reply's value."""
        number = next(self._requests)
        self._send(("call", number, body))
        while True:
            kind, reply_to, payload = self._receive()
            if kind == "reply":
                if reply_to != number:
                    raise ConnectionLost("a reply to another request")
                return self.outcome(payload)
            self._serve(reply_to, payload)

    def serve_forever(self) -> None:
        """Serve requests until the other end hangs up (a worker's whole life)."""
        while True:
            try:
                kind, number, body = self._receive()
            except ConnectionLost:
                return
            if kind != "call":
                return
            self._serve(number, body)

    def _serve(self, number: int, body) -> None:
        try:
            reply = ("ok", self.dispatch(body))
        except self.served_errors as error:
            reply = ("error", self.error_info(error))
        try:
            self._send(("reply", number, reply))
        except (pickle.PicklingError, RecursionError, TypeError, ValueError) as error:
            unsendable = Unsendable(str(error))
            self._send(("reply", number, ("error", self.error_info(unsendable))))

    def _send(self, message: tuple) -> None:
        releases, self._releases = self._releases, []
        updates = self.mirror.changed()
        send_frame(self.sock, self.encode((*message, releases, updates)))

    def _receive(self) -> tuple:
        message = self.decode(recv_frame(self.sock, self.deadline))
        if not (isinstance(message, tuple) and len(message) == 5 and message[0] in
                ("call", "reply") and type(message[1]) is int):
            raise ConnectionLost("a malformed message")
        self._release(message[3])
        return message[:3]

    # -- hooks for the two ends -------------------------------------------------------------
    def dispatch(self, body):
        raise NotImplementedError  # each end serves its own requests

    def outcome(self, payload):
        raise NotImplementedError

    def error_info(self, error: BaseException) -> tuple:
        raise NotImplementedError

    def convert(self, obj):
        """A record for ``obj`` when it is not plain data, mirrored or a proxy; None: export."""
        return None

    def load_extra(self, record: tuple):
        raise ConnectionLost(f"an unknown record {record[0]!r}")

    # -- encoding ---------------------------------------------------------------------------
    def encode(self, message) -> bytes:
        return dumps(message, self._record_of)

    def decode(self, data: bytes):
        return loads(data, self._load_record)

    def _record_of(self, obj):
        kind = type(obj)
        if kind in PLAIN:
            return None
        if isinstance(obj, Proxy):
            if obj._peer is not self:
                raise TypeError("an object of one worker cannot be passed to another")
            return (YOURS, obj._number)
        if kind is torch.Generator and obj.device.type == "cpu":
            return self.mirror.generator_record(obj)
        if kind is np.ndarray and obj.dtype.kind in "biufc":
            return (ARRAY, obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
        record = self.convert(obj)
        return record if record is not None else self._export(obj)

    def _load_record(self, record):
        if not (isinstance(record, tuple) and record and isinstance(record[0], str)):
            raise ConnectionLost("a malformed record")
        kind = record[0]
        if kind in (TENSOR, GENERATOR):
            return self.mirror.load(record)
        if kind == MINE and len(record) == 5:
            return self._proxy(*record[1:])
        if kind == YOURS and len(record) == 2 and record[1] in self._exported:
            return self._exported[record[1]][0]
        if kind == ARRAY and len(record) == 4:
            return _array(*record[1:])
        if kind == VALUE and len(record) == 2 and type(record[1]) in PLAIN:
            return record[1]
        return self.load_extra(record)

    # -- references ---------------------------------------------------------------------------
    def _export(self, obj) -> tuple:
        number = self._export_numbers.get(id(obj))
        if number is None or self._exported[number][0] is not obj:
            number = next(self._numbers)
            self._exported[number] = [obj, 0]
            self._export_numbers[id(obj)] = number
        self._exported[number][1] += 1
        cls = type(obj)
        if cls not in self._class_numbers:
            self._class_numbers[cls] = len(self._class_numbers) + 1
        name = getattr(cls, "__name__", "object")
        return (MINE, number, self._class_numbers[cls], str(name), sorted(specials_of(cls)))

    def _proxy(self, number, class_number, name, specials) -> Proxy:
        if not (type(number) is int and type(class_number) is int and isinstance(specials, list)):
            raise ConnectionLost("a malformed reference")
        ref = self._imported.get(number)
        proxy = ref() if ref is not None else None
        if proxy is None:
            cls = self._proxy_classes.get(class_number)
            if cls is None:
                cls = proxy_class(name, frozenset(s for s in specials if isinstance(s, str)))
                self._proxy_classes[class_number] = cls
            proxy = cls(self, number)
            self._imported[number] = weakref.ref(proxy, self._forget(number))
            self._receipts[number] = 0
        self._receipts[number] += 1
        return proxy

    def _forget(self, number: int):
        def forget(ref) -> None:
            if self._imported.get(number) is ref:
                del self._imported[number]
                self._releases.append((number, self._receipts.pop(number, 0)))
        return forget

    def _release(self, releases) -> None:
        if not isinstance(releases, list):
            raise ConnectionLost("a malformed release list")
        for number, count in releases:
            entry = self._exported.get(number)
            if entry is None or type(count) is not int:
                continue
            entry[1] -= count
            if entry[1] <= 0:
                del self._exported[number]
                self._export_numbers.pop(id(entry[0]), None)


def _array(dtype, shape, data) -> np.ndarray:
    try:
        kind = np.dtype(dtype)
        if kind.kind not in "biufc" or not all(type(s) is int and s >= 0 for s in shape):
            raise ValueError("not a numeric array")
        return np.frombuffer(data, dtype=kind).reshape(shape).copy()
    except (TypeError, ValueError) as error:
        raise ConnectionLost(f"a malformed array: {error}") from None
