"""Tensors and generators that cross, as copies that keep their identity.

A tensor sent to the other process arrives as a copy. So that the copy
behaves like the original (in-place updates, ``p is module.weight``), each
side gives every object that crossed a *key*: the same object sent again
arrives as the same copy, and a copy sent back arrives as the original.
Before each message a side also sends every mirrored object it changed
since the last message (a tensor by its version counter, a generator by its
state), and the receiver copies the new contents in: ``sgd_step`` updating
parameters in place, a purity check seeing an input modified, a generator
advanced by a worker-side iterator — all as if both ran in one process.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass

import torch
from torch.utils.weak import WeakIdKeyDictionary

from .protocol import ConnectionLost

TENSOR, GENERATOR = "T", "G"
DEVICE_TYPES = frozenset({"cpu", "cuda"})


@dataclass
class _Entry:
    ref: weakref.ref
    stamp: object  # version counter (tensor) or state bytes (generator) at the last crossing


class Mirror:
    """One side's table of mirrored objects. ``role`` ("t" test, "w" worker) prefixes its keys."""

    def __init__(self, role: str):
        self._role = role
        self._numbers = itertools.count()
        self._keys: WeakIdKeyDictionary = WeakIdKeyDictionary()
        self._entries: dict[tuple, _Entry] = {}

    # -- sending ----------------------------------------------------------------------------
    def tensor_record(self, tensor: torch.Tensor, plain: torch.Tensor) -> tuple:
        """``tensor``'s record; ``plain`` is it as a plain tensor (a subclass converted)."""
        key, changed = self._key(tensor, tensor._version)
        data = plain.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
        return (TENSOR, key, str(plain.dtype).removeprefix("torch."), tuple(plain.shape),
                str(plain.device), data.numpy().tobytes(), bool(plain.requires_grad), changed)

    def generator_record(self, generator: torch.Generator) -> tuple:
        state = generator.get_state().numpy().tobytes()
        key, changed = self._key(generator, state)
        return (GENERATOR, key, state, changed)

    def _key(self, obj, stamp) -> tuple[tuple, bool]:
        key = self._keys.get(obj)
        if key is None or key not in self._entries:
            key = (self._role, next(self._numbers))
            self._keys[obj] = key
            self._entries[key] = _Entry(weakref.ref(obj), stamp)
            return key, False
        entry = self._entries[key]
        changed, entry.stamp = entry.stamp != stamp, stamp
        return key, changed

    def changed(self) -> list:
        """Mirrored objects still alive here whose contents changed since they last crossed."""
        found = []
        for key, entry in list(self._entries.items()):
            obj = entry.ref()
            if obj is None:
                del self._entries[key]
            elif entry.stamp != _stamp(obj):
                found.append(obj)
        return found

    # -- receiving --------------------------------------------------------------------------
    def load(self, record: tuple):
        kind, key = record[0], record[1]
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] in "tw"
                and type(key[1]) is int):
            raise ConnectionLost(f"a malformed key {key!r}")
        fresh = _tensor(record) if kind == TENSOR else _generator(record)
        entry = self._entries.get(key)
        known = entry.ref() if entry is not None else None
        if known is None or type(known) is not type(fresh):
            self._keys[fresh] = key
            self._entries[key] = _Entry(weakref.ref(fresh), _stamp(fresh))
            return fresh
        if record[-1]:  # changed over there: bring the copy here up to date
            _overwrite(known, fresh)
        entry.stamp = _stamp(known)
        return known


def _stamp(obj):
    if isinstance(obj, torch.Tensor):
        return obj._version
    return obj.get_state().numpy().tobytes()


def _overwrite(known, fresh) -> None:
    if isinstance(known, torch.Generator):
        known.set_state(fresh.get_state())
        return
    with torch.no_grad():
        if known.shape == fresh.shape and known.dtype == fresh.dtype:
            known.copy_(fresh)
        else:
            known.data = fresh


def _tensor(record: tuple) -> torch.Tensor:
    if len(record) != 8:
        raise ConnectionLost("a malformed tensor record")
    _, _, dtype_name, shape, device, data, requires_grad, _ = record
    dtype = getattr(torch, dtype_name, None) if isinstance(dtype_name, str) else None
    if not isinstance(dtype, torch.dtype) or dtype_name.startswith("_"):
        raise ConnectionLost(f"a tensor of unknown dtype {dtype_name!r}")
    if not (isinstance(shape, tuple) and all(type(s) is int and s >= 0 for s in shape)):
        raise ConnectionLost(f"a tensor of malformed shape {shape!r}")
    target = torch.device(device) if isinstance(device, str) else None
    if target is None or target.type not in DEVICE_TYPES or type(data) is not bytes:
        raise ConnectionLost(f"a tensor on an unexpected device {device!r}")
    itemsize = torch.empty((), dtype=dtype).element_size()
    count = 1
    for side in shape:
        count *= side
    if len(data) != count * itemsize:
        raise ConnectionLost("a tensor whose data does not match its shape")
    if count == 0:
        tensor = torch.empty(shape, dtype=dtype)
    else:
        tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).reshape(shape)
    if target.type != "cpu":
        tensor = tensor.to(target)
    if requires_grad is True and (dtype.is_floating_point or dtype.is_complex):
        tensor.requires_grad_(True)
    return tensor


def _generator(record: tuple) -> torch.Generator:
    if len(record) != 4 or type(record[2]) is not bytes:
        raise ConnectionLost("a malformed generator record")
    generator = torch.Generator()
    try:
        generator.set_state(torch.frombuffer(bytearray(record[2]), dtype=torch.uint8))
    except (RuntimeError, ValueError) as error:
        raise ConnectionLost(f"a generator with an invalid state: {error}") from None
    return generator
