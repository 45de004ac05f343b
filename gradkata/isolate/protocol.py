"""The wire between the test process and a worker: frames, and what may be unpickled.

A message is one pickle, sent as an 8-byte length and the bytes. Anything
that is not plain data travels as a *persistent id* (a tuple the peer's
tables interpret: a tensor's bytes, a proxy's number), never as a pickled
class. The test process unpickles with :class:`RestrictedUnpickler`, whose
``find_class`` knows only a few builtins and torch's dtypes, ``device`` and
``Size``: a worker (which runs code under grade, so is trusted for nothing)
cannot make the test process build any other object, let alone run code.
"""

from __future__ import annotations

import builtins
import io
import pickle
import socket
import struct
import time

import torch

HEADER = struct.Struct("!Q")
MAX_MESSAGE = 256 * 2**20  # bytes: far above any tensor the tests send, far below harm
PROTOCOL = 5

SAFE_BUILTINS = frozenset({"complex", "slice", "set", "frozenset", "range", "Ellipsis"})
SAFE_TORCH = frozenset({"device", "Size"})


class ConnectionLost(Exception):
    """The other end closed the connection, or sent something that is not a message."""


class Deadline(Exception):
    """No whole message arrived in time."""


class RestrictedUnpickler(pickle.Unpickler):
    """Plain data only: the globals a pickle may name are a short, fixed list."""

    def __init__(self, data: bytes, load_record):
        super().__init__(io.BytesIO(data))
        self._load_record = load_record

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in SAFE_BUILTINS:
            return getattr(builtins, name)
        if module == "torch" and (name in SAFE_TORCH or _is_dtype_name(name)):
            return getattr(torch, name)
        raise pickle.UnpicklingError(f"refused to unpickle {module}.{name}: not plain data")

    def persistent_load(self, pid):
        return self._load_record(pid)


def _is_dtype_name(name: str) -> bool:
    return not name.startswith("_") and isinstance(getattr(torch, name, None), torch.dtype)


class RecordPickler(pickle.Pickler):
    """Pickles plain data itself and hands everything else to ``record_of``."""

    def __init__(self, buffer, record_of):
        super().__init__(buffer, protocol=PROTOCOL)
        self._record_of = record_of

    def persistent_id(self, obj):
        return self._record_of(obj)


def dumps(message, record_of) -> bytes:
    buffer = io.BytesIO()
    RecordPickler(buffer, record_of).dump(message)
    return buffer.getvalue()


def loads(data: bytes, load_record):
    try:
        return RestrictedUnpickler(data, load_record).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, struct.error) as error:
        raise ConnectionLost(f"an unreadable message: {error}") from None


def send_frame(sock: socket.socket, data: bytes) -> None:
    sock.settimeout(None)
    try:
        sock.sendall(HEADER.pack(len(data)) + data)
    except OSError as error:
        raise ConnectionLost(f"could not send: {error}") from None


def recv_frame(sock: socket.socket, deadline: float | None) -> bytes:
    """One whole message, or :class:`Deadline` at ``deadline`` (``time.monotonic()``)."""
    (size,) = HEADER.unpack(_recv_exactly(sock, HEADER.size, deadline))
    if size > MAX_MESSAGE:
        raise ConnectionLost(f"a message of {size} bytes, over the {MAX_MESSAGE} byte limit")
    return _recv_exactly(sock, size, deadline)


def _recv_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks, missing = [], size
    while missing:
        if deadline is None:
            sock.settimeout(None)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Deadline()
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(missing, 1 << 20))
        except TimeoutError:
            raise Deadline() from None
        except OSError as error:
            raise ConnectionLost(f"could not receive: {error}") from None
        if not chunk:
            raise ConnectionLost("the other end closed the connection")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
